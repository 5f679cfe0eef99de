"""Property-based tests of jaxstro.rtransfer's public numerical functions: never a finite wrong
number.

* integer, float32 and float64 inputs give the same result to the precision of the output
  dtype (float32 in -> float32 out);
* NaN, inf and out-of-domain concrete inputs raise ``ValueError`` naming the argument; the same
  values traced under ``jit`` (and ``vmap``) give NaN;
* a random isothermal atmosphere emits pi B_nu(T) with every solver.

References are the float64 evaluations of the same functions (themselves tested against closed
forms, scipy and ExoJAX in the other test files) and numpy's Planck function. The ci profile
(conftest.py) runs 25 derandomised examples per test; ``HYPOTHESIS_PROFILE=fuzz`` runs 400.
Shapes are fixed (6 layers, 8 grid points) so each jitted function compiles once per dtype.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference import pi_planck

import jaxstro.rtransfer as rt

N, G = 6, 8
NU = np.linspace(1000.0, 5000.0, G)
GRID = rt.layer_grid(1e-6, 1e2, N)
METHODS = ("ibased", "ibased_linsap", "fbased2st")

SEEDS = st.integers(0, 2**32 - 1)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _atmosphere(seed):
    """Random (dtau, T): column optical depths 1e-6..1e3, temperatures 300-3000 K."""
    rng = np.random.default_rng(seed)
    dtau = 10.0 ** rng.uniform(-8.0, 2.0, (N, G))
    t = rng.uniform(300.0, 3000.0, N)
    return dtau, t


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.max(np.abs(a - b) / np.abs(b))


_emis = {
    m: jax.jit(lambda d, t, nu, m=m: rt.emission_flux(d, t, nu, method=m, nstream=None))
    for m in METHODS
}
_emis_vmap = {
    m: jax.jit(jax.vmap(lambda d, t, m=m: rt.emission_flux(d, t, NU, method=m), (0, None)))
    for m in METHODS
}
_planck = jax.jit(rt.planck_pi_b)
_powerlaw = jax.jit(rt.powerlaw_temperature)
_guillot = jax.jit(rt.guillot_temperature)
GRID32 = rt.layer_grid(1e-6, 1e2, N, dtype=jnp.float32)
_dtau_xs = jax.jit(rt.dtau_xs)


# ----------------------------------------------------------------------------- dtypes
@given(p_top=_floats(-9.0, -1.0), decades=_floats(1.0, 10.0))
def test_layer_grid_dtypes_agree(p_top, decades):
    lo, hi = 10.0**p_top, 10.0 ** (p_top + decades)
    g64 = rt.layer_grid(lo, hi, N, dtype=jnp.float64)
    g32 = rt.layer_grid(lo, hi, N, dtype=jnp.float32)
    assert g32.p_bar.dtype == jnp.float32 and g64.p_bar.dtype == jnp.float64
    for f in ("p_bar", "dp_bar", "p_boundary_bar"):
        assert _rel(getattr(g32, f), getattr(g64, f)) < 2e-6
    # integer end points: the same grid as their float values
    gi = rt.layer_grid(1, 100, N)
    gf = rt.layer_grid(1.0, 100.0, N)
    np.testing.assert_array_equal(np.asarray(gi.p_bar), np.asarray(gf.p_bar))


@given(t0=_floats(100.0, 4000.0), alpha=_floats(-0.3, 0.3))
def test_powerlaw_dtypes_agree(t0, alpha):
    p = np.asarray(GRID.p_bar)
    y64 = _powerlaw(p, t0, alpha)
    y32 = _powerlaw(p.astype(np.float32), np.float32(t0), np.float32(alpha))
    assert y32.dtype == jnp.float32 and y64.dtype == jnp.float64
    assert _rel(y32, y64) < 2e-5  # |alpha ln p| <= 4.2: float32 rounding of the exponent
    yi = _powerlaw(np.asarray([1, 10, 100]), int(round(t0)), 0)  # integers promote to float
    np.testing.assert_allclose(np.asarray(yi), round(t0), rtol=1e-15)


@given(
    g=_floats(300.0, 5000.0),
    kappa=_floats(1e-3, 0.1),
    gamma=_floats(0.05, 5.0),
    t_int=_floats(50.0, 500.0),
    t_irr=_floats(300.0, 3000.0),
)
def test_guillot_dtypes_agree(g, kappa, gamma, t_int, t_irr):
    p = np.asarray(GRID.p_bar)
    y64 = _guillot(p, g, kappa, gamma, t_int, t_irr)
    args32 = [np.float32(v) for v in (g, kappa, gamma, t_int, t_irr)]
    y32 = _guillot(p.astype(np.float32), *args32)
    assert y32.dtype == jnp.float32
    assert np.all(np.isfinite(np.asarray(y64))) and np.all(np.asarray(y64) > 0)
    assert _rel(y32, y64) < 1e-5


@given(t=_floats(50.0, 1e4), seed=SEEDS)
def test_planck_dtypes_agree_and_match_numpy(t, seed):
    nu = np.sort(np.random.default_rng(seed).uniform(1.0, 4e4, G))
    y64 = np.asarray(_planck(t, nu))
    np.testing.assert_allclose(y64, pi_planck(t, nu), rtol=1e-12)
    y32 = np.asarray(_planck(np.float32(t), nu.astype(np.float32)))
    live = y64 > 1e-30  # normal float32 range
    assert y32.dtype == np.float32
    x = 1.4388 * nu / t  # h c nu / k T: exp(-x) carries ~x eps32 of input rounding
    assert np.all(np.abs(y32[live] / y64[live] - 1) < 2e-6 * (1 + x[live]))


@given(seed=SEEDS, method=st.sampled_from(METHODS))
def test_emission_dtypes_agree(seed, method):
    d, t = _atmosphere(seed)
    f64 = np.asarray(_emis[method](d, t, NU))
    f32 = np.asarray(_emis[method](d.astype(np.float32), t.astype(np.float32), NU.astype("f4")))
    assert f32.dtype == np.float32 and np.all(np.isfinite(f64)) and np.all(f64 > 0)
    assert _rel(f32, f64) < 5e-5
    # integer temperatures and wavenumbers: the flux of their float values
    ti, nui = np.round(t).astype(np.int64), np.round(NU).astype(np.int64)
    fi = np.asarray(_emis[method](d, ti, nui))
    np.testing.assert_allclose(fi, np.asarray(_emis[method](d, ti * 1.0, nui * 1.0)), rtol=1e-15)


@given(seed=SEEDS, t=_floats(200.0, 4000.0), method=st.sampled_from(METHODS))
def test_isothermal_atmosphere_emits_pi_b(seed, t, method):
    d, _ = _atmosphere(seed)
    f = np.asarray(_emis[method](d, np.full(N, t), NU))
    np.testing.assert_allclose(f, pi_planck(t, NU), rtol=1e-10)


@given(seed=SEEDS)
def test_dtau_xs_dtypes_agree(seed):
    rng = np.random.default_rng(seed)
    xs = 10.0 ** rng.uniform(-26.0, -18.0, (N, G))
    mmr = rng.uniform(1e-6, 0.1, N)
    y64 = np.asarray(_dtau_xs(GRID, xs, mmr, 18.0, 2500.0))
    args32 = (xs.astype("f4"), mmr.astype("f4"), np.float32(18), np.float32(2500))
    y32 = np.asarray(_dtau_xs(GRID32, *args32))
    assert np.all(np.isfinite(y64)) and np.all(y64 >= 0)
    assert y32.dtype == np.float32 and _rel(y32, y64) < 5e-6
    np.testing.assert_allclose(
        np.asarray(_dtau_xs(GRID, xs, mmr, 18, 2500)), y64, rtol=1e-15
    )  # integer molecular mass and gravity


# ----------------------------------------------------------------------------- bad input
@given(bad=st.one_of(NON_FINITE, _floats(-1e3, 0.0)))
def test_bad_layer_grid(bad):
    with pytest.raises(ValueError, match="p_top_bar"):
        rt.layer_grid(bad, 1e2, N)
    with pytest.raises(ValueError, match="p_btm_bar"):
        rt.layer_grid(1e-6, bad, N)


@given(bad=st.one_of(NON_FINITE, _floats(-1e4, 0.0)), seed=SEEDS)
def test_bad_planck(bad, seed):
    nu = np.sort(np.random.default_rng(seed).uniform(1.0, 4e4, G))
    with pytest.raises(ValueError, match="t_k"):
        rt.planck_pi_b(bad, nu)
    assert np.all(np.isnan(np.asarray(_planck(bad, nu))))
    nu_bad = nu.copy()
    nu_bad[3] = bad
    with pytest.raises(ValueError, match="nu_cm1"):
        rt.planck_pi_b(1000.0, nu_bad)
    out = np.asarray(_planck(1000.0, nu_bad))
    assert np.isnan(out[3]) and np.all(np.isfinite(np.delete(out, 3)))


@given(bad=st.one_of(NON_FINITE, _floats(-1e4, 0.0)))
def test_bad_powerlaw(bad):
    p = np.asarray(GRID.p_bar)
    with pytest.raises(ValueError, match="t0_k"):
        rt.powerlaw_temperature(p, bad, 0.1)
    assert np.all(np.isnan(np.asarray(_powerlaw(p, bad, 0.1))))
    pb = p.copy()
    pb[2] = bad
    with pytest.raises(ValueError, match="p_bar"):
        rt.powerlaw_temperature(pb, 1000.0, 0.1)
    out = np.asarray(_powerlaw(pb, 1000.0, 0.1))
    assert np.isnan(out[2])


@given(
    bad=st.one_of(NON_FINITE, _floats(-1e3, -1e-300)),
    seed=SEEDS,
    method=st.sampled_from(METHODS),
    where=st.tuples(st.integers(0, N - 1), st.integers(0, G - 1)),
)
def test_bad_dtau_raises_eagerly_and_nans_traced(bad, seed, method, where):
    d, t = _atmosphere(seed)
    d[where] = bad
    with pytest.raises(ValueError, match="dtau"):
        rt.emission_flux(d, t, NU, method=method)
    out = np.asarray(_emis[method](d, t, NU))
    col = where[1]
    assert np.isnan(out[col]) and np.all(np.isfinite(np.delete(out, col)))
    # under vmap: only the batch member with the bad entry, only its column
    d_ok, _ = _atmosphere(seed + 1)
    outs = np.asarray(_emis_vmap[method](np.stack([d_ok, d]), t))
    assert np.all(np.isfinite(outs[0]))
    assert np.isnan(outs[1, col]) and np.all(np.isfinite(np.delete(outs[1], col)))


@given(
    bad=st.one_of(NON_FINITE, _floats(-1e4, 0.0)),
    seed=SEEDS,
    method=st.sampled_from(METHODS),
    layer=st.integers(0, N - 1),
)
def test_bad_temperature_raises_eagerly_and_nans_traced(bad, seed, method, layer):
    d, t = _atmosphere(seed)
    t[layer] = bad
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.emission_flux(d, t, NU, method=method)
    assert np.all(np.isnan(np.asarray(_emis[method](d, t, NU))))


@given(bad=st.one_of(NON_FINITE, _floats(-1.0, -1e-300)), seed=SEEDS, layer=st.integers(0, N - 1))
def test_bad_mmr(bad, seed, layer):
    rng = np.random.default_rng(seed)
    xs = 10.0 ** rng.uniform(-26.0, -18.0, (N, G))
    mmr = rng.uniform(1e-6, 0.1, N)
    mmr[layer] = bad
    with pytest.raises(ValueError, match="mmr"):
        rt.dtau_xs(GRID, xs, mmr, 18.0, 2500.0)
    out = np.asarray(_dtau_xs(GRID, xs, mmr, 18.0, 2500.0))
    assert np.all(np.isnan(out[layer]))
