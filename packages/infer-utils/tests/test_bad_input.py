"""Issue 10: no silently wrong result from a bad start, integer parameters or bad settings."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from gaussians import COV, MEAN, log_post, neg_log_post

from jaxstro import infer_utils as iu

# log(a) is NaN at a < 0 while its gradient 1/a stays finite: the start that went unnoticed
NAN_START = {"a": jnp.array([-1.0, 2.0])}


def nan_objective(p):
    return jnp.sum((p["a"] - 1.0) ** 2) + jnp.log(p["a"][0])


def quad(p):
    return jnp.sum((p["a"] - jnp.array([1.0, -2.0])) ** 2)


# ---- 10a: laplace and minimize_optax at a NaN point raise like L-BFGS / NUTS / Pathfinder


def test_optax_nan_start_raises():
    # before: params [-0.50, 1.51] and NaN losses, no error
    with pytest.raises(ValueError, match="objective is not finite at the initial parameters"):
        iu.minimize_optax(nan_objective, NAN_START, optax.adam(0.1), 5)
    inf_grad = lambda p: jnp.sum(jnp.sqrt(jnp.abs(p["a"])))  # |x|^0.5: gradient inf at 0
    with pytest.raises(ValueError, match=r"gradient of the objective is not finite.*a\[0\]"):
        iu.minimize_optax(inf_grad, {"a": jnp.array([0.0, 1.0])}, optax.adam(0.1), 5)
    with pytest.raises(ValueError, match=r"init_params contains 1 non-finite.*a\[1\]"):
        iu.minimize_optax(quad, {"a": jnp.array([0.0, jnp.nan])}, optax.adam(0.1), 5)


def test_optax_nan_start_under_jit_and_vmap_gives_nan():
    run = jax.jit(lambda p: iu.minimize_optax(nan_objective, p, optax.adam(0.1), 5))
    res = run(NAN_START)
    assert np.all(np.isnan(res.params["a"])) and np.all(np.isnan(res.losses))
    starts = {"a": jnp.array([[-1.0, 2.0], [3.0, 2.0]])}  # member 0 invalid, member 1 valid
    vres = jax.vmap(lambda p: iu.minimize_optax(nan_objective, p, optax.adam(0.1), 5))(starts)
    assert np.all(np.isnan(vres.params["a"][0]))
    one = iu.minimize_optax(nan_objective, {"a": starts["a"][1]}, optax.adam(0.1), 5)
    np.testing.assert_allclose(vres.params["a"][1], one.params["a"], rtol=1e-12)


def test_laplace_nan_start_raises():
    # before: the Hessian of log is finite, so the NaN objective gave log_evidence = NaN
    with pytest.raises(ValueError, match="neg_log_post is not finite at the initial parameters"):
        iu.laplace(nan_objective, NAN_START)
    with pytest.raises(ValueError, match=r"map_params contains 1 non-finite.*a\[0\]"):
        iu.laplace(quad, {"a": jnp.array([jnp.nan, 0.0])})


def test_lbfgs_nuts_pathfinder_share_the_start_check():
    msg = "not finite at the initial parameters"
    with pytest.raises(ValueError, match=msg):
        iu.minimize_lbfgs(nan_objective, NAN_START)
    with pytest.raises(ValueError, match=msg):
        iu.run_pathfinder(lambda p: -nan_objective(p), NAN_START, jax.random.key(0))
    with pytest.raises(ValueError, match=msg):
        iu.run_nuts(lambda p: -nan_objective(p), NAN_START, jax.random.key(0), progress_bar=False)


# ---- low: integer initial parameters are promoted to float


INT_START = {"a": jnp.array([0, 0])}


def test_integer_start_lbfgs_and_optax():
    fit = iu.minimize_lbfgs(quad, INT_START)
    np.testing.assert_allclose(fit.params["a"], [1.0, -2.0], atol=1e-6)
    assert jnp.issubdtype(fit.params["a"].dtype, jnp.floating)
    res = iu.minimize_optax(quad, INT_START, optax.adam(0.2), 200)
    ref = iu.minimize_optax(quad, {"a": jnp.array([0.0, 0.0])}, optax.adam(0.2), 200)
    np.testing.assert_allclose(res.params["a"], ref.params["a"], rtol=1e-12)


def test_integer_start_laplace():
    res = iu.laplace(neg_log_post, {"a": 1, "bc": np.array([-2, 0])})
    ref = iu.laplace(neg_log_post, {"a": 1.0, "bc": np.array([-2.0, 0.0])})
    np.testing.assert_allclose(res.cov, ref.cov, rtol=1e-12)
    np.testing.assert_allclose(res.cov, COV, rtol=1e-10)


def test_integer_start_nuts_and_pathfinder():
    start = {"a": jnp.asarray(1), "bc": jnp.array([-2, 0])}
    # before: "grad requires real-valued inputs"; no warmup keeps the compile small
    res = iu.run_nuts(
        log_post,
        start,
        jax.random.key(1),
        num_warmup=0,
        num_samples=5,
        num_chains=1,
        initial_step_size=0.3,
        progress_bar=False,
    )
    assert jnp.issubdtype(res.flat_samples.dtype, jnp.floating)
    assert np.all(np.isfinite(res.flat_samples))
    pf = iu.run_pathfinder(
        log_post, start, jax.random.key(2), num_samples=400, num_elbo_samples=20, maxiter=30
    )
    np.testing.assert_allclose(np.mean(pf.samples["bc"], axis=0), MEAN[1:], atol=0.3)


def test_integer_start_numpyro_nuts_and_svi():
    model = iu.model_from_logdensity(log_post, {"a": 0.0, "bc": np.zeros(2)})
    start = {"a": 1, "bc": np.array([-2, 0])}
    mc = iu.run_numpyro_nuts(
        model,
        jax.random.key(3),
        num_warmup=50,
        num_samples=20,
        init_params=start,
        progress_bar=False,
    )
    assert np.all(np.isfinite(mc.samples["bc"]))
    svi = iu.run_svi(
        model,
        jax.random.key(4),
        num_steps=20,
        num_samples=5,
        init_params=start,
        progress_bar=False,
    )
    assert np.all(np.isfinite(svi.samples["bc"]))


# ---- the same class elsewhere: bad bounds, counts, non-finite settings


def test_transforms_bad_bounds_raise_eagerly_and_nan_when_traced():
    for lo, hi in [(1.0, 1.0), (2.0, 1.0), (np.nan, 1.0), (0.0, np.nan), (np.inf, np.inf)]:
        with pytest.raises(ValueError, match="lower < upper"):
            iu.to_bounded(0.3, lo, hi)
        with pytest.raises(ValueError, match="lower < upper"):
            iu.log_abs_det_jacobian(0.3, lo, hi)
    # before: lower > upper returned a finite number from the flipped interval
    traced = jax.jit(iu.to_bounded)(0.3, 2.0, 1.0)
    assert np.isnan(traced)
    assert np.isnan(jax.jit(iu.log_abs_det_jacobian)(0.3, 2.0, 1.0))
    assert np.isnan(jax.jit(iu.to_unbounded)(1.5, 2.0, 1.0))


def test_to_unbounded_outside_bounds_raises_and_traced_nan():
    with pytest.raises(ValueError, match=r"x has 1 invalid.*accepted: \[0, 1\]"):
        iu.to_unbounded(jnp.array([0.5, 1.5]), 0.0, 1.0)
    with pytest.raises(ValueError, match="NaN is not accepted"):
        iu.to_bounded(jnp.nan, 0.0, 1.0)
    assert np.isnan(jax.jit(iu.to_unbounded)(1.5, 0.0, 1.0))
    assert np.isnan(jax.jit(iu.to_unbounded)(-0.5, 0.0, jnp.inf))
    assert iu.to_unbounded(1.0, 0.0, 1.0) == np.inf  # on the bound: the limit


def test_integer_value_in_transforms():
    # before: integer u cast the bounds to int (lower 0.5 -> 0)
    np.testing.assert_allclose(iu.to_bounded(0, 0.5, 1.5), 1.0, rtol=1e-15)
    np.testing.assert_allclose(iu.to_unbounded(1, 0.5, 1.5), 0.0, atol=1e-15)
    np.testing.assert_allclose(iu.log_abs_det_jacobian(0, 0.5, 1.5), np.log(0.25), rtol=1e-14)


def test_flat_bounds_and_model_bounds_reject_nan_and_reversed():
    layout = iu.make_layout({"a": 0.0})
    with pytest.raises(ValueError, match="lower < upper"):
        iu.flat_bounds({"a": (np.nan, 1.0)}, layout)
    with pytest.raises(ValueError, match=r"bounds\['a'\] must have lower < upper"):
        iu.model_from_logdensity(lambda p: 0.0, {"a": 0.0}, bounds={"a": (1.0, 0.0)})


def test_bad_counts_and_settings():
    with pytest.raises(ValueError, match="num_steps must be an integer >= 1"):
        iu.minimize_optax(quad, {"a": jnp.zeros(2)}, optax.adam(0.1), 0)
    with pytest.raises(ValueError, match="maxiter must be an integer >= 1"):
        iu.minimize_lbfgs(quad, {"a": jnp.zeros(2)}, maxiter=-1)
    res = iu.laplace(quad, {"a": jnp.array([1.0, -2.0])})
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        iu.laplace_sample(res, jax.random.key(0), -3)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        iu.run_pathfinder(
            log_post, {"a": 0.0, "bc": jnp.zeros(2)}, jax.random.key(0), num_samples=0
        )
    with pytest.raises(ValueError, match="init_scale"):
        iu.run_nuts(log_post, {"a": 0.0, "bc": jnp.zeros(2)}, jax.random.key(0), init_scale=np.nan)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        iu.run_numpyro_nuts(lambda: None, jax.random.key(0), num_samples=2.5)
    with pytest.raises(ValueError, match="num_particles must be an integer >= 1"):
        iu.run_svi(lambda: None, jax.random.key(0), num_particles=0)
    with pytest.raises(ValueError, match="learning_rate"):
        iu.run_svi(lambda: None, jax.random.key(0), learning_rate=-1e-3)
