"""The package's contracts: the out-of-range policy (raise when concrete, NaN when traced,
``with_checks()`` raises inside jit, gradients in range unaffected), typed linedb containers
as pytrees, and prepared tables whose dtype follows the inputs."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import subset

from jaxstro.linedb import CIATable, LineList, datasets, read_cia
from jaxstro.opacity import make_calculator, prepare_cia, wavenumber_grid

ROBUST = (500.0, 2000.0)


@pytest.fixture(scope="module")
def small(co_lines):
    """A short ESLOG grid in the CO band head region and the lines near it."""
    nu, _, _ = wavenumber_grid(4300.0, 4310.0, 800, unit="cm-1")
    near = np.flatnonzero((co_lines.nu_cm1 > 4280.0) & (co_lines.nu_cm1 < 4330.0))
    return subset(co_lines, near), nu


@pytest.fixture(scope="module", params=["lpf", "modit", "premodit"])
def calc(request, small):
    lines, nu = small
    opts = {"robust_range": ROBUST} if request.param == "premodit" else {}
    return make_calculator(lines, nu, method=request.param, **opts)


def _t_range(calc):
    return calc.t_range


def test_concrete_out_of_range_raises(calc):
    lo, hi = _t_range(calc)
    for t, p, match in [
        (hi * 2.5, 1.0, "t_k"),
        (lo * 0.5, 1.0, "t_k"),
        (np.nan, 1.0, "t_k"),
        (np.inf, 1.0, "t_k"),
        (1000.0, -1.0, "p_bar"),
        (1000.0, 0.0, "p_bar"),
        (1000.0, np.nan, "p_bar"),
    ]:
        with pytest.raises(ValueError, match=match):
            calc.xsvector(t, p)
    with pytest.raises(ValueError, match="t_layers"):
        calc.xsmatrix(np.array([1000.0, hi * 2.5]), np.array([1.0, 0.1]))
    with pytest.raises(ValueError, match="p_layers"):
        calc.xsmatrix(np.array([1000.0, 1000.0]), np.array([1.0, -0.1]))


def test_traced_out_of_range_is_nan(calc):
    """The issue's reproducer: jit(xsvector)(5000 K) on a 500-2000 K PreMODIT was finite."""
    f = jax.jit(calc.xsvector)
    lo, hi = calc.t_range
    for t, p in [(2.5 * hi, 1.0), (0.5 * lo, 1.0), (np.nan, 1.0), (np.inf, 1.0)]:
        assert np.all(np.isnan(np.asarray(f(t, p))))
    for p in (-1.0, 0.0, np.nan, np.inf):
        assert np.all(np.isnan(np.asarray(f(1000.0, p)))), p
    # in range: the jitted call equals the eager one
    np.testing.assert_allclose(np.asarray(f(1000.0, 0.5)), np.asarray(calc.xsvector(1000.0, 0.5)))
    # vmap over temperatures: NaN exactly in the out-of-range entries
    temps = jnp.array([800.0, 2.5 * hi, 1200.0])
    out = np.asarray(jax.jit(jax.vmap(calc.xsvector, (0, None)))(temps, 1.0))
    assert np.all(np.isfinite(out[[0, 2]])) and np.all(np.isnan(out[1]))


def test_traced_xsmatrix_nan_rows_only(calc):
    t = jnp.array([800.0, 2.0 * calc.t_range[1], 1200.0])
    p = jnp.array([1.0, 0.1, -0.01])
    out = np.asarray(jax.jit(calc.xsmatrix)(t, p))
    assert np.all(np.isnan(out[1])) and np.all(np.isnan(out[2]))
    np.testing.assert_allclose(out[0], np.asarray(calc.xsvector(800.0, 1.0)), rtol=1e-12)


def test_checked_mode_raises_inside_jit(calc):
    checked = calc.with_checks()
    f = jax.jit(checked.xsvector)
    np.testing.assert_allclose(np.asarray(f(1000.0, 1.0)), np.asarray(calc.xsvector(1000.0, 1.0)))
    bad = 2.5 * calc.t_range[1]
    with pytest.raises(Exception, match="out of range") as err:
        jax.block_until_ready(f(bad, 1.0))
    assert f"{bad:.6g}" in str(err.value) and "accepts" in str(err.value)
    with pytest.raises(Exception, match="out of range"):
        jax.block_until_ready(jax.jit(checked.xsmatrix)(jnp.array([900.0, bad]), 1.0))
    # the static flag is part of the pytree: the unchecked calculator is unaffected
    assert calc.with_checks(False) == calc or not calc.checked


def test_gradient_in_range_unaffected(calc):
    """d(sum xs)/dT through the guarded public call equals that of the bare method, and
    matches a central finite difference."""

    def guarded(t):
        return jnp.sum(calc.xsvector(t, 0.3))

    def bare(t):
        return jnp.sum(calc._xs(t, 0.3))

    # Q(T) is interpolated linearly between table nodes (1 K apart for TIPS): the finite
    # difference stays inside one interval
    t0 = 1100.5
    g = jax.jit(jax.grad(guarded))(t0)
    np.testing.assert_allclose(g, jax.grad(bare)(t0), rtol=1e-12)
    h = 0.2
    fd = (bare(t0 + h) - bare(t0 - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5)
    # forward mode too
    np.testing.assert_allclose(jax.jacfwd(guarded)(t0), g, rtol=1e-10)
    # and the gradient at an out-of-range proposal is NaN, not a finite wrong number
    assert np.isnan(jax.grad(guarded)(2.5 * calc.t_range[1]))


def test_layer_jacobian_rule_matches_plain_autodiff(calc):
    """xsmatrix / xsvector differentiate each layer by its own (T, P) JVP rule (layer_xs).
    Every branch of the rule - T only, P only, both, reverse and forward mode, the fall-back
    when a table itself is differentiated - equals plain autodiff of the bare method (lax.map
    of ``_xs``) to rounding; the gradient and the second derivative (a Laplace Hessian)
    match central finite differences. The rule is the same code for every method: LPF and
    MODIT check the reverse-mode gradient in (T, P) only (compile time)."""
    t0 = jnp.array([700.3, 1100.5, 1650.7])
    p0 = jnp.array([0.01, 0.3, 3.0])
    w = jnp.cos(jnp.arange(calc.nu_grid.size) * 0.37)  # a cotangent that is not all ones

    def rule(t, p):
        return jnp.sum(jnp.log(calc.xsmatrix(t, p) + 1e-30) * w)

    def plain(t, p):
        xs = jax.lax.map(lambda tp: calc._xs(tp[0], tp[1]), (t, p))
        return jnp.sum(jnp.log(xs + 1e-30) * w)

    ref_t, ref_p = jax.grad(plain, (0, 1))(t0, p0)
    cases = ((jax.grad, (0, 1), (ref_t, ref_p)), (jax.grad, 0, ref_t), (jax.jacfwd, 1, ref_p))
    for mode, argnums, ref in cases if calc.method == "premodit" else cases[:1]:
        got = mode(rule, argnums)(t0, p0)
        for g, r in zip(jax.tree.leaves(got), jax.tree.leaves(ref), strict=True):
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=0)
    if calc.method != "premodit":
        return
    gv = jax.grad(lambda t: jnp.sum(calc.xsvector(t, 0.3) * w))(1100.5)
    rv = jax.grad(lambda t: jnp.sum(calc._xs(t, 0.3) * w))(1100.5)
    np.testing.assert_allclose(gv, rv, rtol=1e-10)

    # one parameter moving T in every layer (the retrieval's case); Q(T) is linear between
    # table nodes 1 K apart: a0 +- h keeps every layer inside its interval
    prof = jnp.array([0.9, 1.0, 1.1])
    a0, h = 1000.37, 0.02
    grad_a = jax.jit(jax.grad(lambda a: rule(a * prof, p0)))
    fd = (rule((a0 + h) * prof, p0) - rule((a0 - h) * prof, p0)) / (2 * h)
    np.testing.assert_allclose(grad_a(a0), fd, rtol=1e-5)
    hess = jax.hessian(lambda a: rule(a * prof, p0))(a0)  # forward over reverse
    fd2 = (grad_a(a0 + h) - grad_a(a0 - h)) / (2 * h)
    np.testing.assert_allclose(hess, fd2, rtol=1e-4)

    # derivative with respect to a table (every line strength scaled by exp(s)): plain JVP
    def scaled(s):
        if calc.method == "premodit":
            return dataclasses.replace(calc, log_values=calc.log_values + s)
        lines = dataclasses.replace(calc.lines, log_strength_ref=calc.lines.log_strength_ref + s)
        return dataclasses.replace(calc, lines=lines)

    got = jax.grad(lambda s: jnp.sum(scaled(s).xsmatrix(t0, p0) * w))(0.01)
    ref = jax.grad(
        lambda s: jnp.sum(jax.lax.map(lambda tp: scaled(s)._xs(tp[0], tp[1]), (t0, p0)) * w)
    )(0.01)
    np.testing.assert_allclose(got, ref, rtol=1e-10)
    assert abs(float(got)) > 0


def test_linelist_is_a_pytree_with_static_metadata(co_lines):
    leaves, treedef = jax.tree_util.tree_flatten(co_lines)
    assert all(isinstance(x, np.ndarray) for x in leaves)
    total = jax.jit(lambda ll: jnp.sum(ll.strength_ref * ll.abundance))(co_lines)
    np.testing.assert_allclose(total, np.sum(co_lines.strength_ref * co_lines.abundance))
    # strings are static: the compiled function sees them as Python values
    assert jax.jit(lambda ll: ll.nu_cm1[0] + len(ll.molecule))(co_lines) == pytest.approx(
        co_lines.nu_cm1[0] + len(co_lines.molecule)
    )
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert isinstance(rebuilt, LineList) and rebuilt.molecule == co_lines.molecule


def test_cia_table_is_a_pytree():
    table = read_cia(datasets.sample_path("h2h2_cia"))
    m = jax.jit(lambda tb: jnp.max(jnp.log(jnp.maximum(tb.coeff, 1e-300))))(table)
    np.testing.assert_allclose(m, np.log(table.coeff.max()))
    assert isinstance(jax.tree_util.tree_map(lambda x: x, table), CIATable)


def test_containers_checked_by_type(co_lines, small):
    _, nu = small

    class Fake:  # duck-typed stand-in: used to be accepted
        nu_cm1 = co_lines.nu_cm1
        strength_ref = co_lines.strength_ref

    with pytest.raises(TypeError, match="LineList"):
        make_calculator(Fake(), nu, method="lpf")
    table = read_cia(datasets.sample_path("h2h2_cia"))

    class FakeCIA:
        coeff, t_k, nu_cm1 = table.coeff, table.t_k, table.nu_cm1

    with pytest.raises(TypeError, match="CIATable"):
        prepare_cia(FakeCIA(), nu)


def test_linedb_import_does_not_import_radis():
    import subprocess
    import sys

    code = "import sys, jaxstro.linedb, jaxstro.opacity; print('radis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("method", ["lpf", "modit", "premodit"])
def test_table_dtype_follows_inputs(small, method):
    """x64 is on in the tests: a float32 grid gives float32 tables and float32 spectra."""
    lines, nu = small
    opts = {"robust_range": ROBUST} if method == "premodit" else {}
    c32 = make_calculator(lines, jnp.asarray(nu, dtype=jnp.float32), method=method, **opts)
    floats = [x for x in jax.tree_util.tree_leaves(c32) if jnp.issubdtype(x.dtype, jnp.floating)]
    assert floats and all(x.dtype == jnp.float32 for x in floats)
    out = c32.xsvector(jnp.float32(1000.0), jnp.float32(1.0))
    assert out.dtype == jnp.float32
    c64 = make_calculator(lines, nu, method=method, **opts)
    assert c64.nu_grid.dtype == jnp.float64
    c_exp = make_calculator(lines, nu, method=method, dtype=jnp.float32, **opts)
    assert c_exp.nu_grid.dtype == jnp.float32
    with pytest.raises(ValueError, match="dtype"):
        make_calculator(lines, nu, method=method, dtype=jnp.int32, **opts)


class TestCIA:
    @pytest.fixture(scope="class")
    def grid(self):
        table = read_cia(datasets.sample_path("h2h2_cia"))
        nu, _, _ = wavenumber_grid(4000.0, 4500.0, 300, unit="cm-1")
        return prepare_cia(table, nu)

    def test_concrete_raises_nan_included(self, grid):
        for t in (grid.t_max + 100.0, grid.t_min - 10.0, np.nan, np.inf):
            with pytest.raises(ValueError, match="t_k"):
                grid.log_coeff_vector(t)
        with pytest.raises(ValueError, match="t_layers"):
            grid.log_coeff_matrix(np.array([grid.t_min, np.nan]))

    def test_traced_nan_and_checked(self, grid):
        f = jax.jit(grid.log_coeff_vector)
        for t in (grid.t_max + 100.0, np.nan):
            assert np.all(np.isnan(np.asarray(f(t))))
        mid = 0.5 * (grid.t_min + grid.t_max)
        np.testing.assert_allclose(np.asarray(f(mid)), np.asarray(grid.log_coeff_vector(mid)))
        rows = np.asarray(jax.jit(grid.log_coeff_matrix)(jnp.array([mid, 1e5])))
        assert np.all(np.isfinite(rows[0])) and np.all(np.isnan(rows[1]))
        assert np.all(np.isnan(np.asarray(jax.jit(grid.coeff_vector)(1e5))))
        with pytest.raises(Exception, match="CIA table"):
            jax.block_until_ready(jax.jit(grid.with_checks().log_coeff_vector)(1e5))

    def test_gradient_in_range(self, grid):
        t0 = 0.37 * grid.t_min + 0.63 * grid.t_max
        f = lambda t: jnp.sum(grid.log_coeff_vector(t))
        h = 1e-3
        fd = (f(t0 + h) - f(t0 - h)) / (2 * h)
        np.testing.assert_allclose(jax.grad(f)(t0), fd, rtol=1e-6)

    def test_dtype_follows_grid(self):
        table = read_cia(datasets.sample_path("h2h2_cia"))
        nu32 = jnp.asarray(np.linspace(4000.0, 4500.0, 50), dtype=jnp.float32)
        g = prepare_cia(table, nu32)
        assert g.log_coeff.dtype == jnp.float32 and g.t_k.dtype == jnp.float32


def test_float32_eslog_grid_accepted_linear_rejected(small):
    lines, nu = small
    c = make_calculator(lines, jnp.asarray(nu, jnp.float32), method="modit")
    assert c.nu_grid.dtype == jnp.float32
    linear = jnp.asarray(np.linspace(nu[0], nu[-1], nu.size), jnp.float32)
    with pytest.raises(ValueError, match="ESLOG"):
        make_calculator(lines, linear, method="modit")


def test_calculator_passed_to_jit_as_argument(calc):
    """Calculators are pytrees: jit the unbound method and pass the tables as arguments."""
    f = jax.jit(type(calc).xsvector)
    np.testing.assert_allclose(
        np.asarray(f(calc, 1000.0, 0.5)), np.asarray(calc.xsvector(1000.0, 0.5)), rtol=1e-12
    )
    assert np.all(np.isnan(np.asarray(f(calc, 2.5 * calc.t_range[1], 0.5))))


def test_partition_ratio_policy(co_lines):
    from jaxstro.opacity import partition_ratio

    pf_t, pf_q = co_lines.pf_t_k, co_lines.pf_q
    want = np.array([np.interp(296.0, pf_t, r) / np.interp(1234.5, pf_t, r) for r in pf_q])
    np.testing.assert_allclose(partition_ratio(1234.5, pf_t, pf_q), want, rtol=1e-13)
    for bad in (pf_t[-1] * 2, pf_t[0] - 1.0, np.nan):
        with pytest.raises(ValueError, match="t_k"):
            partition_ratio(bad, pf_t, pf_q)
    f = jax.jit(lambda t: partition_ratio(t, pf_t, pf_q))
    assert np.all(np.isnan(np.asarray(f(pf_t[-1] * 2))))
    np.testing.assert_allclose(f(1234.5), want, rtol=1e-13)
    g = jax.grad(lambda t: partition_ratio(t, pf_t, pf_q)[0])(1234.5)
    h = 0.2  # Q is linear between nodes 1 K apart: the difference stays in one interval
    fd = (
        want[0] * 0
        + partition_ratio(1234.6, pf_t, pf_q)[0]
        - partition_ratio(1234.4, pf_t, pf_q)[0]
    ) / h
    np.testing.assert_allclose(g, fd, rtol=1e-8)


def test_cia_float32_underflow_is_nan_not_zero():
    """Issue 10 #1: in float32 the ~1e-44 coefficients underflowed to an all-zero vector."""
    table = read_cia(datasets.sample_path("h2h2_cia"))
    nu, _, _ = wavenumber_grid(4000.0, 4500.0, 300, unit="cm-1")
    g32 = prepare_cia(table, jnp.asarray(nu, jnp.float32))
    g64 = prepare_cia(table, nu)
    c32 = np.asarray(g32.coeff_vector(jnp.float32(1000.0)))
    c64 = np.asarray(g64.coeff_vector(1000.0))
    assert np.all(c64 > 0) and np.all(c64 < 1e-38)  # the case: every value below float32 tiny
    assert np.all(np.isnan(c32))
    # the log path is exact in float32 (to its precision)
    np.testing.assert_allclose(
        np.asarray(g32.log_coeff_vector(jnp.float32(1000.0))), np.log(c64), rtol=2e-6
    )
