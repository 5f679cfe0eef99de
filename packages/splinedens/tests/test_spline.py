import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.interpolate import InterpolatedUnivariateSpline as IUS

from jaxstro import splinedens as sd

RNG = np.random.default_rng(42)
KNOTS = np.sort(RNG.uniform(-3, 3, 11))
Y = RNG.normal(size=11)
X = np.linspace(-4, 4, 801)  # includes extrapolation on both sides


@pytest.mark.parametrize("nu", [0, 1, 2, 3])
def test_matches_scipy_interpolated_univariate_spline(nu):
    spl = sd.make_spline(KNOTS)
    ref = IUS(KNOTS, Y, k=3)
    expect = ref(X) if nu == 0 else ref.derivative(nu)(X)
    scale = max(1.0, np.abs(expect).max())
    np.testing.assert_allclose(sd.spline_eval(spl, Y, X, nu=nu), expect, rtol=0, atol=1e-10 * scale)
    # fixed-points fast path: the same numbers as a matrix product
    W = sd.spline_design_matrix(spl, X, nu=nu)
    np.testing.assert_allclose(W @ Y, expect, rtol=0, atol=1e-10 * scale)


def test_interpolates_knots_and_reproduces_cubics():
    spl = sd.make_spline(KNOTS)
    np.testing.assert_allclose(sd.spline_eval(spl, Y, KNOTS), Y, atol=1e-12)
    cubic = lambda x: 0.3 * x**3 - x**2 + 2 * x - 1
    np.testing.assert_allclose(sd.spline_eval(spl, cubic(KNOTS), X), cubic(X), atol=1e-9)


def test_integrals_match_scipy():
    spl = sd.make_spline(KNOTS)
    ref = IUS(KNOTS, Y, k=3)
    a, b = KNOTS[0] + 0.1, KNOTS[-1] - 0.2
    np.testing.assert_allclose(sd.spline_integral(spl, Y, a, b), ref.integral(a, b), rtol=1e-12)
    xs = np.linspace(KNOTS[0], KNOTS[-1], 57)
    G = sd.spline_integral_matrix(spl, xs)
    np.testing.assert_allclose(G @ Y, [ref.integral(KNOTS[0], v) for v in xs], atol=1e-11)


def test_gradients_jit_vmap():
    spl = sd.make_spline(KNOTS)
    x = jnp.linspace(-2.5, 2.5, 7)
    f = lambda y, x: jnp.sum(jnp.sin(sd.spline_eval(spl, y, x)))
    check_grads(f, (jnp.asarray(Y), x), order=2, modes=("fwd", "rev"))
    # d value / d y is the design-matrix row; d value / d x is the first derivative
    g = jax.jacobian(lambda y: sd.spline_eval(spl, y, x))(jnp.asarray(Y))
    np.testing.assert_allclose(g, sd.spline_design_matrix(spl, np.asarray(x)), atol=1e-12)
    gx = jax.vmap(jax.grad(lambda xx: sd.spline_eval(spl, jnp.asarray(Y), xx)))(x)
    np.testing.assert_allclose(gx, sd.spline_eval(spl, Y, x, nu=1), atol=1e-12)
    jitted = jax.jit(lambda y: sd.spline_eval(spl, y, x))
    np.testing.assert_allclose(jitted(jnp.asarray(Y)), sd.spline_eval(spl, Y, x), atol=0)
    batch = jnp.asarray(RNG.normal(size=(5, 11)))
    np.testing.assert_allclose(
        jax.vmap(lambda y: sd.spline_eval(spl, y, x))(batch),
        sd.spline_eval(spl, batch, x),
        atol=1e-13,
    )


def test_bad_knots_and_values():
    with pytest.raises(ValueError, match="strictly increasing"):
        sd.make_spline([0.0, 1.0, 1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least 4"):
        sd.make_spline([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        sd.make_spline([0.0, 1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="y must have 11 values"):
        sd.spline_eval(sd.make_spline(KNOTS), np.zeros(10), X)


def test_float32_finite_and_dtype():
    spl = sd.make_spline(KNOTS)
    out = sd.spline_eval(spl, jnp.asarray(Y, dtype=jnp.float32), jnp.asarray(X, dtype=jnp.float32))
    assert out.dtype == jnp.float32 and np.all(np.isfinite(out))
    np.testing.assert_allclose(out, IUS(KNOTS, Y, k=3)(X), rtol=1e-4, atol=1e-4)
