"""Dust attenuation (Calzetti 2000; Charlot & Fall 2000) and IGM transmission (Madau 1995)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.sedphys._checks import FINITE, NON_NEGATIVE, POSITIVE, Args, Domain

__all__ = [
    "calzetti_k",
    "calzetti_transmission",
    "power_law_tau",
    "igm_transmission_madau",
    "BIRTH_CLOUD_AGE_GYR",
]

#: Charlot & Fall (2000): stars younger than this are still in their birth clouds
BIRTH_CLOUD_AGE_GYR = 0.01
CALZETTI_RV = 4.05
_WAVE_WHAT = "wavelength [Angstrom] > 0"
Z_SOURCE = Domain(0.0, np.inf)  # a source we receive light from


def calzetti_k(wave_aa: ArrayLike) -> jax.Array:
    """Calzetti et al. (2000) starburst attenuation curve k(lambda) = A_lambda / E(B-V)_s.

    Eq. (4) with R_V = 4.05: the UV/optical polynomial for 0.12-0.63 um and the near-IR branch
    for 0.63-2.2 um. Beyond the fitted range the two branches are continued (as in Bagpipes and
    FSPS): the polynomial below 0.12 um, the near-IR form above 2.2 um clipped at 0.

    Parameters
    ----------
    wave_aa : ArrayLike
        (...) rest-frame wavelength [Angstrom], ``> 0``.

    Returns
    -------
    jax.Array
        (...) ``k(lambda)`` (dimensionless, ``>= 0``; 4.05 at 5500 A); NaN where a traced
        ``wave_aa`` is not ``> 0`` and finite.

    Raises
    ------
    ValueError
        If a concrete ``wave_aa`` is ``<= 0``, NaN or inf.
    """
    args = Args("calzetti_k")
    wave_aa = args.arg("wave_aa", wave_aa, POSITIVE, _WAVE_WHAT)
    return args.guard(_calzetti_k(wave_aa))


def _calzetti_k(wave_aa):
    x = 1.0 / (wave_aa * 1e-4)  # inverse micron
    uv = 2.659 * (-2.156 + 1.509 * x - 0.198 * x**2 + 0.011 * x**3) + CALZETTI_RV
    ir = 2.659 * (-1.857 + 1.040 * x) + CALZETTI_RV
    return jnp.maximum(jnp.where(wave_aa < 6300.0, uv, ir), 0.0)


def calzetti_transmission(wave_aa: ArrayLike, av: ArrayLike) -> jax.Array:
    """exp(-tau) for Calzetti (2000) with V-band attenuation ``av`` [mag].

    Parameters
    ----------
    wave_aa : ArrayLike
        (...) rest-frame wavelength [Angstrom], ``> 0``.
    av : ArrayLike
        V-band attenuation A_V [mag], ``>= 0`` (finite); a scalar or broadcasting with
        ``wave_aa``.

    Returns
    -------
    jax.Array
        (...) transmitted fraction ``10**(-0.4 A_lambda)`` with
        ``A_lambda = av k(lambda) / 4.05`` (dimensionless, in (0, 1]); NaN where a traced
        argument lies outside its range.

    Raises
    ------
    ValueError
        If a concrete ``wave_aa`` is ``<= 0`` or ``av < 0`` (dust does not brighten), or
        either is NaN or inf.
    """
    args = Args("calzetti_transmission")
    wave_aa = args.arg("wave_aa", wave_aa, POSITIVE, _WAVE_WHAT)
    av = args.arg("av", av, NON_NEGATIVE, "V-band attenuation [mag] >= 0")
    return args.guard(_calzetti_transmission(wave_aa, av))


def _calzetti_transmission(wave_aa, av):
    a_lambda = av * _calzetti_k(wave_aa) / CALZETTI_RV
    return 10.0 ** (-0.4 * a_lambda)


def power_law_tau(wave_aa: ArrayLike, tau_v: ArrayLike, slope: ArrayLike) -> jax.Array:
    """Optical depth ``tau_v (lambda / 5500 A)**slope`` (Charlot & Fall 2000 uses slope -0.7).

    Parameters
    ----------
    wave_aa : ArrayLike
        (...) rest-frame wavelength [Angstrom], ``> 0``.
    tau_v : ArrayLike
        Optical depth at 5500 A (dimensionless), ``>= 0``.
    slope : ArrayLike
        Power-law index (dimensionless), finite.

    Returns
    -------
    jax.Array
        (...) optical depth (dimensionless, ``>= 0``), the broadcast shape of the inputs;
        NaN where a traced argument lies outside its range.

    Raises
    ------
    ValueError
        If a concrete ``wave_aa <= 0``, ``tau_v < 0`` or any argument is NaN or inf.
    """
    args = Args("power_law_tau")
    wave_aa = args.arg("wave_aa", wave_aa, POSITIVE, _WAVE_WHAT)
    tau_v = args.arg("tau_v", tau_v, NON_NEGATIVE, "optical depth >= 0")
    slope = args.arg("slope", slope, FINITE, "power-law index")
    return args.guard(_power_law_tau(wave_aa, tau_v, slope))


def _power_law_tau(wave_aa, tau_v, slope):
    return tau_v * (wave_aa / 5500.0) ** slope


# Madau (1995) Lyman-series coefficients (Ly-alpha..Ly-delta) and line wavelengths [A]
_MADAU_A = (3.6e-3, 1.7e-3, 1.2e-3, 9.3e-4)
_MADAU_LAM = (1215.67, 1025.72, 972.537, 949.743)
_LYMAN_LIMIT = 911.75


def igm_transmission_madau(wave_obs_aa: ArrayLike, z: ArrayLike) -> jax.Array:
    """Mean IGM transmission exp(-tau_eff) at observed wavelengths for a source at redshift z.

    Madau (1995): Lyman-series line blanketing, tau = sum_j A_j (lambda_obs / lambda_j)^3.46
    for lambda_j < lambda_obs < lambda_j (1 + z) (absorbers between the source and z = 0), plus
    the photoelectric (Lyman-continuum) absorption of the footnote-3 approximation below
    912 (1 + z) A. Equal to 1 at z = 0.

    Parameters
    ----------
    wave_obs_aa : ArrayLike
        (n_wave,) observed-frame wavelength [Angstrom], ``> 0``.
    z : ArrayLike
        Scalar source redshift (dimensionless), finite and ``>= 0``.

    Returns
    -------
    jax.Array
        (n_wave,) transmitted fraction (dimensionless, in (0, 1]); NaN where a traced
        argument lies outside its range.

    Raises
    ------
    ValueError
        If a concrete ``wave_obs_aa <= 0`` or ``z < 0``, or either is NaN or inf.
    """
    args = Args("igm_transmission_madau")
    wave_obs_aa = args.arg("wave_obs_aa", wave_obs_aa, POSITIVE, _WAVE_WHAT)
    z = args.arg("z", z, Z_SOURCE, "source redshift >= 0")
    return args.guard(_igm_transmission_madau(wave_obs_aa, z))


def _igm_transmission_madau(wave_obs_aa, z):
    lam = jnp.asarray(wave_obs_aa)
    tau = jnp.zeros_like(lam)
    for a_j, lam_j in zip(_MADAU_A, _MADAU_LAM, strict=True):
        # absorbers at 0 < z_abs = lam / lam_j - 1 < z
        inside = (lam < lam_j * (1.0 + z)) & (lam > lam_j)
        tau = tau + jnp.where(inside, a_j * (lam / lam_j) ** 3.46, 0.0)
    # photons observed below 912 A were ionising all the way: every absorber down to z = 0
    xc = jnp.maximum(lam / _LYMAN_LIMIT, 1.0)
    xe = 1.0 + z
    xc_s = jnp.where(lam < _LYMAN_LIMIT * xe, xc, 1.0)  # safe value outside the branch
    cont = (
        0.25 * xc_s**3 * (xe**0.46 - xc_s**0.46)
        + 9.4 * xc_s**1.5 * (xe**0.18 - xc_s**0.18)
        - 0.7 * xc_s**3 * (xc_s**-1.32 - xe**-1.32)
        - 0.023 * (xe**1.68 - xc_s**1.68)
    )
    tau = tau + jnp.where(lam < _LYMAN_LIMIT * xe, jnp.maximum(cont, 0.0), 0.0)
    return jnp.exp(-tau)
