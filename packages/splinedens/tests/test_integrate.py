import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.integrate import simpson, trapezoid

from jaxstro import splinedens as sd

RNG = np.random.default_rng(1)


@pytest.mark.parametrize("n", [2, 3, 4, 9, 10, 101, 1201])
@pytest.mark.parametrize("uniform", [True, False])
def test_weights_match_scipy(n, uniform):
    x = np.linspace(-1, 2, n) if uniform else np.sort(RNG.uniform(-1, 2, n))
    y = RNG.normal(size=n)
    np.testing.assert_allclose(sd.simpson_weights(x) @ y, simpson(y, x=x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        sd.trapezoid_weights(x) @ y, trapezoid(y, x=x), rtol=1e-12, atol=1e-12
    )


def test_simpson_exact_for_cubics_on_odd_grids():
    x = np.linspace(0, 2, 11)
    assert abs(sd.simpson_weights(x) @ x**3 - 4.0) < 1e-13


def test_log_simpson_far_below_underflow():
    x = np.linspace(-5, 5, 401)
    log_f = -0.5 * x**2 - 1000.0  # exp underflows to 0 in float64
    expect = np.log(simpson(np.exp(-0.5 * x**2), x=x)) - 1000.0
    np.testing.assert_allclose(sd.log_simpson(log_f, x), expect, rtol=1e-13)
    np.testing.assert_allclose(
        sd.log_trapezoid(log_f, x), np.log(trapezoid(np.exp(-0.5 * x**2), x=x)) - 1000.0, rtol=1e-13
    )


def test_log_2d_matches_nested_scipy_and_axis_argument():
    x, y = np.linspace(0, 1, 21), np.linspace(-1, 1, 30)
    f = np.exp(-((x[:, None] - 0.3) ** 2) - y[None, :] ** 2)
    expect = np.log(simpson(simpson(f, x=y, axis=1), x=x))
    np.testing.assert_allclose(sd.log_integrate_2d(np.log(f), x, y), expect, rtol=1e-12)
    np.testing.assert_allclose(
        sd.log_simpson(np.log(f), x, axis=0), np.log(simpson(f, x=x, axis=0)), rtol=1e-12
    )


def test_gradients_and_jit():
    x = np.linspace(0, 3, 31)
    f = lambda a: sd.log_simpson(-a[0] * x**2 + a[1] * x, x)
    check_grads(f, (jnp.array([0.7, 0.2]),), order=2, modes=("fwd", "rev"))
    a = jnp.array([0.7, 0.2])
    np.testing.assert_allclose(jax.jit(f)(a), f(a), rtol=1e-14)


def test_bad_grids():
    with pytest.raises(ValueError, match="strictly increasing"):
        sd.simpson_weights([0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="points on the integration axis"):
        sd.log_simpson(np.zeros(5), np.linspace(0, 1, 6))
    with pytest.raises(ValueError, match="rule must be"):
        sd.log_integrate_2d(np.zeros((3, 3)), np.arange(3.0), np.arange(3.0), rule="gauss")


def test_float32_finite():
    x = np.linspace(-5, 5, 101)
    out = sd.log_simpson(jnp.asarray(-0.5 * x**2 - 500, dtype=jnp.float32), x)
    assert out.dtype == jnp.float32 and np.isfinite(out)
