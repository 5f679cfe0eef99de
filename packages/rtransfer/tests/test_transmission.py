"""Transmission: chord optical depth and transit radius against closed forms and numpy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.special import exp1

import jaxstro.rtransfer as rt

EULER = 0.5772156649015329


def _isothermal(n, r0_cm, kappas, t=1000.0, mu=2.3, g0=2500.0, dtype=None):
    grid = rt.layer_grid(1e-10, 1e1, n, dtype=dtype)
    radii = rt.hydrostatic_radii(grid, jnp.full(n, t, grid.p_bar.dtype), mu, r0_cm, g0)
    # constant opacity kappa [cm^2 g^-1]: dtau = kappa dP / g(r)
    dtau = (
        np.asarray(grid.dp_bar, np.float64)[:, None]
        * 1e6
        * kappas[None, :]
        / np.asarray(radii.gravity_cgs, np.float64)[:, None]
    )
    return grid, radii, dtau


def test_isothermal_constant_opacity_vs_scale_height_formula():
    # R_p = R_0 + H (gamma_E + ln tau_0 + E1(tau_0)), tau_0 = kappa P_0 / g sqrt(2 pi R_0 / H)
    # (exponential atmosphere, plane-parallel chord); a radius of 100 R_J makes the neglected
    # curvature / 1/r^2-gravity terms (~ z^2 / R H) small
    kappas = np.logspace(-4, 0, 5)
    r0 = 100 * rt.R_JUP_CM
    _, radii, dtau = _isothermal(400, r0, kappas)
    rp = np.asarray(rt.transit_radius(dtau, radii))
    h = float(rt.pressure_scale_height_cm(1000.0, 2.3, 2500.0))
    tau0 = kappas * 1e7 / 2500.0 * np.sqrt(2 * np.pi * r0 / h)
    ana = r0 + h * (EULER + np.log(tau0) + exp1(tau0))
    # measured: 0.8e-3 .. 4.9e-3 H (growing with the effective height, as the curvature term)
    np.testing.assert_allclose((rp - r0) / h, (ana - r0) / h, atol=1e-2)
    # d R_p / d ln kappa = H
    np.testing.assert_allclose(np.diff(rp) / np.log(10.0) / h, 1.0, rtol=1e-3)


def test_chord_matrix_vs_numpy():
    n = 30
    grid = rt.layer_grid(1e-6, 1e1, n)
    t = np.linspace(800.0, 1600.0, n)
    radii = rt.hydrostatic_radii(grid, t, 2.3, rt.R_JUP_CM, 2500.0)
    dtau = np.random.default_rng(0).uniform(0.0, 1.0, (n, 7))
    rb = np.asarray(radii.r_boundary_cm)
    for at in ("lower", "midpoint"):
        b = rb[1:] if at == "lower" else 0.5 * (rb[1:] + rb[:-1])
        ref = np.zeros((n, 7))
        for i in range(n):
            for k in range(i + 1):
                up = np.sqrt(rb[k] ** 2 - b[i] ** 2)
                lo = np.sqrt(max(rb[k + 1] ** 2 - b[i] ** 2, 0.0)) if k < i else 0.0
                ref[i] += 2 * (up - lo) / (rb[k] - rb[k + 1]) * dtau[k]
        out = np.asarray(rt.chord_optical_depth(dtau, radii, at=at))
        np.testing.assert_allclose(out, ref, rtol=1e-8)


def test_transparent_atmosphere_gives_bottom_radius():
    _, radii, dtau = _isothermal(50, rt.R_JUP_CM, np.zeros(3))
    rp = rt.transit_radius(dtau, radii)
    np.testing.assert_allclose(np.asarray(rp), float(radii.r_boundary_cm[-1]), rtol=1e-15)
    depth = rt.transit_depth(dtau, radii, 10 * rt.R_JUP_CM)
    np.testing.assert_allclose(
        np.asarray(depth), (float(radii.r_boundary_cm[-1]) / (10 * rt.R_JUP_CM)) ** 2, rtol=1e-14
    )


def test_trapezoid_and_simpson_converge_together():
    kappas = np.logspace(-3, -1, 3)
    out = {}
    for n in (100, 400):
        _, radii, dtau = _isothermal(n, rt.R_JUP_CM, kappas)
        out[n] = [
            np.asarray(rt.transit_radius(dtau, radii, integration=i))
            for i in ("simpson", "trapezoid")
        ]
    h = float(rt.pressure_scale_height_cm(1000.0, 2.3, 2500.0))
    assert np.max(np.abs(out[400][0] - out[400][1])) < 0.01 * h
    assert np.max(np.abs(out[400][0] - out[100][0])) < 0.01 * h


def test_jit_vmap_grad_float32():
    kappas = np.logspace(-3, -1, 4)
    grid, radii, dtau = _isothermal(60, rt.R_JUP_CM, kappas)
    t = jnp.full(60, 1000.0)

    def rp(scale, t):
        r = rt.hydrostatic_radii(grid, t, 2.3, rt.R_JUP_CM, 2500.0)
        return rt.transit_radius(dtau * scale, r)

    np.testing.assert_allclose(jax.jit(rp)(1.0, t), rp(1.0, t), rtol=1e-12)
    v = jax.vmap(rp, in_axes=(0, None))(jnp.array([0.5, 2.0]), t)
    np.testing.assert_allclose(v[1], rp(2.0, t), rtol=1e-12)
    check_grads(
        jax.jit(lambda s, t: rp(s, t) / rt.R_JUP_CM),
        (1.0, t),
        order=1,
        modes=("fwd", "rev"),
        eps=1e-4,
    )
    # float32: the altitudes are summed from layer heights (no r^2 - b^2 cancellation)
    _, radii32, _ = _isothermal(60, np.float32(rt.R_JUP_CM), kappas, dtype=jnp.float32)
    rp32 = rt.transit_radius(dtau.astype(np.float32), radii32)
    assert rp32.dtype == jnp.float32
    rp64 = np.asarray(rt.transit_radius(dtau, radii))
    h = float(rt.pressure_scale_height_cm(1000.0, 2.3, 2500.0))
    np.testing.assert_allclose(np.asarray(rp32, np.float64), rp64, atol=1e-3 * h)


def test_bad_input():
    grid, radii, dtau = _isothermal(20, rt.R_JUP_CM, np.ones(3))
    with pytest.raises(ValueError, match="layer"):
        rt.transit_radius(dtau[:-1], radii)
    with pytest.raises(ValueError, match="integration"):
        rt.transit_radius(dtau, radii, integration="gauss")
    with pytest.raises(ValueError, match="radius_star_cm"):
        rt.transit_depth(dtau, radii, -1.0)
    with pytest.raises(ValueError, match="dtau"):
        rt.transit_radius(-dtau, radii)
    with pytest.raises(TypeError, match="AtmosphereRadii"):
        rt.transit_radius(dtau, grid)
    # traced negative dtau -> NaN in that column only
    bad = dtau.copy()
    bad[3, 1] = -1.0
    out = np.asarray(jax.jit(rt.transit_radius)(bad, radii))
    assert np.isnan(out[1]) and np.all(np.isfinite(out[[0, 2]]))
