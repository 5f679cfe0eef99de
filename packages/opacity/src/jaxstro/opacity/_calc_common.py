"""Line arrays shared by the calculators, and input checks."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxstro.opacity._lines import (
    doppler_sigma,
    line_strength_log,
    partition_ratio,
    pressure_gamma,
)

__all__ = [
    "CrossSectionAPI",
    "LineArrays",
    "line_arrays",
    "check_grid",
    "check_tp",
    "select_lines",
    "strengths_widths",
]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class LineArrays:
    """The LineList fields the calculators use, as JAX arrays (a pytree)."""

    nu: jax.Array
    log_strength_ref: jax.Array  # ln(S_ref x isotopic abundance weight); -inf for padding
    elower: jax.Array
    gamma_ref: jax.Array  # (n, n_b)
    n_temp: jax.Array  # (n, n_b)
    fractions: jax.Array  # (n_b,)
    delta_ref: jax.Array
    molmass: jax.Array
    pf_index: jax.Array
    pf_t: jax.Array
    pf_q: jax.Array
    t_ref: float = dataclasses.field(metadata=dict(static=True))


class CrossSectionAPI:
    """``xsvector`` / ``xsmatrix`` of every calculator: input checks at the public boundary
    (against ``self.t_range``), then the method's own ``_xs(t_k, p_bar)``."""

    def xsvector(self, t_k, p_bar):
        """Cross section [cm^2/molecule] on ``nu_grid`` at temperature [K] and pressure [bar]."""
        check_tp(t_k, p_bar, self.t_range)
        return self._xs(t_k, p_bar)

    def xsmatrix(self, t_layers, p_layers):
        """(n_layers, n_grid) cross sections; layers run sequentially (``lax.map``)."""
        check_tp(t_layers, p_layers, self.t_range)
        t, p = jnp.broadcast_arrays(jnp.asarray(t_layers), jnp.asarray(p_layers))
        return jax.lax.map(lambda tp: self._xs(tp[0], tp[1]), (t, p))


def _log_strength(lines) -> np.ndarray:
    s = np.asarray(lines.strength_ref, dtype=np.float64) * np.asarray(lines.abundance)
    with np.errstate(divide="ignore"):
        return np.log(s)


def line_arrays(lines, keep=None, dtype=None) -> LineArrays:
    """Convert a ``jaxstro.linedb.LineList`` (optionally a subset ``keep``) to JAX arrays."""
    sel = slice(None) if keep is None else keep
    dt = dtype or jnp.asarray(0.0).dtype
    a = lambda v: jnp.asarray(np.asarray(v)[sel], dtype=dt)
    return LineArrays(
        nu=a(lines.nu_cm1),
        log_strength_ref=a(_log_strength(lines)),
        elower=a(lines.elower_cm1),
        gamma_ref=a(lines.gamma_ref),
        n_temp=a(lines.n_temp),
        fractions=jnp.asarray(lines.broadener_fractions, dtype=dt),
        delta_ref=a(lines.delta_ref),
        molmass=a(lines.molmass_amu),
        pf_index=jnp.asarray(np.asarray(lines.pf_index)[sel]),
        pf_t=jnp.asarray(lines.pf_t_k, dtype=dt),
        pf_q=jnp.asarray(lines.pf_q, dtype=dt),
        t_ref=float(lines.t_ref_k),
    )


def select_lines(lines, nu_grid, margin_cm1) -> np.ndarray:
    """Indices of the lines centred within ``margin_cm1`` [cm^-1] of the grid's ends."""
    nu = np.asarray(nu_grid, dtype=np.float64)
    m = float(margin_cm1)
    if not (m >= 0):
        raise ValueError(f"margin_cm1 must be >= 0 [cm^-1]; got {margin_cm1!r}")
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)
    keep = np.flatnonzero((nu_l >= nu[0] - m) & (nu_l <= nu[-1] + m))
    if keep.size == 0:
        raise ValueError(
            f"no line of `lines` lies within margin_cm1={m:g} cm^-1 of nu_grid "
            f"[{nu[0]:.6g}, {nu[-1]:.6g}] cm^-1 (lines span "
            f"[{nu_l.min():.6g}, {nu_l.max():.6g}])"
        )
    return keep


def strengths_widths(la: LineArrays, t_k, p_bar):
    """Per-line intensity S(T) [cm/molecule], Doppler sigma and Lorentz HWHM [cm^-1]."""
    q = partition_ratio(t_k, la.pf_t, la.pf_q, t_ref_k=la.t_ref)[la.pf_index]
    s = line_strength_log(t_k, la.log_strength_ref, la.elower, la.nu, q, t_ref_k=la.t_ref)
    sig = doppler_sigma(la.nu, t_k, la.molmass)
    gam = pressure_gamma(t_k, p_bar, la.gamma_ref, la.n_temp, la.fractions, t_ref_k=la.t_ref)
    return s, sig, gam


def check_grid(nu_grid) -> np.ndarray:
    nu = np.asarray(nu_grid, dtype=np.float64)
    if nu.ndim != 1 or nu.size < 2 or not np.all(np.diff(nu) > 0):
        raise ValueError(
            f"nu_grid must be a 1-D strictly increasing array [cm^-1]; got shape {nu.shape}"
        )
    return nu


def check_tp(t_k, p_bar, t_range) -> None:
    """Value checks on concrete (non-traced) temperatures and pressures."""
    if isinstance(t_k, jax.core.Tracer) or isinstance(p_bar, jax.core.Tracer):
        return
    t = np.asarray(t_k, dtype=np.float64)
    p = np.asarray(p_bar, dtype=np.float64)
    lo, hi = t_range
    if np.any(~np.isfinite(t)) or np.any(t < lo) or np.any(t > hi):
        raise ValueError(
            f"t_k={t} K lies outside the valid range [{lo:g}, {hi:g}] K of this "
            "calculator (partition-function table / robust range)"
        )
    if np.any(~np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"p_bar must be positive and finite; got {p}")
