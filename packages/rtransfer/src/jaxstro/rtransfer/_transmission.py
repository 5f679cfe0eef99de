"""Transmission: chord optical depth through spherical shells, transit radius and depth.

Geometry (``hydrostatic_radii``): layer n is the spherical shell between the radii
r_{n+1} (its lower boundary) and r_n (its upper boundary), top layer first, with height
h_n = r_n - r_{n+1}. Its optical depth dtau_n (the radial, vertical value) is taken as spread
uniformly in radius over the shell, so a ray with impact parameter b crosses a slant optical
depth

    tau(b) = sum_k 2 dtau_k / h_k [sqrt(r_k^2 - b^2) - sqrt(max(r_{k+1}, b)^2 - b^2)]

over the shells k above b (ExoJAX's chord geometric matrix, Kawahara et al. 2024). The shells
below the deepest boundary r_N are opaque, so the transit radius is

    R_p^2(nu) = r_N^2 + 2 int_{r_N}^{r_0} (1 - exp(-tau(r))) r dr,

integrated with Simpson's rule on each shell's lower boundary and midpoint (default) or the
trapezoidal rule on the lower boundaries only, exactly as ExoJAX's ``ArtTransPure``.

Reference convention: the radii come from ``hydrostatic_radii``, whose ``radius_ref_cm`` and
``gravity_ref_cgs`` belong to the pressure ``p_ref_bar`` (default: the deepest boundary, ExoJAX's
``radius_btm``/``gravity_btm``). The transit radius is an absolute radius [cm] measured from the
planet's centre; the transit depth is (R_p / R_star)^2.

Precision: the chord lengths are computed from the altitudes above r_N (sums of the layer
heights), never as differences of two large radii, so float32 keeps ~1e-6 relative accuracy
in the chord optical depth.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxstro.rtransfer._checks import check_positive, float_dtype, nan_if_invalid, stand_in
from jaxstro.rtransfer._emission import _check_dtau
from jaxstro.rtransfer._layers import AtmosphereRadii

__all__ = ["chord_optical_depth", "transit_radius", "transit_depth", "TRANSIT_INTEGRATIONS"]

TRANSIT_INTEGRATIONS: tuple[str, ...] = ("simpson", "trapezoid")
"""Radial integration schemes of ``transit_radius``."""

_CHORD_POINTS = ("lower", "midpoint")


def _check_radii(radii, n):
    if not isinstance(radii, AtmosphereRadii):
        raise TypeError(
            "radii must be an AtmosphereRadii (the output of hydrostatic_radii); "
            f"got {type(radii).__name__}"
        )
    if jnp.shape(radii.height_cm) != (n,) or jnp.shape(radii.r_boundary_cm) != (n + 1,):
        raise ValueError(
            f"radii has {jnp.shape(radii.height_cm)[0]} layers but dtau has {n}: the layer "
            "counts of the radii (grid, temperatures) and dtau disagree"
        )


def _shell_geometry(radii, dt):
    """(r_btm, altitudes of the n+1 boundaries above r_btm, heights), all in dtype ``dt``."""
    h = jnp.asarray(radii.height_cm, dtype=dt)
    z_b = jnp.concatenate([jnp.cumsum(h[::-1])[::-1], jnp.zeros((1,), dtype=dt)])
    r_btm = jnp.asarray(radii.r_boundary_cm, dtype=dt)[-1]
    return r_btm, z_b, h


def _safe_sqrt(x):
    """sqrt(x) for x > 0, 0 elsewhere, with a finite (zero) gradient where x <= 0."""
    pos = x > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, x, 1.0)), 0.0)


def _chord_matrix(r_btm, z_b, h, point):
    """(n_layers, n_layers) chord geometric matrix: tau_chord = M @ dtau (lower triangular).

    Row n is the ray at impact parameter b_n (layer n's lower boundary or its midpoint);
    column k the shell k (above or containing b_n, k <= n).
    """
    z_up, z_lo = z_b[:-1], z_b[1:]
    zb = z_lo if point == "lower" else z_lo + 0.5 * h  # (n,) impact altitude of each ray
    # r^2 - b^2 = (z_r - z_b)(2 r_btm + z_r + z_b), no cancellation of large radii
    up = (z_up[None, :] - zb[:, None]) * (2.0 * r_btm + z_up[None, :] + zb[:, None])
    lo = (z_lo[None, :] - zb[:, None]) * (2.0 * r_btm + z_lo[None, :] + zb[:, None])
    n = h.shape[0]
    idx = jnp.arange(n)
    above_or_in = idx[None, :] <= idx[:, None]  # shell k at or above ray n
    strictly_above = idx[None, :] < idx[:, None]
    up = jnp.where(above_or_in, up, 0.0)
    lo = jnp.where(strictly_above, lo, 0.0)
    return 2.0 * (_safe_sqrt(up) - _safe_sqrt(lo)) / h[None, :]


def _prepare(dtau, radii):
    d = _check_dtau(dtau)
    n = d.shape[0]
    _check_radii(radii, n)
    dt = float_dtype(d, radii.height_cm)
    d = d.astype(dt)
    r_btm, z_b, h = _shell_geometry(radii, dt)
    ok_d = jnp.all((d >= 0) & jnp.isfinite(d), axis=0)  # (n_grid,)
    ok_g = jnp.all((h > 0) & jnp.isfinite(h)) & (r_btm > 0) & jnp.isfinite(r_btm)
    d = stand_in(ok_d[None, :], d, 0.0)
    h = stand_in(ok_g, h, 1.0)
    z_b = stand_in(ok_g, z_b, 1.0)
    r_btm = stand_in(ok_g, r_btm, 1.0)
    return d, r_btm, z_b, h, ok_d & ok_g


def chord_optical_depth(dtau: ArrayLike, radii: AtmosphereRadii, *, at: str = "lower") -> jax.Array:
    """Slant (chord) optical depth of rays grazing each layer, through spherical shells.

    Parameters
    ----------
    dtau : ArrayLike
        (n_layers, n_grid) radial optical depth of each layer, top first, >= 0.
    radii : AtmosphereRadii
        Layer geometry from ``hydrostatic_radii`` (same layers as ``dtau``).
    at : str
        Impact parameter of ray n: "lower" (default) the lower boundary radius of layer n,
        "midpoint" the arithmetic mean of its boundary radii (ExoJAX's
        ``chord_geometric_matrix_lower`` / ``chord_geometric_matrix``).

    Returns
    -------
    jax.Array
        (n_layers, n_grid) chord optical depth [dimensionless]; NaN in the columns where a
        traced dtau is negative or non-finite (everywhere for invalid traced radii).

    Raises
    ------
    ValueError
        If ``at`` is unknown, the layer counts of ``dtau`` and ``radii`` disagree or a concrete
        dtau is negative or non-finite.
    """
    if at not in _CHORD_POINTS:
        raise ValueError(f"at must be one of {_CHORD_POINTS}; got {at!r}")
    d, r_btm, z_b, h, ok = _prepare(dtau, radii)
    m = _chord_matrix(r_btm, z_b, h, at)
    out = m @ d
    return nan_if_invalid(ok, out.T, value=jnp.sum(d, axis=0) + jnp.sum(h)).T


def _delta_r2(d, r_btm, z_b, h, integration):
    """2 int (1 - exp(-tau)) r dr over the atmosphere [cm^2], (n_grid,)."""
    z_lo = z_b[1:]
    r_lo = r_btm + z_lo
    tau_lo = _chord_matrix(r_btm, z_b, h, "lower") @ d
    f_lo = 2.0 * (-jnp.expm1(-tau_lo)) * r_lo[:, None]
    if integration == "trapezoid":
        # ExoJAX's rtrun_trans_pureabs_trapezoid: trapezoid over the lower boundaries plus the
        # top shell's edge term (1 - exp(-tau_0)) r_top dr_0
        dr = z_b[1:-1] - z_b[2:]  # spacing between consecutive lower boundaries, (n-1,)
        inner = jnp.sum(0.5 * (f_lo[:-1] + f_lo[1:]) * dr[:, None], axis=0)
        r_top = r_btm + z_b[0]
        edge = (-jnp.expm1(-tau_lo[0])) * r_top * h[0]
        return inner + edge
    r_mid = r_lo + 0.5 * h
    tau_mid = _chord_matrix(r_btm, z_b, h, "midpoint") @ d
    f_mid = 2.0 * (-jnp.expm1(-tau_mid)) * r_mid[:, None]
    # ExoJAX's signal.integrate.simpson with f_top = 0 (no absorption above the top boundary):
    # sum_n h_n (f_up + 4 f_mid + f_lo) / 6 with f_up of shell n = f_lo of shell n-1.
    f_up = jnp.concatenate([jnp.zeros_like(f_lo[:1]), f_lo[:-1]])
    return jnp.sum(h[:, None] * (f_up + 4.0 * f_mid + f_lo), axis=0) / 6.0


def transit_radius(
    dtau: ArrayLike, radii: AtmosphereRadii, *, integration: str = "simpson"
) -> jax.Array:
    """Transit radius spectrum R_p(nu) [cm] of a layered atmosphere with pure absorption.

    R_p^2 = r_N^2 + 2 int_{r_N}^{r_0} (1 - exp(-tau_chord(r))) r dr, with r_N the deepest
    boundary (opaque below) and r_0 the top boundary (transparent above). The radius at the
    reference pressure is set in ``hydrostatic_radii`` (``radius_ref_cm`` at ``p_ref_bar``,
    default the deepest boundary as in ExoJAX). The rule "simpson" matches ExoJAX's default;
    ExoJAX's ``ArtTransPure.run`` returns (R_p / r_N)^2.

    Parameters
    ----------
    dtau : ArrayLike
        (n_layers, n_grid) radial layer optical depths, top first, >= 0.
    radii : AtmosphereRadii
        Layer geometry from ``hydrostatic_radii``.
    integration : str
        "simpson" (default; lower boundaries and midpoints) or "trapezoid" (lower boundaries).

    Returns
    -------
    jax.Array
        (n_grid,) transit radius [cm]; NaN where a traced input is out of range.

    Raises
    ------
    ValueError
        If ``integration`` is unknown, layer counts disagree, or a concrete dtau is negative or
        non-finite.
    """
    if integration not in TRANSIT_INTEGRATIONS:
        raise ValueError(f"integration must be one of {TRANSIT_INTEGRATIONS}; got {integration!r}")
    d, r_btm, z_b, h, ok = _prepare(dtau, radii)
    dr2 = _delta_r2(d, r_btm, z_b, h, integration)
    # R_p = r_N + dr2 / (r_N + R_p): the effective height without cancellation
    rp = r_btm + dr2 / (r_btm + jnp.sqrt(r_btm**2 + dr2))
    return nan_if_invalid(ok, rp, value=jnp.sum(d, axis=0) + jnp.sum(h))


def transit_depth(
    dtau: ArrayLike,
    radii: AtmosphereRadii,
    radius_star_cm: ArrayLike,
    *,
    integration: str = "simpson",
) -> jax.Array:
    """Transit depth spectrum (R_p(nu) / R_star)^2 [dimensionless].

    Parameters
    ----------
    dtau : ArrayLike
        (n_layers, n_grid) radial layer optical depths, top first.
    radii : AtmosphereRadii
        Layer geometry from ``hydrostatic_radii``.
    radius_star_cm : ArrayLike
        Stellar radius [cm], > 0.
    integration : str
        "simpson" (default) or "trapezoid" (see ``transit_radius``).

    Returns
    -------
    jax.Array
        (n_grid,) transit depth.

    Raises
    ------
    ValueError
        As ``transit_radius``, and if a concrete ``radius_star_cm`` is not finite and positive.
    """
    check_positive("radius_star_cm", radius_star_cm, " [cm]")
    rp = transit_radius(dtau, radii, integration=integration)
    rs = jnp.asarray(radius_star_cm, dtype=rp.dtype)
    ok = (rs > 0) & jnp.isfinite(rs)
    rs = stand_in(ok, rs, 1.0)
    return nan_if_invalid(ok, (rp / rs) ** 2, value=rs)
