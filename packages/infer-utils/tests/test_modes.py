"""Forward-mode gradients equal reverse mode; minimize_lbfgs compiles once per objective."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxstro.infer_utils as iu
from jaxstro.infer_utils._modes import forward_gradient, value_and_grad

# a correlated, non-Gaussian objective (Rosenbrock-like banana plus a quadratic)
A = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])


def neg_log_post(p):
    x = jnp.concatenate([jnp.atleast_1d(p["a"]), p["b"]])
    banana = (x[1] - 0.5 * x[0] ** 2) ** 2
    return 0.5 * x @ A @ x + banana + jnp.sum(jnp.cos(x)) * 0.1


def flat(x):
    return neg_log_post({"a": x[0], "b": x[1:]})


START = {"a": 0.7, "b": jnp.array([-0.4, 1.1])}
X = jnp.array([0.7, -0.4, 1.1])


def test_value_and_grad_forward_equals_reverse_and_closed_form():
    v_r, g_r = value_and_grad(flat, "reverse")(X)
    v_f, g_f = jax.jit(value_and_grad(flat, "forward"))(X)
    x0, x1, x2 = (float(v) for v in X)
    # closed-form gradient
    quad = A @ np.array([x0, x1, x2])
    r = x1 - 0.5 * x0**2
    g_exact = quad + np.array([-2 * r * x0, 2 * r, 0.0]) - 0.1 * np.sin([x0, x1, x2])
    np.testing.assert_allclose(g_r, g_exact, rtol=1e-13)
    np.testing.assert_allclose(g_f, g_exact, rtol=1e-13)
    assert float(v_f) == pytest.approx(float(v_r), rel=1e-15)
    # a reverse-mode caller (jax.grad) of the forward-gradient wrapper
    np.testing.assert_allclose(jax.grad(forward_gradient(flat))(X), g_exact, rtol=1e-13)
    np.testing.assert_allclose(
        jax.vmap(jax.grad(forward_gradient(flat)))(jnp.stack([X, 2 * X])),
        jax.vmap(jax.grad(flat))(jnp.stack([X, 2 * X])),
        rtol=1e-13,
    )


def test_bad_mode_named():
    with pytest.raises(ValueError, match="mode must be one of"):
        iu.minimize_lbfgs(neg_log_post, START, mode="fwd")
    with pytest.raises(ValueError, match="mode must be one of"):
        iu.minimize_optax(neg_log_post, START, optax.adam(0.1), 5, mode="backward")


def test_lbfgs_forward_equals_reverse():
    rev = iu.minimize_lbfgs(neg_log_post, START)
    fwd = iu.minimize_lbfgs(neg_log_post, START, mode="forward")
    assert rev.success and fwd.success
    for k in START:
        np.testing.assert_allclose(fwd.params[k], rev.params[k], rtol=1e-7, atol=1e-9)
    assert fwd.fun == pytest.approx(rev.fun, rel=1e-12)


def test_lbfgs_compiles_once_per_objective():
    traces = []

    def objective(p, scale):
        traces.append(1)  # runs once per trace, never in compiled calls
        return scale * neg_log_post(p)

    starts = [{"a": a, "b": jnp.array([b, -b])} for a, b in [(0.5, 0.2), (-1.0, 0.7), (2.0, -1.5)]]
    iu.minimize_lbfgs(objective, starts[0], args=(1.0,))
    n_first = len(traces)
    assert n_first >= 1
    for s in starts[1:]:
        iu.minimize_lbfgs(objective, s, args=(2.0,))  # new data through args: no retrace
    assert len(traces) == n_first
    # a different parameter structure or mode is a new compilation, once
    iu.minimize_lbfgs(objective, starts[0], args=(1.0,), mode="forward")
    n_fwd = len(traces)
    assert n_fwd > n_first
    iu.minimize_lbfgs(objective, starts[1], args=(1.0,), mode="forward")
    assert len(traces) == n_fwd


def test_optax_forward_equals_reverse():
    rev = iu.minimize_optax(neg_log_post, START, optax.adam(0.05), 60)
    fwd = iu.minimize_optax(neg_log_post, START, optax.adam(0.05), 60, mode="forward")
    np.testing.assert_allclose(fwd.losses, rev.losses, rtol=1e-12)
    for k in START:
        np.testing.assert_allclose(fwd.params[k], rev.params[k], rtol=1e-10, atol=1e-12)


def test_nuts_forward_equals_reverse():
    def log_density(p):
        return -neg_log_post(p)

    kw = dict(num_warmup=60, num_samples=40, num_chains=2, progress_bar=False)
    rev = iu.run_nuts(log_density, START, jax.random.key(3), **kw)
    fwd = iu.run_nuts(log_density, START, jax.random.key(3), mode="forward", **kw)
    # gradients equal to rounding (1e-16): the same tree decisions and trajectories, with the
    # rounding difference grown by 100 adaptation and sampling steps (measured 3.5e-6 at most;
    # a wrong gradient moves draws by O(1))
    np.testing.assert_allclose(fwd.flat_samples, rev.flat_samples, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(fwd.num_integration_steps, rev.num_integration_steps)


def test_pathfinder_forward_equals_reverse():
    def log_density(p):
        return -neg_log_post(p)

    rev = iu.run_pathfinder(log_density, START, jax.random.key(1), num_samples=50)
    fwd = iu.run_pathfinder(log_density, START, jax.random.key(1), num_samples=50, mode="forward")
    assert float(fwd.elbo) == pytest.approx(float(rev.elbo), rel=1e-8, abs=1e-8)
    np.testing.assert_allclose(fwd.samples["b"], rev.samples["b"], rtol=1e-7, atol=1e-9)
