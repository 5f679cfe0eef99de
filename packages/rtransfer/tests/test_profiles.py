"""T-P profiles against closed forms and scipy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.interpolate import CubicSpline

import jaxstro.rtransfer as rt

P = np.logspace(-6, 2, 60)


def guillot_numpy(p_bar, g, kappa, gamma, t_int, t_irr, f=0.25):
    """Guillot (2010) Eq. (29), float64 numpy, tau = kappa P / g."""
    tau = kappa * p_bar * 1e6 / g
    s3 = np.sqrt(3.0)
    return (
        0.75 * t_int**4 * (2 / 3 + tau)
        + 0.75
        * f
        * t_irr**4
        * (2 / 3 + 1 / (gamma * s3) + (gamma / s3 - 1 / (gamma * s3)) * np.exp(-gamma * tau * s3))
    ) ** 0.25


@pytest.mark.parametrize("gamma", [0.05, 0.4, 1.0, 3.0])
def test_guillot_closed_form(gamma):
    out = rt.guillot_temperature(P, 2478.0, 0.01, gamma, 150.0, 1400.0)
    np.testing.assert_allclose(
        np.asarray(out), guillot_numpy(P, 2478.0, 0.01, gamma, 150.0, 1400.0), rtol=1e-13
    )
    # f=1 (substellar) is hotter; no irradiation -> Eddington grey profile
    edd = rt.guillot_temperature(P, 2478.0, 0.01, gamma, 150.0, 0.0)
    np.testing.assert_allclose(
        np.asarray(edd), (0.75 * 150.0**4 * (2 / 3 + 0.01 * P * 1e6 / 2478.0)) ** 0.25, rtol=1e-13
    )


def test_powerlaw_and_isothermal():
    np.testing.assert_allclose(
        np.asarray(rt.powerlaw_temperature(P, 1300.0, 0.12)), 1300.0 * P**0.12, rtol=1e-14
    )
    iso = rt.isothermal_temperature(P, 900.0)
    assert iso.shape == P.shape and np.all(np.asarray(iso) == 900.0)


@pytest.mark.parametrize("method", ["cubic", "linear"])
def test_free_profile_vs_scipy(method):
    pk = np.logspace(-6, 2, 6)
    tk = np.array([700.0, 760.0, 900.0, 1200.0, 1700.0, 2300.0])
    out = np.asarray(rt.free_temperature(P, pk, tk, method=method))
    if method == "cubic":
        ref = CubicSpline(np.log10(pk), tk, bc_type="natural")(np.log10(P))
    else:
        ref = np.interp(np.log10(P), np.log10(pk), tk)
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    # held at the end values outside the knots
    ext = np.asarray(rt.free_temperature([1e-8, 1e3], pk, tk, method=method))
    np.testing.assert_allclose(ext, [700.0, 2300.0], rtol=1e-14)


def test_free_profile_differentiable():
    pk = jnp.logspace(-6, 2, 5)
    tk = jnp.array([800.0, 850.0, 1000.0, 1400.0, 2000.0])
    f = jax.jit(lambda tk: rt.free_temperature(P[::5], pk, tk))
    check_grads(f, (tk,), order=2, modes=("fwd", "rev"))
    # the spline is linear in the knot values: the Jacobian is T-independent
    j1, j2 = jax.jacfwd(f)(tk), jax.jacfwd(f)(tk * 1.3)
    np.testing.assert_allclose(j1, j2, rtol=1e-12, atol=1e-12)


def test_guillot_gradients_and_float32():
    f = jax.jit(lambda g, t_irr: rt.guillot_temperature(P[::6], g, 0.01, 0.4, 150.0, t_irr))
    check_grads(f, (2478.0, 1400.0), order=1, modes=("fwd", "rev"))
    t32 = rt.guillot_temperature(
        P.astype(np.float32),
        np.float32(2478.0),
        np.float32(0.01),
        np.float32(0.4),
        np.float32(150.0),
        np.float32(1400.0),
    )
    assert t32.dtype == jnp.float32
    np.testing.assert_allclose(
        np.asarray(t32), guillot_numpy(P, 2478.0, 0.01, 0.4, 150.0, 1400.0), rtol=1e-6
    )


def test_clip_temperature():
    t = jnp.array([-500.0, 100.0, 1000.0, 2900.0, 5000.0])
    soft = np.asarray(rt.clip_temperature(t, 100.0, 3000.0))
    assert np.all(soft >= 100.0) and np.all(soft <= 3000.0)
    assert abs(soft[2] - 1000.0) < 29.0 * np.log(2.0)  # w log 2 inside the range, w = 29 K
    d = jax.vmap(jax.grad(lambda x: rt.clip_temperature(x, 100.0, 3000.0)))(t)
    assert np.all(np.asarray(d) > 0)  # never a dead gradient
    hard = np.asarray(rt.clip_temperature(t, 100.0, 3000.0, method="hard"))
    np.testing.assert_array_equal(hard, np.clip(np.asarray(t), 100.0, 3000.0))
    with pytest.raises(ValueError, match="t_min_k"):
        rt.clip_temperature(t, 3000.0, 100.0)


def test_soft_clip_never_leaves_the_range():
    # the soft clip's sum of softplus terms used to overshoot t_max by rounding (4.5e-13 K at
    # 1500 K), which a cross-section calculator valid up to exactly t_max turns into NaN
    for dtype in (jnp.float64, jnp.float32):
        t = jnp.linspace(-1000.0, 40000.0, 20001, dtype=dtype)
        soft = np.asarray(rt.clip_temperature(t, 500.0, 1500.0))
        assert soft.min() >= 500.0 and soft.max() <= 1500.0
    d = jax.vmap(jax.grad(lambda x: rt.clip_temperature(x, 500.0, 1500.0)))(
        jnp.array([1400.0, 1500.0, 1600.0])
    )
    assert np.all(np.asarray(d) > 0)  # the clamp does not touch the gradient


def test_profile_bad_input():
    with pytest.raises(ValueError, match="p_knots_bar"):
        rt.free_temperature(P, [1.0, 0.1, 10.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="p_bar"):
        rt.powerlaw_temperature(-P, 1000.0, 0.1)
    with pytest.raises(ValueError, match="gamma"):
        rt.guillot_temperature(P, 2478.0, 0.01, -1.0, 150.0, 1400.0)
