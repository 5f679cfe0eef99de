"""SEDModel's contracts: a pytree whose tables are arguments (not compile-time constants) and
that never retraces for new parameter values; the out-of-range policy (raise when concrete,
NaN when traced, ``with_checks()`` raises inside jit, gradients in range unaffected); scalar
parameters; precision that follows the inputs."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import TRUTH, UGRIZ

from jaxstro import sedphys as sp


@pytest.fixture(scope="module")
def model(ssp, dpl_spec):
    return sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ))


def _outside(spec):
    """TRUTH with tau_gyr above its prior's upper bound."""
    hi = spec.bounds["tau_gyr"][1]
    return {**TRUTH, "tau_gyr": hi * 1.5}


def test_model_is_a_pytree(model):
    leaves, treedef = jax.tree_util.tree_flatten(model)
    assert all(isinstance(x, jax.Array) for x in leaves)
    # the SSP fluxes are leaves (arguments), not hidden state
    n_flux = sum(x.size for x in leaves if x.ndim == 2 and x.shape[-1] == model.ssp.wave_aa.size)
    assert n_flux >= model.ssp.flux.shape[0] * model.ssp.flux.shape[1] * model.ssp.wave_aa.size
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    np.testing.assert_allclose(
        rebuilt.predict_photometry(TRUTH), model.predict_photometry(TRUTH), rtol=1e-14
    )
    assert rebuilt.observation.filters == tuple(UGRIZ)


def test_tables_are_arguments_not_constants(model):
    """The unbound, jitted method holds no large constant; the bound one captures the grid."""
    as_arg = jax.make_jaxpr(sp.SEDModel.predict_photometry)(model, TRUTH)
    const_bytes = sum(np.asarray(c).nbytes for c in as_arg.consts)
    captured = jax.make_jaxpr(model.predict_photometry)(TRUTH)
    captured_bytes = sum(np.asarray(c).nbytes for c in captured.consts)
    grid_bytes = model.ssp.flux.nbytes
    assert const_bytes < 1e-3 * grid_bytes  # measured: a few hundred bytes
    assert captured_bytes > 0.3 * grid_bytes  # the photometry slice of the grid, at least


def test_no_retrace_for_new_parameter_values(model, dpl_spec):
    traces = []

    def photometry(m, p):
        traces.append(1)
        return sp.SEDModel.predict_photometry(m, p)

    f = jax.jit(photometry)
    draws = dpl_spec.sample_batch(jax.random.PRNGKey(0), 4)
    outs = [f(model, {k: v[i] for k, v in draws.items()}) for i in range(4)]
    assert len(traces) == 1
    for i, out in enumerate(outs):
        want = model.predict_photometry({k: v[i] for k, v in draws.items()})
        np.testing.assert_allclose(out, want, rtol=1e-12)
    # a model with equal configuration and tables reuses the compiled function too
    twin = jax.tree_util.tree_map(jnp.copy, model)
    f(twin, {k: v[0] for k, v in draws.items()})
    assert len(traces) == 1


def test_concrete_out_of_range_raises(model, dpl_spec):
    bad = _outside(dpl_spec)
    for method in (model.predict_photometry, model.predict_spectrum, model.derived):
        with pytest.raises(ValueError, match="tau_gyr"):
            method(bad)
    with pytest.raises(ValueError, match="tau_gyr"):
        model.predict_photometry({**TRUTH, "tau_gyr": np.nan})


def test_traced_out_of_range_is_nan(model, dpl_spec):
    bad = _outside(dpl_spec)
    phot = jax.jit(sp.SEDModel.predict_photometry)
    assert np.all(np.isnan(np.asarray(phot(model, bad))))
    assert np.all(np.isnan(np.asarray(phot(model, {**TRUTH, "logzsol": jnp.inf}))))
    np.testing.assert_allclose(phot(model, TRUTH), model.predict_photometry(TRUTH), rtol=1e-12)
    spec = jax.jit(sp.SEDModel.predict_spectrum)(model, bad)
    assert np.all(np.isnan(np.asarray(spec.fnu_maggies)))
    derived = jax.jit(sp.SEDModel.derived)(model, bad)
    assert all(np.isnan(float(v)) for v in derived.values())
    # vmap: NaN exactly for the out-of-range member
    batch = {k: jnp.array([v, bad[k]]) for k, v in TRUTH.items()}
    out = np.asarray(jax.jit(jax.vmap(model.predict_photometry))(batch))
    assert np.all(np.isfinite(out[0])) and np.all(np.isnan(out[1]))
    # log_prob: -inf outside the support, with a zero (not NaN) gradient
    m_obs = sp.SEDModel(
        dpl_spec,
        model.ssp,
        sp.Observation(UGRIZ, np.asarray(model.predict_photometry(TRUTH)), np.full(5, 1e-10)),
    )
    lp = jax.jit(sp.SEDModel.log_prob)
    assert float(lp(m_obs, bad)) == -np.inf
    g = jax.grad(lambda p: sp.SEDModel.log_prob(m_obs, p))(bad)
    assert all(float(v) == 0.0 for v in g.values())
    assert np.isnan(float(jax.jit(sp.SEDModel.log_likelihood)(m_obs, bad)))


def test_checked_mode_raises_inside_jit(model, dpl_spec):
    checked = model.with_checks()
    f = jax.jit(sp.SEDModel.predict_photometry)
    np.testing.assert_allclose(f(checked, TRUTH), model.predict_photometry(TRUTH), rtol=1e-12)
    with pytest.raises(Exception, match="outside their prior's support") as err:
        jax.block_until_ready(f(checked, _outside(dpl_spec)))
    assert "tau_gyr" in str(err.value)
    assert not model.checked and checked.with_checks(False).checked is False


def test_gradient_in_range_unaffected(model):
    """Gradient of the guarded, jitted pytree call = gradient of the unguarded core, and it
    matches central finite differences (float64)."""

    def guarded(p):
        return jnp.sum(jnp.log(sp.SEDModel.predict_photometry(model, p)))

    def core(p):
        return jnp.sum(jnp.log(model._photometry(model.spec.complete(p))))

    g = jax.jit(jax.grad(guarded))(TRUTH)
    g_core = jax.grad(core)(TRUTH)
    for k in TRUTH:
        np.testing.assert_allclose(g[k], g_core[k], rtol=1e-12, atol=1e-14)
    for k in ("tau_gyr", "logzsol", "tau_diff"):
        h = 1e-5 * max(abs(TRUTH[k]), 1.0)
        fd = (core({**TRUTH, k: TRUTH[k] + h}) - core({**TRUTH, k: TRUTH[k] - h})) / (2 * h)
        np.testing.assert_allclose(g[k], fd, rtol=1e-5, atol=1e-8)


def test_array_where_scalar_expected(model):
    """Issue 10's reproducer: tau_gyr=[2, 5] returned magnitudes matching neither value."""
    with pytest.raises(ValueError, match=r"tau_gyr.*scalar.*vmap"):
        model.predict_photometry({**TRUTH, "tau_gyr": np.array([2.0, 5.0])})
    with pytest.raises(ValueError, match="scalar"):
        jax.jit(model.predict_photometry)({**TRUTH, "alpha": jnp.ones(3)})


def test_precision_follows_inputs(model, dpl_spec):
    x32 = jnp.float32(0.3)
    assert sp.luminosity_distance_mpc(x32).dtype == jnp.float32
    assert sp.age_at_z_gyr(x32).dtype == jnp.float32
    for name in dpl_spec.free_params:
        lp = dpl_spec.priors[name].log_prob(jnp.asarray(TRUTH[name], jnp.float32))
        assert lp.dtype == jnp.float32, name


def test_param_spec_equality_is_by_value():
    a = sp.ParamSpec({"x": sp.Uniform(0.0, 1.0), "z": sp.Fixed(0.1)})
    b = sp.ParamSpec({"x": sp.Uniform(0.0, 1.0), "z": sp.Fixed(0.1)})
    c = sp.ParamSpec({"x": sp.Uniform(0.0, 2.0), "z": sp.Fixed(0.1)})
    assert a == b and hash(a) == hash(b) and a != c


def test_import_order_does_not_change_precision(model):
    """Enabling x64 after importing sedphys gives the float64 result of a fresh x64 process."""
    code = """
import sys, jax
late = sys.argv[1] == "late"
if not late:
    jax.config.update("jax_enable_x64", True)
from jaxstro import sedphys as sp
if late:
    jax.config.update("jax_enable_x64", True)
spec = sp.default_spec(redshift=0.1)
m = sp.SEDModel(spec, sp.load_ssp(), sp.Observation(sp.SDSS_UGRIZ))
p = sp.default_truth()
print(repr(float(spec.log_prior(p))), *[repr(float(v)) for v in m.predict_photometry(p)])
"""
    outs = [
        subprocess.run(
            [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True
        ).stdout.split()
        for mode in ("early", "late")
    ]
    np.testing.assert_array_equal(np.array(outs[0], float), np.array(outs[1], float))
