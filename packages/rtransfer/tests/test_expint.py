"""The slab transmission T = 2 E3(x) of the two-stream solver against scipy.special.expn."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import exp1, expn

from jaxstro.rtransfer._expint import slab_coefficient, slab_transmission

X = np.concatenate(
    [
        [0.0],
        np.geomspace(1e-12, 1e3, 20001),
        np.linspace(0.95, 1.05, 2001),  # the series / rational switch
        np.linspace(3.9, 4.1, 2001),  # the two rationals' switch
    ]
)


def reference(x):
    """(T, A) in float64 from scipy; A without cancellation below 1."""
    x = np.asarray(x, dtype=np.float64)
    t = 2.0 * expn(3, x)
    xp = np.where(x > 0, x, 1.0)
    a_small = -np.expm1(-x) + x * np.exp(-x) - np.where(x > 0, x * x * exp1(xp), 0.0)
    return t, np.where(x < 1.0, a_small, 1.0 - t)


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(a - b) / np.abs(b)


def test_slab_float64_vs_scipy():
    t, a = jax.jit(slab_transmission)(jnp.asarray(X))
    tr, ar = reference(X)
    live = tr > 1e-290  # 2 E3 underflows beyond x ~ 700
    assert np.max(rel(t, tr)[live]) < 1e-13
    assert np.max(rel(a[1:], ar[1:])) < 1e-13
    assert float(t[0]) == 1.0 and float(a[0]) == 0.0
    # beyond the float64 range of 2 E3: exact 0 and 1, no NaN
    tb, ab = slab_transmission(jnp.asarray([800.0, 1e5, 1e300]))
    np.testing.assert_array_equal(np.asarray(tb), 0.0)
    np.testing.assert_array_equal(np.asarray(ab), 1.0)
    # the coefficient is the smaller member of the pair
    c = slab_coefficient(jnp.asarray(X))
    np.testing.assert_allclose(
        np.asarray(c), np.where(X < 1.0, np.asarray(a), np.asarray(t)), rtol=4e-15, atol=0
    )


def test_slab_float32_vs_scipy():
    x32 = X.astype(np.float32)
    t, a = jax.jit(slab_transmission)(jnp.asarray(x32))
    assert t.dtype == jnp.float32 and a.dtype == jnp.float32
    tr, ar = reference(x32.astype(np.float64))  # same (rounded) inputs
    live = (tr > 1e-30) & (x32 <= 60.0)
    # float32 rounding: T = 1 - A just below x = 1 (A ~ 0.78) loses ~4x, exp(-x) alone
    # carries ~x eps32 at large x
    bound = 1e-6 * np.maximum(1.0, x32[live])
    assert np.all(rel(t, tr)[live] < bound)
    assert np.max(rel(a[1:], ar[1:])) < 4e-7


def test_slab_derivatives_vs_scipy():
    # dT/dx = -2 E2, dA/dx = 2 E2 (custom JVP), through jit, vmap, grad and jvp
    x = jnp.asarray(X)
    dt = jax.jit(jax.vmap(jax.grad(lambda v: slab_transmission(v)[0])))(x)
    da = jax.vmap(jax.grad(lambda v: slab_transmission(v)[1]))(x)
    e2 = 2.0 * expn(2, X)
    live = e2 > 1e-290
    assert np.max(rel(-np.asarray(dt), e2)[live]) < 2e-13
    assert np.max(rel(np.asarray(da), e2)[live]) < 2e-13
    _, (tt, ta) = jax.jvp(slab_transmission, (x,), (jnp.ones_like(x),))
    np.testing.assert_allclose(np.asarray(tt), np.asarray(dt), rtol=4e-15, atol=0)
    np.testing.assert_allclose(np.asarray(ta), np.asarray(da), rtol=4e-15, atol=0)


@pytest.mark.parametrize("x0", [1e-6, 0.3, 0.999, 1.0, 2.5, 3.99, 4.0, 30.0])
def test_slab_gradient_vs_finite_difference(x0):
    h = 1e-3 * x0 if x0 < 1e-3 else 1e-5 * max(1.0, x0)
    f = lambda v: slab_transmission(v)[0]  # noqa: E731
    fd = (float(f(x0 + h)) - float(f(x0 - h))) / (2 * h)
    assert abs(float(jax.grad(f)(x0)) / fd - 1.0) < 1e-6
