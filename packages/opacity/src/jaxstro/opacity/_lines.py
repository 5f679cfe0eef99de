"""Line physics: temperature-dependent intensity, Doppler and pressure widths."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.opacity._checks import is_traced, stand_in

__all__ = [
    "line_strength",
    "doppler_sigma",
    "pressure_gamma",
    "partition_ratio",
    "C2_CM_K",
    "K_B_CGS",
    "C_CGS",
    "AMU_G",
]

C2_CM_K = 1.438776877  # h c / k_B [cm K]
K_B_CGS = 1.380649e-16  # erg / K
C_CGS = 2.99792458e10  # cm / s
AMU_G = 1.66053906660e-24  # g


def line_strength(
    t_k: ArrayLike,
    strength_ref: ArrayLike,
    elower_cm1: ArrayLike,
    nu_cm1: ArrayLike,
    q_ratio: ArrayLike,
    *,
    t_ref_k: float = 296.0,
) -> jax.Array:
    """Line intensity at ``t_k`` [cm/molecule] from its value at ``t_ref_k``.

    ``S(T) = S_ref q exp(-c2 E'' (1/T - 1/T_ref)) (1 - e^{-c2 nu/T}) / (1 - e^{-c2 nu/T_ref})``
    with ``q = q_ratio = Q(T_ref)/Q(T)`` per line.

    Parameters
    ----------
    t_k : ArrayLike
        Temperature [K], ``> 0``: a scalar (or an array broadcasting with the line arrays).
    strength_ref : ArrayLike
        (n_lines,) line intensities at ``t_ref_k`` [cm/molecule], ``>= 0`` (a zero stays
        zero).
    elower_cm1 : ArrayLike
        (n_lines,) lower-state energies [cm^-1].
    nu_cm1 : ArrayLike
        (n_lines,) line-centre wavenumbers [cm^-1], ``> 0``.
    q_ratio : ArrayLike
        (n_lines,) or scalar partition-function ratio ``Q(t_ref_k) / Q(t_k)``
        (dimensionless) of each line's isotopologue, e.g. ``partition_ratio(...)`` indexed
        with ``LineList.pf_index``.
    t_ref_k : float
        Reference temperature of ``strength_ref`` [K] (``LineList.t_ref_k``, 296 K).

    Returns
    -------
    jax.Array
        (n_lines,) line intensities at ``t_k`` [cm/molecule] (the broadcast shape of the
        inputs).
    """
    return line_strength_log(
        t_k, jnp.log(strength_ref), elower_cm1, nu_cm1, q_ratio, t_ref_k=t_ref_k
    )


def line_strength_log(t_k, log_strength_ref, elower_cm1, nu_cm1, q_ratio, *, t_ref_k=296.0):
    """:func:`line_strength` from ln S_ref: hot lines have S_ref ~ 1e-50 at 296 K (below the
    float32 range) yet matter at 1500 K, and their Boltzmann factor alone overflows float32, so
    the two are combined in log space."""
    log_boltz = -C2_CM_K * elower_cm1 * (1.0 / t_k - 1.0 / t_ref_k)
    stim = jnp.expm1(-C2_CM_K * nu_cm1 / t_k) / jnp.expm1(-C2_CM_K * nu_cm1 / t_ref_k)
    return jnp.exp(log_strength_ref + log_boltz) * q_ratio * stim


def doppler_sigma(nu_cm1: ArrayLike, t_k: ArrayLike, molmass_amu: ArrayLike) -> jax.Array:
    """Gaussian standard deviation of thermal Doppler broadening [cm^-1]: nu sqrt(kT/(m c^2)).

    This is the standard deviation, not the half width (HWHM = sqrt(2 ln 2) sigma).

    Parameters
    ----------
    nu_cm1 : ArrayLike
        (n_lines,) line-centre wavenumbers [cm^-1].
    t_k : ArrayLike
        Temperature [K], ``>= 0``: a scalar (or an array broadcasting with ``nu_cm1``).
    molmass_amu : ArrayLike
        (n_lines,) or scalar mass of the absorbing molecule [amu]
        (``LineList.molmass_amu``).

    Returns
    -------
    jax.Array
        (n_lines,) Doppler sigma [cm^-1] (the broadcast shape of the inputs).
    """
    return nu_cm1 * jnp.sqrt(K_B_CGS * t_k / (molmass_amu * AMU_G)) / C_CGS


def pressure_gamma(
    t_k: ArrayLike,
    p_bar: ArrayLike,
    gamma_ref: ArrayLike,
    n_temp: ArrayLike,
    fractions: ArrayLike,
    *,
    t_ref_k: float = 296.0,
) -> jax.Array:
    """Lorentz HWHM [cm^-1]: ``P sum_b x_b gamma_ref_b (T_ref/T)^n_b``.

    Parameters
    ----------
    t_k : ArrayLike
        Scalar temperature [K], ``> 0``.
    p_bar : ArrayLike
        Scalar total pressure [bar].
    gamma_ref : ArrayLike
        (n_lines, n_broadener) pressure-broadening HWHM at ``t_ref_k`` and 1 bar of each
        broadener [cm^-1/bar] (``LineList.gamma_ref``).
    n_temp : ArrayLike
        (n_lines, n_broadener) temperature exponents of the widths (dimensionless;
        ``LineList.n_temp``).
    fractions : ArrayLike
        (n_broadener,) volume mixing ratios ``x_b`` of the broadeners
        (``LineList.broadener_fractions``).
    t_ref_k : float
        Reference temperature of ``gamma_ref`` [K] (296 K).

    Returns
    -------
    jax.Array
        (n_lines,) Lorentzian half width at half maximum [cm^-1].
    """
    return p_bar * jnp.sum(fractions * gamma_ref * (t_ref_k / t_k) ** n_temp, axis=-1)


def partition_ratio(
    t_k: ArrayLike, pf_t_k: ArrayLike, pf_q: ArrayLike, *, t_ref_k: float = 296.0
) -> jax.Array:
    """Q(T_ref)/Q(T) for each tabulated isotopologue (rows of ``pf_q``), linear interpolation.

    Parameters
    ----------
    t_k : ArrayLike
        (...) temperature [K], usually a scalar, within ``[pf_t_k[0], pf_t_k[-1]]``. Out of
        the table (NaN and inf included) follows the package's out-of-range policy: a
        concrete value raises ``ValueError``, a traced one gives NaN.
    pf_t_k : ArrayLike
        (n_T,) ascending table temperatures [K] (``LineList.pf_t_k``); may be traced (a
        calculator passed to jit as an argument).
    pf_q : ArrayLike
        (n_iso, n_T) partition function of each isotopologue on ``pf_t_k`` (dimensionless;
        ``LineList.pf_q``).
    t_ref_k : float
        Reference temperature [K] (296 K).

    Returns
    -------
    jax.Array
        (n_iso, ...) ``Q(t_ref_k) / Q(t_k)`` (dimensionless), one row per isotopologue, in
        the dtype of the interpolated ``Q(t_k)``.
    """
    pf_t, q_tab = jnp.asarray(pf_t_k), jnp.asarray(pf_q)
    if not is_traced(t_k, pf_t_k):
        t = np.asarray(t_k, dtype=np.float64)
        lo, hi = float(pf_t[0]), float(pf_t[-1])
        if np.any(~np.isfinite(t)) or np.any((t < lo) | (t > hi)):
            raise ValueError(
                f"t_k={t} K lies outside the partition-function table [{lo:g}, {hi:g}] K"
            )
    t = jnp.asarray(t_k)
    ok = (t >= pf_t[0]) & (t <= pf_t[-1])
    t_safe = stand_in(ok, t, t_ref_k)
    q_t = jnp.stack([jnp.interp(t_safe, pf_t, row) for row in q_tab])
    q_ref = jnp.stack([jnp.interp(jnp.asarray(t_ref_k, q_t.dtype), pf_t, row) for row in q_tab])
    ratio = q_ref.reshape(q_ref.shape + (1,) * t.ndim) / q_t
    return jnp.where(ok, ratio, jnp.nan)
