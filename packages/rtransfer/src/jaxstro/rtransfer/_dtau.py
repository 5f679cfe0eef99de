"""Optical depth of each layer from cross sections, CIA, the H- continuum and Rayleigh.

A layer of pressure thickness dP in hydrostatic equilibrium holds a column mass dP / g, so a
species with mass mixing ratio X and molecular mass m (cross section sigma per molecule) adds
dtau = sigma X dP / (m m_u g). All functions take arrays (e.g. ``jaxstro.opacity`` outputs)
and never import that package. Units: pressures in bar (converted to dyn cm^-2 inside),
gravity in cm s^-2, masses in amu.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.rtransfer._checks import (
    as_float,
    check_positive,
    float_dtype,
    is_traced,
    nan_if_invalid,
    stand_in,
)
from jaxstro.rtransfer._constants import BAR_CGS, constant_set
from jaxstro.rtransfer._layers import LayerGrid

__all__ = [
    "dtau_xs",
    "dtau_xs_layer",
    "dtau_cia",
    "dtau_cia_layer",
    "hminus_cross_section",
    "dtau_hminus",
    "dtau_hminus_layer",
    "dtau_rayleigh",
    "dtau_rayleigh_layer",
]


# ----------------------------------------------------------------------------- helpers
def _per_layer(name, x, n, dt):
    """Scalar or (n,) per-layer quantity -> (n, 1) for broadcasting over the grid."""
    x = jnp.asarray(x)
    if x.ndim == 0:
        return jnp.broadcast_to(x.astype(dt), (n,))[:, None]
    if x.shape == (n,):
        return x.astype(dt)[:, None]
    if x.shape == (n, 1):
        return x.astype(dt)
    raise ValueError(f"{name} must be a scalar or have shape (n_layers,) = ({n},); got {x.shape}")


def _check_matrix(name, x, n):
    x = jnp.asarray(x)
    if x.ndim == 1:
        return x
    if x.ndim == 2 and x.shape[0] == n:
        return x
    raise ValueError(
        f"{name} must have shape (n_grid,) or (n_layers, n_grid) with n_layers = {n} "
        f"(the grid's); got {x.shape}"
    )


def _check_fraction(name, x):
    if is_traced(x):
        return
    v = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(v) & (v >= 0) & (v <= 1)
    if not np.all(ok):
        raise ValueError(
            f"{name} must lie in [0, 1]; got {np.atleast_1d(v)[~np.atleast_1d(ok)][:6]}"
        )


def _check_nonneg_array(name, x, unit):
    if is_traced(x):
        return
    v = np.asarray(x)
    ok = np.isfinite(v) & (v >= 0)
    if not np.all(ok):
        raise ValueError(f"{name} must be finite and >= 0{unit}; got {v[~ok][:6]}")


def _guard(out, fractions, positives, values):
    """Poison ``out`` (..., n_grid) with NaN where a traced per-layer input is out of range."""
    ok = jnp.ones(out.shape[:-1], dtype=bool)
    for f in fractions:
        ok = ok & jnp.all((f >= 0) & (f <= 1), axis=-1)
    for p in positives:
        ok = ok & jnp.all((p > 0) & jnp.isfinite(p), axis=-1)
    value = sum(jnp.sum(v, axis=-1) for v in values)
    return nan_if_invalid(ok, out, value=value)


# ----------------------------------------------------------------------------- cross sections
def dtau_xs(
    grid: LayerGrid,
    xs_cm2: ArrayLike,
    mmr: ArrayLike,
    molmass_amu: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """Layer optical depths from a cross-section matrix: sigma X dP / (m m_u g).

    Parameters
    ----------
    grid : LayerGrid
        The layers (``dp_bar`` is used).
    xs_cm2 : ArrayLike
        (n_layers, n_grid) cross sections [cm^2 molecule^-1] (e.g. an opacity calculator's
        ``xsmatrix``), or (n_grid,) for one cross section in every layer; >= 0.
    mmr : ArrayLike
        Scalar or (n_layers,) mass mixing ratio in [0, 1]. (A volume mixing ratio with the
        mean molecular weight as ``molmass_amu`` gives the same dtau.)
    molmass_amu : ArrayLike
        Molecular mass [amu] (scalar or (n_layers,)), > 0.
    gravity_cgs : ArrayLike
        Scalar or (n_layers,) gravity [cm s^-2], > 0.
    constants : str
        "codata2018" (default) or "exojax" (m_u of CODATA 2014, as ExoJAX's
        ``opacity_factor``: dtau smaller by 1.6e-8).

    Returns
    -------
    jax.Array
        (n_layers, n_grid) optical depth of each layer.

    Raises
    ------
    ValueError
        If shapes disagree with the grid, or a concrete input is out of range (negative or
        non-finite cross sections, mixing ratio outside [0, 1], non-positive mass or
        gravity). Traced out-of-range inputs give NaN rows.
    """
    c = constant_set(constants)
    n = grid.n_layers
    xs = _check_matrix("xs_cm2", xs_cm2, n)
    _check_nonneg_array("xs_cm2", xs_cm2, " [cm^2]")
    _check_fraction("mmr", mmr)
    check_positive("molmass_amu", molmass_amu, " [amu]")
    check_positive("gravity_cgs", gravity_cgs, " [cm s^-2]")
    dt = float_dtype(grid.dp_bar, xs, mmr, molmass_amu, gravity_cgs)
    x = _per_layer("mmr", mmr, n, dt)
    m = _per_layer("molmass_amu", molmass_amu, n, dt)
    g = _per_layer("gravity_cgs", gravity_cgs, n, dt)
    dp = grid.dp_bar.astype(dt)[:, None]
    out = (BAR_CGS / c["m_u"]) * xs.astype(dt) * dp * x / (m * g)
    return _guard(out, [x], [m, g], [x, m, g])


def dtau_xs_layer(
    dp_bar: ArrayLike,
    xs_cm2: ArrayLike,
    mmr: ArrayLike,
    molmass_amu: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """One layer's optical depth from a cross-section vector (for ``emission_flux_scan``).

    Parameters
    ----------
    dp_bar : ArrayLike
        Pressure thickness of the layer [bar], > 0.
    xs_cm2 : ArrayLike
        (n_grid,) cross section [cm^2 molecule^-1] (e.g. ``xsvector(T, P)``).
    mmr, molmass_amu, gravity_cgs : ArrayLike
        Scalars, as in ``dtau_xs``.
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    jax.Array
        (n_grid,) optical depth; NaN for a traced out-of-range input.
    """
    c = constant_set(constants)
    _check_fraction("mmr", mmr)
    check_positive("dp_bar", dp_bar, " [bar]")
    check_positive("molmass_amu", molmass_amu, " [amu]")
    check_positive("gravity_cgs", gravity_cgs, " [cm s^-2]")
    dt = float_dtype(dp_bar, xs_cm2, mmr, molmass_amu, gravity_cgs)
    dp, x, m, g = (as_float(v, dt) for v in (dp_bar, mmr, molmass_amu, gravity_cgs))
    out = (BAR_CGS / c["m_u"]) * as_float(xs_cm2, dt) * dp * x / (m * g)
    ok = (x >= 0) & (x <= 1) & (m > 0) & (g > 0) & (dp > 0)
    return nan_if_invalid(ok, out, value=x + m + g + dp)


# ----------------------------------------------------------------------------- CIA
def _cia_log_factor(p, dp, t, mmw, g, c):
    """ln of P dP / (k_B T mu m_u g) in cgs (P, dP in bar converted)."""
    return (
        2.0 * math.log(BAR_CGS)
        - math.log(c["k_b"] * c["m_u"])
        + jnp.log(p)
        + jnp.log(dp)
        - jnp.log(t)
        - jnp.log(mmw)
        - jnp.log(g)
    )


def dtau_cia(
    grid: LayerGrid,
    log_coeff: ArrayLike,
    t_layers_k: ArrayLike,
    vmr1: ArrayLike,
    vmr2: ArrayLike,
    mmw: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """Layer optical depths of collision-induced absorption.

    dtau = k_CIA n1 n2 dz = k_CIA x1 x2 P dP / (k_B T mu m_u g), evaluated in log space
    (k_CIA ~ 1e-46 cm^5 is below float32's range) so float32 works.

    Parameters
    ----------
    grid : LayerGrid
        The layers (``p_bar`` and ``dp_bar``).
    log_coeff : ArrayLike
        (n_layers, n_grid) natural log of the CIA coefficient [ln(cm^5 molecule^-2)] at each
        layer's temperature (``jaxstro.opacity.CIAGrid.log_coeff_matrix``). ExoJAX's
        ``logacia_matrix`` is log10: multiply it by ln 10.
    t_layers_k : ArrayLike
        (n_layers,) temperatures [K], > 0.
    vmr1, vmr2 : ArrayLike
        Scalar or (n_layers,) volume mixing ratios of the two partners, in [0, 1].
    mmw : ArrayLike
        Scalar or (n_layers,) mean molecular weight [amu], > 0.
    gravity_cgs : ArrayLike
        Scalar or (n_layers,) gravity [cm s^-2], > 0.
    constants : str
        "codata2018" or "exojax" (k_B and m_u of CODATA 2014).

    Returns
    -------
    jax.Array
        (n_layers, n_grid) optical depth.

    Raises
    ------
    ValueError
        On shape mismatch with the grid or concrete out-of-range inputs.
    """
    c = constant_set(constants)
    n = grid.n_layers
    lc = jnp.asarray(log_coeff)
    if lc.ndim != 2 or lc.shape[0] != n:
        raise ValueError(
            f"log_coeff must have shape (n_layers, n_grid) with n_layers = {n}; got {lc.shape}"
        )
    t = jnp.asarray(t_layers_k)
    if t.shape != (n,):
        raise ValueError(f"t_layers_k must have shape (n_layers,) = ({n},); got {t.shape}")
    check_positive("t_layers_k", t, " [K]")
    _check_fraction("vmr1", vmr1)
    _check_fraction("vmr2", vmr2)
    check_positive("mmw", mmw, " [amu]")
    check_positive("gravity_cgs", gravity_cgs, " [cm s^-2]")
    if not is_traced(lc) and np.any(np.isnan(np.asarray(lc))):
        raise ValueError("log_coeff holds NaN (a temperature outside the CIA table?)")
    dt = float_dtype(grid.p_bar, lc, t, vmr1, vmr2, mmw, gravity_cgs)
    tt = t.astype(dt)[:, None]
    x1, x2 = _per_layer("vmr1", vmr1, n, dt), _per_layer("vmr2", vmr2, n, dt)
    mu, g = _per_layer("mmw", mmw, n, dt), _per_layer("gravity_cgs", gravity_cgs, n, dt)
    ok = jnp.all((tt > 0) & (mu > 0) & (g > 0), axis=-1)[:, None]
    lf = _cia_log_factor(
        grid.p_bar.astype(dt)[:, None],
        grid.dp_bar.astype(dt)[:, None],
        stand_in(ok, tt, 1000.0),
        stand_in(ok, mu, 2.3),
        stand_in(ok, g, 1000.0),
        c,
    )
    out = x1 * x2 * jnp.exp(lc.astype(dt) + lf)
    return _guard(out, [x1, x2], [tt, mu, g], [x1, x2, tt, mu, g])


def dtau_cia_layer(
    p_bar: ArrayLike,
    dp_bar: ArrayLike,
    log_coeff: ArrayLike,
    t_k: ArrayLike,
    vmr1: ArrayLike,
    vmr2: ArrayLike,
    mmw: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """One layer's CIA optical depth (see ``dtau_cia``).

    Parameters
    ----------
    p_bar, dp_bar : ArrayLike
        Layer pressure and thickness [bar], > 0.
    log_coeff : ArrayLike
        (n_grid,) natural-log CIA coefficient [ln(cm^5 molecule^-2)] at ``t_k``.
    t_k : ArrayLike
        Layer temperature [K], > 0.
    vmr1, vmr2, mmw, gravity_cgs : ArrayLike
        Scalars, as in ``dtau_cia``.
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    jax.Array
        (n_grid,) optical depth; NaN for a traced out-of-range input.
    """
    c = constant_set(constants)
    for name, v, u in (
        ("p_bar", p_bar, " [bar]"),
        ("dp_bar", dp_bar, " [bar]"),
        ("t_k", t_k, " [K]"),
        ("mmw", mmw, " [amu]"),
        ("gravity_cgs", gravity_cgs, " [cm s^-2]"),
    ):
        check_positive(name, v, u)
    _check_fraction("vmr1", vmr1)
    _check_fraction("vmr2", vmr2)
    dt = float_dtype(p_bar, dp_bar, log_coeff, t_k, vmr1, vmr2, mmw, gravity_cgs)
    p, dp, t, x1, x2, mu, g = (
        as_float(v, dt) for v in (p_bar, dp_bar, t_k, vmr1, vmr2, mmw, gravity_cgs)
    )
    ok = (p > 0) & (dp > 0) & (t > 0) & (mu > 0) & (g > 0)
    ok = ok & (x1 >= 0) & (x1 <= 1) & (x2 >= 0) & (x2 <= 1)
    lf = _cia_log_factor(
        stand_in(ok, p, 1.0),
        stand_in(ok, dp, 0.1),
        stand_in(ok, t, 1000.0),
        stand_in(ok, mu, 2.3),
        stand_in(ok, g, 1000.0),
        c,
    )
    out = x1 * x2 * jnp.exp(as_float(log_coeff, dt) + lf)
    return nan_if_invalid(ok, out, value=p + dp + t + x1 + x2 + mu + g)


# ----------------------------------------------------------------------------- H- continuum
# John (1988), A&A 193, 189: bound-free fit (his Eq. 4-5, Table 1) and free-free fits
# (Table 3a: lambda > 0.3645 um; Table 3b: 0.1823-0.3645 um), lambda in um, kappa per unit
# electron pressure per H atom [cm^4 dyn^-1].
_LAMBDA0_UM = 1.6419
_BF_C = (152.519, 49.534, -118.858, 92.536, -34.194, 4.982)
_FF_LONG = (  # rows n = 1..6: A, B, C, D, E, F
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (2483.3460, 285.8270, -2054.2910, 2827.7760, -1341.5370, 208.9520),
    (-3449.8890, -1158.3820, 8746.5230, -11485.6320, 5303.6090, -812.9390),
    (2200.0400, 2427.7190, -13651.1050, 16755.5240, -7510.4940, 1132.7380),
    (-696.2710, -1841.4000, 8624.9700, -10051.5300, 4400.0670, -655.0200),
    (88.2830, 444.5170, -1863.8650, 2095.2880, -901.7880, 132.9850),
)
_FF_SHORT = (
    (518.1021, -734.8666, 1021.1775, -479.0721, 93.1373, -6.4285),
    (473.2636, 1443.4137, -1977.3395, 922.3575, -178.9275, 12.3600),
    (-482.2089, -737.1616, 1096.8827, -521.1341, 101.7963, -7.0571),
    (115.5291, 169.6374, -245.6490, 114.2430, -21.9972, 1.5097),
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
)


def _ff_sum(lam, theta, table):
    out = 0.0
    for i, (a, b, cc, d, e, f) in enumerate(table):
        n = i + 1
        if a == b == cc == d == e == f == 0.0:
            continue
        poly = lam**2 * a + b + cc / lam + d / lam**2 + e / lam**3 + f / lam**4
        out = out + theta ** ((n + 1) / 2.0) * poly
    return 1e-29 * out


def hminus_cross_section(
    nu_cm1: ArrayLike, t_k: ArrayLike, *, constants: str = "codata2018"
) -> jax.Array:
    """H- bound-free + free-free absorption per H atom per unit electron pressure (John 1988).

    kappa(nu, T) [cm^4 dyn^-1] such that the absorption coefficient is
    alpha = kappa n_H P_e [cm^-1] (the bound-free part includes stimulated emission).
    Bound-free below the photo-detachment threshold 1.6419 um (and above 0.125 um);
    free-free above 0.1823 um (two fits, joined at 0.3645 um); zero elsewhere.

    Parameters
    ----------
    nu_cm1 : ArrayLike
        (...) wavenumbers [cm^-1], > 0.
    t_k : ArrayLike
        Temperature [K], > 0 (the fits cover 1400-10080 K); broadcast against ``nu_cm1``.
    constants : str
        "codata2018" or "exojax" (h c / k_B in the bound-free exponent).

    Returns
    -------
    jax.Array
        kappa [cm^4 dyn^-1], broadcast shape.

    References
    ----------
    John (1988), A&A 193, 189.
    """
    c = constant_set(constants)
    check_positive("nu_cm1", nu_cm1, " [cm^-1]")
    check_positive("t_k", t_k, " [K]")
    dt = float_dtype(nu_cm1, t_k)
    nu, t = as_float(nu_cm1, dt), as_float(t_k, dt)
    lam = 1.0e4 / nu  # um
    alpha = c["hc_over_k"] * 1.0e4  # um K
    x = 1.0 / lam - 1.0 / _LAMBDA0_UM
    in_bf = (lam <= _LAMBDA0_UM) & (lam > 0.125) & (x > 0)
    xs = jnp.where(in_bf, x, 1.0)
    sq = jnp.sqrt(xs)
    f = 0.0
    for i, cn in enumerate(_BF_C):
        f = f + cn * sq**i  # x^((n-1)/2), n = 1..6
    sigma = 1e-18 * lam**3 * xs * sq * f
    kbf = 0.750 * t**-2.5 * jnp.exp(alpha / _LAMBDA0_UM / t) * (-jnp.expm1(-alpha / lam / t))
    kbf = jnp.where(in_bf, kbf * sigma, 0.0)
    theta = 5040.0 / t
    lam_l = jnp.where(lam > 0.3645, lam, 1.0)
    lam_s = jnp.where((lam >= 0.1823) & (lam <= 0.3645), lam, 0.3)
    kff = jnp.where(lam > 0.3645, _ff_sum(lam_l, theta, _FF_LONG), 0.0) + jnp.where(
        (lam >= 0.1823) & (lam <= 0.3645), _ff_sum(lam_s, theta, _FF_SHORT), 0.0
    )
    return kbf + kff


def dtau_hminus(
    grid: LayerGrid,
    nu_cm1: ArrayLike,
    t_layers_k: ArrayLike,
    pe_bar: ArrayLike,
    vmr_h: ArrayLike,
    mmw: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """Layer optical depths of the H- continuum from the electron pressure.

    dtau = kappa(nu, T) P_e n_H dz = kappa P_e x_H dP / (mu m_u g), using n_H = x_H n and
    dz = dP / (n mu m_u g). (ExoJAX's ``layer_optical_depth_Hminus`` takes an electron volume
    mixing ratio instead: P_e = x_e P.)

    Parameters
    ----------
    grid : LayerGrid
        The layers (``dp_bar``).
    nu_cm1 : ArrayLike
        (n_grid,) wavenumbers [cm^-1].
    t_layers_k : ArrayLike
        (n_layers,) temperatures [K].
    pe_bar : ArrayLike
        Scalar or (n_layers,) electron (partial) pressure [bar], >= 0.
    vmr_h : ArrayLike
        Scalar or (n_layers,) volume mixing ratio of atomic hydrogen, in [0, 1].
    mmw : ArrayLike
        Scalar or (n_layers,) mean molecular weight [amu].
    gravity_cgs : ArrayLike
        Scalar or (n_layers,) gravity [cm s^-2].
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    jax.Array
        (n_layers, n_grid) optical depth.
    """
    c = constant_set(constants)
    n = grid.n_layers
    t = jnp.asarray(t_layers_k)
    if t.shape != (n,):
        raise ValueError(f"t_layers_k must have shape (n_layers,) = ({n},); got {t.shape}")
    check_positive("pe_bar", pe_bar, " [bar]", allow_zero=True)
    _check_fraction("vmr_h", vmr_h)
    check_positive("mmw", mmw, " [amu]")
    check_positive("gravity_cgs", gravity_cgs, " [cm s^-2]")
    check_positive("t_layers_k", t, " [K]")
    dt = float_dtype(grid.dp_bar, nu_cm1, t, pe_bar, vmr_h, mmw, gravity_cgs)
    tt = t.astype(dt)[:, None]
    pe, xh = _per_layer("pe_bar", pe_bar, n, dt), _per_layer("vmr_h", vmr_h, n, dt)
    mu, g = _per_layer("mmw", mmw, n, dt), _per_layer("gravity_cgs", gravity_cgs, n, dt)
    ok = jnp.all(tt > 0, axis=-1)[:, None]
    kappa = hminus_cross_section(
        as_float(nu_cm1, dt)[None, :], stand_in(ok, tt, 3000.0), constants=constants
    )
    dp = grid.dp_bar.astype(dt)[:, None]
    out = kappa * (pe * BAR_CGS) * xh * (dp * (BAR_CGS / c["m_u"])) / (mu * g)
    return _guard(out, [xh], [tt, mu, g], [xh, tt, mu, g, pe])


def dtau_hminus_layer(
    dp_bar: ArrayLike,
    nu_cm1: ArrayLike,
    t_k: ArrayLike,
    pe_bar: ArrayLike,
    vmr_h: ArrayLike,
    mmw: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """One layer's H- optical depth (see ``dtau_hminus``); scalars except ``nu_cm1``.

    Parameters
    ----------
    dp_bar : ArrayLike
        Layer thickness [bar].
    nu_cm1 : ArrayLike
        (n_grid,) wavenumbers [cm^-1].
    t_k, pe_bar, vmr_h, mmw, gravity_cgs : ArrayLike
        Scalars: temperature [K], electron pressure [bar], H volume mixing ratio, mean
        molecular weight [amu], gravity [cm s^-2].
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    jax.Array
        (n_grid,) optical depth; NaN for a traced out-of-range input.
    """
    c = constant_set(constants)
    check_positive("t_k", t_k, " [K]")
    check_positive("pe_bar", pe_bar, " [bar]", allow_zero=True)
    _check_fraction("vmr_h", vmr_h)
    check_positive("mmw", mmw, " [amu]")
    check_positive("gravity_cgs", gravity_cgs, " [cm s^-2]")
    dt = float_dtype(dp_bar, nu_cm1, t_k, pe_bar, vmr_h, mmw, gravity_cgs)
    dp, t, pe, xh, mu, g = (as_float(v, dt) for v in (dp_bar, t_k, pe_bar, vmr_h, mmw, gravity_cgs))
    ok = (t > 0) & (pe >= 0) & (xh >= 0) & (xh <= 1) & (mu > 0) & (g > 0)
    kappa = hminus_cross_section(as_float(nu_cm1, dt), stand_in(ok, t, 3000.0), constants=constants)
    out = kappa * (pe * BAR_CGS) * xh * (dp * (BAR_CGS / c["m_u"])) / (mu * g)
    return nan_if_invalid(ok, out, value=t + pe + xh + mu + g)


# ----------------------------------------------------------------------------- Rayleigh
def dtau_rayleigh(
    grid: LayerGrid,
    xs_cm2: ArrayLike,
    vmr: ArrayLike,
    mmw: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """Layer (extinction) optical depths of Rayleigh scattering: sigma x dP / (mu m_u g).

    The solvers here are pure absorption: adding this dtau treats scattering as absorption
    (an upper limit on its effect in emission; exact for transmission).

    Parameters
    ----------
    grid : LayerGrid
        The layers.
    xs_cm2 : ArrayLike
        (n_grid,) or (n_layers, n_grid) Rayleigh cross section [cm^2 molecule^-1] (e.g.
        ``jaxstro.opacity.rayleigh_cross_section(nu, "H2")``).
    vmr : ArrayLike
        Scalar or (n_layers,) volume mixing ratio of the scatterer, in [0, 1].
    mmw : ArrayLike
        Scalar or (n_layers,) mean molecular weight [amu].
    gravity_cgs : ArrayLike
        Scalar or (n_layers,) gravity [cm s^-2].
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    jax.Array
        (n_layers, n_grid) optical depth.
    """
    return dtau_xs(grid, xs_cm2, vmr, mmw, gravity_cgs, constants=constants)


def dtau_rayleigh_layer(
    dp_bar: ArrayLike,
    xs_cm2: ArrayLike,
    vmr: ArrayLike,
    mmw: ArrayLike,
    gravity_cgs: ArrayLike,
    *,
    constants: str = "codata2018",
) -> jax.Array:
    """One layer's Rayleigh optical depth (see ``dtau_rayleigh``).

    Parameters
    ----------
    dp_bar : ArrayLike
        Layer thickness [bar].
    xs_cm2 : ArrayLike
        (n_grid,) cross section [cm^2 molecule^-1].
    vmr, mmw, gravity_cgs : ArrayLike
        Scalars.
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    jax.Array
        (n_grid,) optical depth.
    """
    return dtau_xs_layer(dp_bar, xs_cm2, vmr, mmw, gravity_cgs, constants=constants)
