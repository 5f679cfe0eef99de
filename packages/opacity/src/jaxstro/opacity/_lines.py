"""Line physics: temperature-dependent intensity, Doppler and pressure widths."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

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


def line_strength(t_k, strength_ref, elower_cm1, nu_cm1, q_ratio, *, t_ref_k=296.0):
    """Line intensity at ``t_k`` [cm/molecule] from its value at ``t_ref_k``.

    ``S(T) = S_ref q exp(-c2 E'' (1/T - 1/T_ref)) (1 - e^{-c2 nu/T}) / (1 - e^{-c2 nu/T_ref})``
    with ``q = q_ratio = Q(T_ref)/Q(T)`` per line.
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


def doppler_sigma(nu_cm1, t_k, molmass_amu):
    """Gaussian standard deviation of thermal Doppler broadening [cm^-1]: nu sqrt(kT/(m c^2))."""
    return nu_cm1 * jnp.sqrt(K_B_CGS * t_k / (molmass_amu * AMU_G)) / C_CGS


def pressure_gamma(t_k, p_bar, gamma_ref, n_temp, fractions, *, t_ref_k=296.0):
    """Lorentz HWHM [cm^-1]: ``P sum_b x_b gamma_ref_b (T_ref/T)^n_b``.

    ``gamma_ref`` and ``n_temp`` have shape (n_lines, n_broadener); ``fractions`` (n_broadener,).
    """
    return p_bar * jnp.sum(fractions * gamma_ref * (t_ref_k / t_k) ** n_temp, axis=-1)


def partition_ratio(t_k, pf_t_k, pf_q, *, t_ref_k=296.0):
    """Q(T_ref)/Q(T) for each tabulated isotopologue (rows of ``pf_q``), linear interpolation."""
    pf_t = jnp.asarray(pf_t_k)
    q_t = jnp.stack([jnp.interp(t_k, pf_t, row) for row in jnp.asarray(pf_q)])
    q_ref = np.array([np.interp(t_ref_k, np.asarray(pf_t_k), row) for row in np.asarray(pf_q)])
    return jnp.asarray(q_ref, dtype=q_t.dtype) / q_t
