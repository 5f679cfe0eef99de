"""Issue 10 (bad-input audit): every public function of jaxstro.opacity either gives the right
number or follows the out-of-range policy (concrete -> ValueError naming the argument, the value
and the accepted range; traced -> NaN with a NaN gradient), and integer inputs are promoted to
the floating dtype at the boundary. Each test below failed (a finite wrong number, an obscure
error or a silent acceptance) before the fix it names."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import TINY_ROBUST
from scipy.special import voigt_profile, wofz

from jaxstro.linedb import datasets, read_cia
from jaxstro.opacity import (
    doppler_sigma,
    elower_node_spacing,
    faddeeva,
    line_strength,
    make_calculator,
    partition_ratio,
    prepare_cia,
    pressure_gamma,
    rayleigh_cross_section,
    voigt,
    voigt_hjerting,
    wavenumber_grid,
)

GAMMA_REF = np.array([[0.06, 0.03], [0.05, 0.02]])
N_TEMP = np.array([[0.6, 0.4], [0.7, 0.5]])
FRACTIONS = np.array([0.85, 0.15])

# ------------------------------------------------------------------------------------------
# voigt, voigt_hjerting, faddeeva


@pytest.mark.parametrize(
    "args,name",
    [
        ((0.1, -0.1, 0.05), "sigma_cm1"),  # the issue's case: gave -2.81 (a negative profile)
        ((0.1, 0.0, 0.05), "sigma_cm1"),
        ((0.1, np.nan, 0.05), "sigma_cm1"),
        ((0.1, np.inf, 0.05), "sigma_cm1"),  # gave 0
        ((0.1, 0.1, -0.05), "gamma_cm1"),  # gave +2.81, a plausible number
        ((0.1, 0.1, np.nan), "gamma_cm1"),
        ((0.1, 0.1, np.inf), "gamma_cm1"),
        ((np.nan, 0.1, 0.05), "x_cm1"),
        ((np.array([0.0, np.inf]), 0.1, 0.05), "x_cm1"),
    ],
)
def test_voigt_out_of_range_raises_eagerly(args, name):
    with pytest.raises(ValueError, match=rf"{name} must be .*; got \[") as err:
        voigt(*args)
    assert "finite" in str(err.value)


def test_voigt_out_of_range_is_nan_under_jit_vmap_grad():
    x = jnp.linspace(-1.0, 1.0, 5)
    f = jax.jit(voigt)
    assert np.all(np.isnan(np.asarray(f(x, -0.1, 0.05))))  # was finite (negative)
    assert np.all(np.isnan(np.asarray(f(x, 0.1, -0.05))))  # was finite
    sig = jnp.array([0.1, -0.1, 0.2])
    rows = np.asarray(jax.jit(jax.vmap(lambda s: voigt(x, s, 0.05)))(sig))
    assert np.all(np.isnan(rows[1])) and np.all(np.isfinite(rows[[0, 2]]))
    np.testing.assert_allclose(rows[2], voigt_profile(np.asarray(x), 0.2, 0.05), rtol=1e-7)
    loss = lambda s: jnp.sum(voigt(x, s, 0.05))
    assert np.isnan(jax.grad(loss)(-0.1))
    g = jax.grad(loss)(0.2)
    fd = (loss(0.2 + 1e-6) - loss(0.2 - 1e-6)) / 2e-6
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    # one bad x: NaN there only
    out = np.asarray(f(jnp.array([0.0, jnp.nan, 0.3]), 0.1, 0.05))
    assert np.isnan(out[1]) and np.all(np.isfinite(out[[0, 2]]))


def test_voigt_hjerting_integer_u_is_promoted():
    """H(0.5, 1) with an integer u cast a = 0.5 to int (0): 0.3679 = H(0, 1) instead of 0.3549."""
    want = wofz(1.0 + 0.5j).real
    np.testing.assert_allclose(voigt_hjerting(1, 0.5), want, rtol=1e-8)
    np.testing.assert_allclose(jax.jit(voigt_hjerting)(1, 0.5), want, rtol=1e-8)
    np.testing.assert_allclose(
        voigt_hjerting(np.array([1, 2]), 0.5), wofz([1 + 0.5j, 2 + 0.5j]).real
    )
    # broadcasting against a (it required the same shape before)
    u = np.linspace(-2, 2, 5)
    a = np.array([[0.1], [1.0]])
    np.testing.assert_allclose(voigt_hjerting(u, a), wofz(u + 1j * a).real, rtol=1e-8)
    with pytest.raises(ValueError, match="a must be >= 0"):
        voigt_hjerting(0.5, -0.3)  # gave 1.013
    assert np.isnan(jax.jit(voigt_hjerting)(0.5, -0.3))


def test_faddeeva_whole_plane_and_dtypes():
    """The lower half plane was 'not supported, no error raised' (the asymptotic branch is
    wrong there); now w(z) = 2 exp(-z^2) - w(-z). Real float32 input skipped the float32
    branch (the dtype test looked for complex64)."""
    z = np.array([1.0 - 0.5j, -3.0 - 0.2j, 10.0 - 1.0j, -9.0 - 2.0j, 0.3 - 4.0j, 20.0 - 0.01j])
    np.testing.assert_allclose(np.asarray(faddeeva(z)), wofz(z), rtol=1e-8)
    np.testing.assert_allclose(np.asarray(jax.jit(faddeeva)(z)), wofz(z), rtol=1e-8)
    assert faddeeva(np.float32(3.0)).dtype == jnp.complex64
    assert faddeeva(3).dtype == jnp.complex128  # x64 on in the tests: the default complex
    np.testing.assert_allclose(faddeeva(3), wofz(3.0), rtol=1e-8)
    # the analytic derivative holds in the lower half plane too
    zc = 1.0 - 0.5j
    d = jax.jacfwd(lambda x: faddeeva(x - 0.5j))(1.0)
    np.testing.assert_allclose(d, -2 * zc * wofz(zc) + 2j / np.sqrt(np.pi), rtol=1e-8)
    for bad in (np.nan, np.inf + 0j, complex(1.0, np.nan)):
        with pytest.raises(ValueError, match="z must be finite"):
            faddeeva(bad)
        assert np.isnan(jax.jit(faddeeva)(bad))


# ------------------------------------------------------------------------------------------
# line physics helpers


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: doppler_sigma(4300.0, -100.0, 28.0), "t_k"),  # gave NaN
        (lambda: doppler_sigma(4300.0, 0.0, 28.0), "t_k"),
        (lambda: doppler_sigma(4300.0, np.nan, 28.0), "t_k"),
        (lambda: doppler_sigma(-4300.0, 1000.0, 28.0), "nu_cm1"),  # gave a negative width
        (lambda: doppler_sigma(4300.0, 1000.0, 0.0), "molmass_amu"),
        (lambda: pressure_gamma(-100.0, 1.0, GAMMA_REF, N_TEMP, FRACTIONS), "t_k"),
        (lambda: pressure_gamma(800.0, -1.0, GAMMA_REF, N_TEMP, FRACTIONS), "p_bar"),
        (lambda: pressure_gamma(800.0, np.inf, GAMMA_REF, N_TEMP, FRACTIONS), "p_bar"),
        (lambda: pressure_gamma(800.0, 1.0, -GAMMA_REF, N_TEMP, FRACTIONS), "gamma_ref"),
        (lambda: pressure_gamma(800.0, 1.0, GAMMA_REF, N_TEMP * np.nan, FRACTIONS), "n_temp"),
        (lambda: pressure_gamma(800.0, 1.0, GAMMA_REF, N_TEMP, -FRACTIONS), "fractions"),
        (lambda: line_strength(-100.0, 1e-20, 3000.0, 4300.0, 1.0), "t_k"),  # gave -8.9e31
        (lambda: line_strength(1000.0, -1e-20, 3000.0, 4300.0, 1.0), "strength_ref"),
        (lambda: line_strength(1000.0, 1e-20, np.nan, 4300.0, 1.0), "elower_cm1"),
        (lambda: line_strength(1000.0, 1e-20, 3000.0, 0.0, 1.0), "nu_cm1"),
        (lambda: line_strength(1000.0, 1e-20, 3000.0, 4300.0, -1.0), "q_ratio"),
        (lambda: line_strength(1000.0, 1e-20, 3000.0, 4300.0, 1.0, t_ref_k=0.0), "t_ref_k"),
    ],
)
def test_line_helpers_out_of_range_raise(call, name):
    with pytest.raises(ValueError, match=rf"{name} must be"):
        call()


def test_line_helpers_traced_nan_and_gradient():
    f = jax.jit(lambda t: doppler_sigma(4300.0, t, 28.0))
    assert np.isnan(f(-100.0)) and np.isfinite(f(1000.0))
    assert np.isnan(jax.grad(lambda t: doppler_sigma(4300.0, t, 28.0))(-100.0))
    g = jax.jit(lambda t, p: pressure_gamma(t, p, GAMMA_REF, N_TEMP, FRACTIONS))
    assert np.all(np.isnan(g(-5.0, 1.0))) and np.all(np.isnan(g(800.0, jnp.nan)))
    # a bad gamma_ref row poisons its own line only; a bad fraction every line
    h = jax.jit(lambda gr, fr: pressure_gamma(800.0, 1.0, gr, N_TEMP, fr))
    out = np.asarray(h(GAMMA_REF * np.array([[1.0], [-1.0]]), FRACTIONS))
    assert np.isfinite(out[0]) and np.isnan(out[1])
    assert np.all(np.isnan(h(GAMMA_REF, np.array([0.85, np.nan]))))
    s = jax.jit(lambda t: line_strength(t, 1e-20, 3000.0, 4300.0, 1.0))
    assert np.isnan(s(-100.0)) and np.isnan(s(jnp.inf))
    np.testing.assert_allclose(s(296.0), 1e-20, rtol=1e-12)
    # vmap: NaN for the offending member only
    v = jax.vmap(lambda t: line_strength(t, 1e-20, 3000.0, 4300.0, 1.0))(jnp.array([800.0, -1.0]))
    assert np.isfinite(v[0]) and np.isnan(v[1])


def test_line_helpers_integer_inputs():
    np.testing.assert_array_equal(
        doppler_sigma(4300, 1000, 28), doppler_sigma(4300.0, 1000.0, 28.0)
    )
    np.testing.assert_array_equal(
        line_strength(np.array([1500]), 1e-20, 3000, 4300, 1),
        line_strength(np.array([1500.0]), 1e-20, 3000.0, 4300.0, 1.0),
    )
    np.testing.assert_array_equal(
        pressure_gamma(800, 2, GAMMA_REF, N_TEMP, FRACTIONS),
        pressure_gamma(800.0, 2.0, GAMMA_REF, N_TEMP, FRACTIONS),
    )


def test_partition_ratio_bad_table_and_integer_t(co_lines):
    pf_t, pf_q = co_lines.pf_t_k, co_lines.pf_q
    np.testing.assert_array_equal(
        partition_ratio(1234, pf_t, pf_q), partition_ratio(1234.0, pf_t, pf_q)
    )
    with pytest.raises(ValueError, match="pf_t_k must be finite, positive and strictly"):
        partition_ratio(1000.0, pf_t[::-1], pf_q[:, ::-1])
    with pytest.raises(ValueError, match="pf_q must be positive"):
        partition_ratio(1000.0, pf_t, np.where(pf_t > 900, np.nan, pf_q))
    with pytest.raises(ValueError, match="t_ref_k"):
        partition_ratio(1000.0, pf_t, pf_q, t_ref_k=1e6)  # Q(T_ref) was clamped to the table
    with pytest.raises(ValueError, match="shapes"):
        partition_ratio(1000.0, pf_t, pf_q[:, :-1])
    # a traced table that is malformed gives NaN
    f = jax.jit(lambda q: partition_ratio(1000.0, pf_t, q))
    assert np.all(np.isnan(f(-pf_q)))


# ------------------------------------------------------------------------------------------
# grids and the other eager helpers


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((1, np.inf, 10), {}, "stop must be a positive finite"),  # gave an all-NaN grid
        ((np.nan, 2, 10), {}, "start must be a positive finite"),
        ((-1, 2, 10), {}, "start must be a positive finite"),
        ((0, 2, 10), {}, "start must be a positive finite"),
        ((2, 2, 10), {}, "start and stop must be distinct"),
        ((1, 2, 1), {}, "n must be an integer >= 2"),
        ((1, 2, np.nan), {}, "n must be an integer >= 2"),  # 'cannot convert float NaN'
        ((1, 2, np.inf), {}, "n must be an integer >= 2"),  # OverflowError
        ((1, 2, 2.5), {}, "n must be an integer >= 2"),
        ((1, 2, True), {}, "n must be an integer >= 2"),
        ((1, 2, "10"), {}, "n must be an integer >= 2"),
        (("a", 2, 10), {}, "start must be a positive finite"),
        ((1, 1 + 1e-15, 1000), {}, "distinct finite float64"),  # gave 1000 equal points
        ((1e-320, 1, 10), {"unit": "um"}, "distinct finite float64"),  # overflowed to inf
        ((1, 2, 10), {"unit": "GHz"}, "unit must be one of"),
        ((1, 2, 10), {"unit": ["cm-1"]}, "unit must be one of"),
        ((1, 2, 10), {"mode": "log"}, "mode must be"),
    ],
)
def test_wavenumber_grid_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        wavenumber_grid(*args, **kwargs)


def test_wavenumber_grid_integer_and_float_ends_agree():
    a = wavenumber_grid(4300, 4310, 11)
    b = wavenumber_grid(4300.0, 4310.0, 11.0)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "args,match",
    [
        ((np.nan, 2000.0, 1e-3), "t_low"),  # returned 1e-3 silently
        ((500.0, np.inf, 1e-3), "t_high"),
        ((2000.0, 500.0, 1e-3), "t_low must be below t_high"),  # returned 83 cm^-1
        ((500.0, 2000.0, -1e-3), "tolerance"),  # returned 1e-3
        ((500.0, 2000.0, np.nan), "tolerance"),
        ((500.0, 2000.0, 1e-14), "below what a 1e-3 cm"),  # returned a spacing that errs more
    ],
)
def test_elower_node_spacing_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        elower_node_spacing(*args)


def test_rayleigh_domain_and_dtypes():
    for nu in (-2e4, 0.0, np.nan, np.inf):  # -2e4 gave the value at +2e4
        for species in ("H2", "He"):
            with pytest.raises(ValueError, match="nu_cm1 must be"):
                rayleigh_cross_section(np.array([1e4, nu]), species)
    with pytest.raises(ValueError, match=r"\(0, 1e5\]"):
        rayleigh_cross_section(2e5, "H2")  # beyond the fit's validity
    f = jax.jit(lambda nu: rayleigh_cross_section(nu, "H2"))
    out = np.asarray(f(jnp.array([2e4, -2e4, 2e5])))
    assert np.isfinite(out[0]) and np.all(np.isnan(out[1:]))
    np.testing.assert_array_equal(
        rayleigh_cross_section(np.array([20000]), "He"),
        rayleigh_cross_section(np.array([20000.0]), "He"),
    )
    with jax.enable_x64(False):
        # int32 nu**4 overflowed (-0.0), and the He constant (1.6e-45) flushed to 0 in float32
        he_int = np.asarray(rayleigh_cross_section(np.array([20000], np.int32), "He"))
        he_32 = np.asarray(rayleigh_cross_section(np.array([20000.0], np.float32), "He"))
        h2_32 = np.asarray(rayleigh_cross_section(np.array([20000.0], np.float32), "H2"))
    he_64 = np.asarray(rayleigh_cross_section(np.array([20000.0]), "He"))
    h2_64 = np.asarray(rayleigh_cross_section(np.array([20000.0]), "H2"))
    np.testing.assert_allclose(he_int, he_64, rtol=1e-6)
    np.testing.assert_allclose(he_32, he_64, rtol=1e-6)
    np.testing.assert_allclose(h2_32, h2_64, rtol=1e-6)


# ------------------------------------------------------------------------------------------
# calculators and CIA: bad tables, bad grids, integer T / P


def _bad_grids(nu):
    return {
        "inf at the end": np.concatenate([nu[:-1], [np.inf]]),  # was accepted
        "NaN inside": np.where(np.arange(nu.size) == 5, np.nan, nu),
        "not increasing": nu[::-1],
        "negative": nu - nu[50],
        "2-D": nu.reshape(2, -1),
    }


@pytest.mark.parametrize("method", ["lpf", "modit", "premodit"])
def test_calculators_reject_bad_grids(tiny_lines, method):
    lines, nu = tiny_lines
    for what, grid in _bad_grids(nu).items():
        with pytest.raises(ValueError, match="nu_grid must be"):
            make_calculator(lines, grid, method=method, margin_cm1=3.0)
            pytest.fail(what)


LINE_CORRUPTIONS = {
    "nu_cm1": np.nan,
    "strength_ref": -1e-20,
    "elower_cm1": np.inf,
    "gamma_ref": np.nan,
    "n_temp": np.nan,
    "delta_ref": np.nan,
    "abundance": np.nan,
    "molmass_amu": 0.0,
}


@pytest.mark.parametrize("field", sorted(LINE_CORRUPTIONS))
def test_calculators_reject_linelists_with_bad_fields(tiny_lines, field):
    """A NaN width or strength propagated into every cross-section point (or, as a NaN line
    centre, silently dropped the line); now a ValueError naming the field and the line."""
    lines, nu = tiny_lines
    v = np.array(getattr(lines, field), dtype=np.float64)
    v[3] = LINE_CORRUPTIONS[field]
    bad = lines._replace(**{field: v})
    for method in ("lpf", "premodit"):
        with pytest.raises(ValueError, match=rf"lines\.{field} must be .*line 3 has"):
            make_calculator(bad, nu, method=method, margin_cm1=3.0)


def test_calculators_reject_bad_tables_and_options(tiny_lines):
    lines, nu = tiny_lines
    cases = [
        (lines._replace(pf_index=lines.pf_index + 100), {}, "pf_index"),
        (lines._replace(pf_q=-lines.pf_q), {}, "pf_q"),
        (lines._replace(pf_t_k=lines.pf_t_k[::-1]), {}, "pf_t_k"),
        (lines._replace(broadener_fractions=np.array([np.nan])), {}, "broadener_fractions"),
        (lines._replace(gamma_ref=lines.gamma_ref[:, :0]), {}, "gamma_ref must be a numeric"),
        (lines, {"margin_cm1": np.inf}, "margin_cm1"),
        (lines, {"margin_cm1": np.nan}, "margin_cm1"),
    ]
    for bad, opts, match in cases:
        with pytest.raises(ValueError, match=match):
            make_calculator(bad, nu, method="lpf", **({"margin_cm1": 3.0} | opts))
    with pytest.raises(ValueError, match="chunk"):
        make_calculator(lines, nu, method="lpf", margin_cm1=3.0, chunk=0)
    with pytest.raises(ValueError, match="t_min_k"):
        make_calculator(lines, nu, method="modit", margin_cm1=3.0, t_min_k=np.nan)
    for ov in (2.5, 0, np.nan, 100):  # PreMODIT took int(2.5) = 2 silently
        with pytest.raises(ValueError, match="oversample"):
            make_calculator(lines, nu, method="premodit", margin_cm1=3.0, oversample=ov)
    with pytest.raises(ValueError, match="robust_range"):
        make_calculator(lines, nu, method="premodit", robust_range=(500.0, 1000.0, 2000.0))


@pytest.mark.parametrize("method", ["lpf", "modit", "premodit"])
def test_calculators_integer_t_p_same_as_float(tiny_calcs, method):
    calc = tiny_calcs[method][0]
    f = jax.jit(calc.xsvector)
    np.testing.assert_array_equal(f(1000, 1), f(1000.0, 1.0))
    g = jax.jit(calc.xsmatrix)
    np.testing.assert_array_equal(
        g(np.array([800, 1200]), np.array([1, 2])),
        g(np.array([800.0, 1200.0]), 1.0 + np.arange(2.0)),
    )
    lo, _ = calc.t_range
    with pytest.raises(ValueError, match="t_k"):
        calc.xsvector(int(lo) - 1, 1)
    if method == "premodit":
        assert calc.t_range == TINY_ROBUST


@pytest.fixture(scope="module")
def cia_table():
    return read_cia(datasets.sample_path("h2h2_cia"))


def test_prepare_cia_rejects_bad_tables(cia_table):
    """A NaN inside a .cia row was read as 'no absorption' (log floor) without a word."""
    nu, _, _ = wavenumber_grid(4000.0, 4500.0, 50)
    c = cia_table.coeff.copy()
    c[3, 700] = np.nan
    cases = [
        (cia_table._replace(coeff=c), "coeff must be finite and >= 0.*at T = "),
        (cia_table._replace(coeff=-cia_table.coeff), "coeff must be finite and >= 0"),
        (cia_table._replace(nu_cm1=cia_table.nu_cm1[::-1]), "nu_cm1 must be finite, positive"),
        (
            cia_table._replace(t_k=cia_table.t_k[::-1], coeff=cia_table.coeff[::-1]),
            "t_k must be finite",
        ),
        (cia_table._replace(coeff=cia_table.coeff[:, :-1]), "coeff must have shape"),
        (cia_table._replace(t_k=cia_table.t_k[:1], coeff=cia_table.coeff[:1]), "temperature"),
    ]
    for bad, match in cases:
        with pytest.raises(ValueError, match=match):
            prepare_cia(bad, nu)
    with pytest.raises(ValueError, match="nu_grid must be positive and finite"):
        prepare_cia(cia_table, np.array([4000.0, 4100.0, np.inf]))


def test_cia_integer_temperature(cia_table):
    nu, _, _ = wavenumber_grid(4000.0, 4500.0, 50)
    grid = prepare_cia(cia_table, nu)
    np.testing.assert_array_equal(grid.log_coeff_vector(1000), grid.log_coeff_vector(1000.0))
    np.testing.assert_array_equal(
        grid.log_coeff_matrix(np.array([500, 1000])), grid.log_coeff_matrix(np.array([500.0, 1e3]))
    )
