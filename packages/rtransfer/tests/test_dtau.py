"""Layer optical depths against numpy float64 recomputations and John (1988)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference import M_U, john1988_kappa

import jaxstro.rtransfer as rt

N = 12
GRID = rt.layer_grid(1e-4, 1e2, N)
NU = np.linspace(4000.0, 9000.0, 25)


def test_dtau_xs_vs_numpy():
    rng = np.random.default_rng(0)
    xs = 10 ** rng.uniform(-24, -20, (N, NU.size))
    mmr = rng.uniform(1e-4, 1e-2, N)
    g = rng.uniform(2000.0, 3000.0, N)
    out = np.asarray(rt.dtau_xs(GRID, xs, mmr, 28.0, g))
    ref = xs * (np.asarray(GRID.dp_bar) * 1e6 * mmr / (28.0 * M_U * g))[:, None]
    np.testing.assert_allclose(out, ref, rtol=1e-13)
    # single-layer version, vectorised over layers, gives the same rows
    one = jax.vmap(lambda dp, x, m, gg: rt.dtau_xs_layer(dp, x, m, 28.0, gg))(
        GRID.dp_bar, xs, jnp.asarray(mmr), jnp.asarray(g)
    )
    np.testing.assert_allclose(np.asarray(one), ref, rtol=1e-13)
    # ExoJAX's m_u (CODATA 2014) moves dtau by 1.6e-8
    ex = np.asarray(rt.dtau_xs(GRID, xs, mmr, 28.0, g, constants="exojax"))
    np.testing.assert_allclose(ex / out - 1, M_U / 1.66053904e-24 - 1, rtol=1e-6, atol=1e-15)


def test_dtau_cia_vs_numpy():
    rng = np.random.default_rng(1)
    t = np.linspace(600.0, 2000.0, N)
    log_k = np.log(10 ** rng.uniform(-47, -44, (N, NU.size)))
    out = np.asarray(rt.dtau_cia(GRID, log_k, t, 0.84, 0.16, 2.33, 2500.0))
    p, dp = np.asarray(GRID.p_bar) * 1e6, np.asarray(GRID.dp_bar) * 1e6
    ref = np.exp(log_k) * 0.84 * 0.16 * (p * dp / (1.380649e-16 * t * 2.33 * M_U * 2500.0))[:, None]
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    one = jax.vmap(
        lambda p, dp, lk, tt: rt.dtau_cia_layer(p, dp, lk, tt, 0.84, 0.16, 2.33, 2500.0)
    )(GRID.p_bar, GRID.dp_bar, jnp.asarray(log_k), jnp.asarray(t))
    np.testing.assert_allclose(np.asarray(one), ref, rtol=1e-12)
    # float32: coefficients ~1e-46 are below float32's range; the log form keeps them
    o32 = rt.dtau_cia(
        jax.tree_util.tree_map(lambda x: x.astype(jnp.float32), GRID),
        log_k.astype(np.float32),
        t.astype(np.float32),
        np.float32(0.84),
        np.float32(0.16),
        np.float32(2.33),
        np.float32(2500.0),
    )
    assert o32.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(o32), ref, rtol=1e-4)


@pytest.mark.parametrize(
    "lam_um,t",
    [(0.25, 5000.0), (0.5, 6000.0), (1.0, 3000.0), (1.6, 2500.0), (2.2, 4000.0), (5.0, 2000.0)],
)
def test_hminus_vs_john1988(lam_um, t):
    out = float(rt.hminus_cross_section(1e4 / lam_um, t))
    np.testing.assert_allclose(out, john1988_kappa(lam_um, t), rtol=1e-10)


def test_dtau_hminus_and_rayleigh_vs_numpy():
    t = np.linspace(2000.0, 4000.0, N)
    pe = np.logspace(-6, -3, N)
    out = np.asarray(rt.dtau_hminus(GRID, NU, t, pe, 0.5, 1.3, 1e4))
    kap = np.array([[john1988_kappa(1e4 / n, tt) for n in NU] for tt in t])
    ref = kap * (pe * 1e6 * 0.5 * np.asarray(GRID.dp_bar) * 1e6 / (1.3 * M_U * 1e4))[:, None]
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    one = jax.vmap(lambda dp, tt, p: rt.dtau_hminus_layer(dp, NU, tt, p, 0.5, 1.3, 1e4))(
        GRID.dp_bar, jnp.asarray(t), jnp.asarray(pe)
    )
    np.testing.assert_allclose(np.asarray(one), ref, rtol=1e-10)
    xs = 8.49e-45 * NU**4  # a Rayleigh-like cross section [cm^2]
    ray = np.asarray(rt.dtau_rayleigh(GRID, xs, 0.84, 2.33, 2500.0))
    np.testing.assert_allclose(
        ray,
        xs[None, :] * (np.asarray(GRID.dp_bar) * 1e6 * 0.84 / (2.33 * M_U * 2500.0))[:, None],
        rtol=1e-13,
    )


def test_dtau_bad_input_and_traced_nan():
    xs = np.ones((N, 5)) * 1e-22
    with pytest.raises(ValueError, match="xs_cm2"):
        rt.dtau_xs(GRID, xs[:-1], 1e-3, 28.0, 2500.0)
    with pytest.raises(ValueError, match="mmr"):
        rt.dtau_xs(GRID, xs, 1.5, 28.0, 2500.0)
    with pytest.raises(ValueError, match="gravity_cgs"):
        rt.dtau_xs(GRID, xs, 1e-3, 28.0, 0.0)
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.dtau_cia(GRID, np.zeros((N, 5)), np.ones(N - 1), 0.8, 0.2, 2.3, 2500.0)
    mmr = np.full(N, 1e-3)
    mmr[4] = -0.1
    out = np.asarray(jax.jit(lambda m: rt.dtau_xs(GRID, xs, m, 28.0, 2500.0))(mmr))
    assert np.all(np.isnan(out[4])) and np.all(np.isfinite(np.delete(out, 4, axis=0)))
