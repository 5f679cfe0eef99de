import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from gaussians import COV, INIT, MEAN, PREC, log_post, neg_log_post, to_vec

from jaxstro import infer_utils as iu


def test_lbfgs_finds_gaussian_mode():
    res = iu.minimize_lbfgs(neg_log_post, INIT)
    assert res.success and res.nit > 0 and res.nfev >= res.nit
    np.testing.assert_allclose(to_vec(res.params), MEAN, atol=1e-7)
    assert res.grad_norm < 1e-6
    assert res.params["bc"].shape == (2,)


def test_lbfgs_with_active_bound_matches_closed_form():
    # constrain a <= 0 (the unconstrained mode has a = 1): the solution sits on the bound and
    # the rest is the conditional mode given a = 0.
    res = iu.minimize_lbfgs(neg_log_post, INIT, bounds={"a": (None, 0.0)})
    cond = MEAN[1:] + COV[1:, :1] @ np.linalg.solve(COV[:1, :1], np.array([0.0 - MEAN[0]]))
    assert res.success
    np.testing.assert_allclose(res.params["a"], 0.0, atol=1e-10)
    np.testing.assert_allclose(res.params["bc"], cond, atol=1e-6)


def test_lbfgs_rejects_non_finite_start_and_outside_bounds():
    with pytest.raises(ValueError, match="not finite at the initial parameters"):
        iu.minimize_lbfgs(lambda p: jnp.log(p["x"]), {"x": -1.0})
    with pytest.raises(ValueError, match="outside bounds"):
        iu.minimize_lbfgs(neg_log_post, INIT, bounds={"a": (0.5, 2.0)})


def test_lbfgs_extra_args_and_progress():
    res = iu.minimize_lbfgs(lambda p, s: s * neg_log_post(p), INIT, args=(2.0,), progress=True)
    np.testing.assert_allclose(to_vec(res.params), MEAN, atol=1e-7)


def test_optax_adam_scan_converges_and_returns_trajectory():
    res = iu.minimize_optax(neg_log_post, INIT, optax.adam(0.05), 2000)
    assert res.losses.shape == (2000,) and res.trajectory["bc"].shape == (2000, 2)
    np.testing.assert_allclose(to_vec(res.params), MEAN, atol=1e-4)
    assert res.losses[-1] < res.losses[0]


def test_optax_jit_and_vmap_over_starts():
    run = jax.jit(lambda p: iu.minimize_optax(neg_log_post, p, optax.adam(0.05), 1500).params)
    starts = {"a": jnp.array([-1.0, 3.0]), "bc": jnp.array([[0.0, 0.0], [2.0, -4.0]])}
    out = jax.vmap(run)(starts)
    np.testing.assert_allclose(to_vec(out), np.tile(MEAN, (2, 1)), atol=1e-3)
    with pytest.raises(ValueError, match="num_steps"):
        iu.minimize_optax(neg_log_post, INIT, optax.adam(0.1), 0)


def test_laplace_is_exact_for_gaussian():
    fit = iu.minimize_lbfgs(neg_log_post, INIT)
    lap = iu.laplace(neg_log_post, fit.params)
    np.testing.assert_allclose(lap.cov, COV, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(lap.hessian, PREC, rtol=1e-10)
    # unnormalised Gaussian: Z = (2 pi)^(d/2) |COV|^(1/2)
    log_z = 1.5 * np.log(2 * np.pi) + 0.5 * np.log(np.linalg.det(COV))
    np.testing.assert_allclose(lap.log_evidence, log_z, rtol=1e-10)
    np.testing.assert_allclose(lap.std["bc"], np.sqrt(np.diag(COV))[1:], rtol=1e-8)
    draws = iu.laplace_sample(lap, jax.random.key(1), 20000)
    v = to_vec(draws)
    np.testing.assert_allclose(v.mean(0), MEAN, atol=4 * np.sqrt(np.diag(COV).max() / 20000))
    np.testing.assert_allclose(np.cov(v.T), COV, atol=0.05)


def test_laplace_rejects_non_minimum():
    with pytest.raises(ValueError, match="not positive definite"):
        iu.laplace(log_post, {"a": jnp.asarray(MEAN[0]), "bc": jnp.asarray(MEAN[1:])})
