"""Layer grids, gravity and hydrostatic radii."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference import K_B, M_U, exojax_layer_grid
from scipy.integrate import solve_ivp

import jaxstro.rtransfer as rt


def test_layer_grid_conventions():
    g = rt.layer_grid(1e-8, 1e2, 50)
    pb = np.logspace(-8, 2, 51)
    np.testing.assert_allclose(np.asarray(g.p_boundary_bar), pb, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(g.p_bar), np.sqrt(pb[1:] * pb[:-1]), rtol=1e-13)
    np.testing.assert_allclose(np.sum(np.asarray(g.dp_bar)), 1e2 - 1e-8, rtol=1e-13)
    ge = rt.layer_grid(1e-8, 1e2, 50, convention="exojax")
    p, dp, pbe = exojax_layer_grid(1e-8, 1e2, 50)
    for got, ref in [(ge.p_bar, p), (ge.dp_bar, dp), (ge.p_boundary_bar, pbe)]:
        np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-14)
    gb = rt.layer_grid_from_boundaries(pb)
    np.testing.assert_allclose(np.asarray(gb.p_bar), np.asarray(g.p_bar), rtol=1e-14)
    assert rt.layer_grid(1e-3, 1.0, 5, dtype=jnp.float32).p_bar.dtype == jnp.float32


def test_gravity_helpers():
    # IAU 2015 nominal GM_J / R_J^2 (ExoJAX's gJ = 2478.577 uses another M_J and G)
    np.testing.assert_allclose(
        float(rt.gravity_jupiter(1.0, 1.0)), 1.2668653e23 / 7.1492e9**2, rtol=1e-14
    )
    np.testing.assert_allclose(
        float(rt.gravity_cgs(rt.M_JUP_G, rt.R_JUP_CM)),
        float(rt.gravity_jupiter(1.0, 1.0)),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        float(rt.pressure_scale_height_cm(1000.0, 2.3, 2500.0)),
        K_B * 1000.0 / (2.3 * M_U * 2500.0),
        rtol=1e-14,
    )


@pytest.mark.parametrize("p_ref", [None, 1.0, 1e-3])
def test_hydrostatic_radii_vs_ode(p_ref):
    # dr/dlnP = -k T r^2 / (mu m_u G M) with layer-wise constant T, integrated by scipy
    grid = rt.layer_grid(1e-6, 1e2, 40)
    t = np.linspace(700.0, 2000.0, 40)
    r0, g0 = rt.R_JUP_CM, 2000.0
    radii = rt.hydrostatic_radii(grid, t, 2.3, r0, g0, p_ref_bar=p_ref)
    lnpb = np.log(np.asarray(grid.p_boundary_bar))
    gm = g0 * r0**2

    def rhs(lnp, r):
        i = np.clip(np.searchsorted(lnpb, lnp, side="right") - 1, 0, 39)
        return -K_B * t[i] * r**2 / (2.3 * M_U * gm)

    lnp_ref = lnpb[-1] if p_ref is None else np.log(p_ref)
    r_b = np.empty(41)
    for j, lp in enumerate(lnpb):
        if lp == lnp_ref:
            r_b[j] = r0
            continue
        sol = solve_ivp(rhs, (lnp_ref, lp), [r0], rtol=1e-12, atol=1e-3, t_eval=[lp], max_step=0.05)
        r_b[j] = sol.y[0, -1]
    np.testing.assert_allclose(
        np.asarray(radii.r_boundary_cm), r_b, rtol=1e-8
    )  # ODE solver accuracy
    np.testing.assert_allclose(np.asarray(radii.height_cm), r_b[:-1] - r_b[1:], rtol=1e-6)


def test_hydrostatic_bad_input_and_traced_nan():
    grid = rt.layer_grid(1e-6, 1e2, 10)
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.hydrostatic_radii(grid, np.ones(9) * 1000, 2.3, 7e9, 2500.0)
    with pytest.raises(ValueError, match="p_ref_bar"):
        rt.hydrostatic_radii(grid, np.ones(10) * 1000, 2.3, 7e9, 2500.0, p_ref_bar=1e3)
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.hydrostatic_radii(grid, -np.ones(10), 2.3, 7e9, 2500.0)
    out = jax.jit(lambda t: rt.hydrostatic_radii(grid, t, 2.3, 7e9, 2500.0))(
        jnp.array([1000.0] * 9 + [-5.0])
    )
    assert np.all(np.isnan(np.asarray(out.r_boundary_cm)))


@pytest.mark.parametrize(
    "args", [(1e2, 1e-8, 10), (0.0, 1e2, 10), (-1.0, 1e2, 10), (1e-8, np.nan, 10), (1e-8, 1e2, 1)]
)
def test_layer_grid_bad_input(args):
    with pytest.raises(ValueError, match="p_top_bar|p_btm_bar|n_layers"):
        rt.layer_grid(*args)


def test_layer_grid_from_boundaries_bad_input():
    with pytest.raises(ValueError, match="p_boundary_bar"):
        rt.layer_grid_from_boundaries([1e-3, 1e-1, 1e-2, 1.0])
    with pytest.raises(ValueError, match="p_boundary_bar"):
        rt.layer_grid_from_boundaries([0.0, 1e-1, 1.0])
