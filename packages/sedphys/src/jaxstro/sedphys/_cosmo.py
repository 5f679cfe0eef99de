"""LCDM background from jax-cosmo's E(a): comoving and luminosity distance, cosmic time."""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

with warnings.catch_warnings():
    # jax-cosmo 0.1 imports pkg_resources (deprecated in setuptools >= 80)
    warnings.simplefilter("ignore", UserWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    import jax_cosmo as jc

from jaxstro.sedphys._checks import Args, Domain, is_traced

__all__ = [
    "Cosmology",
    "PLANCK18",
    "comoving_distance_mpc",
    "luminosity_distance_mpc",
    "age_at_z_gyr",
]

MPC_CM = 3.0856775814913673e24
# 1 / (100 km/s/Mpc) in Gyr
HUBBLE_TIME_GYR_H = 9.777922216807891


class Cosmology(NamedTuple):
    """Background cosmology parameters (a pytree; w0/wa for dark energy, Omega_k curvature).

    Attributes
    ----------
    h : float
        H0 / (100 km/s/Mpc) (dimensionless).
    Omega_c, Omega_b : float
        Cold dark matter and baryon density parameters today (dimensionless).
    Omega_k : float
        Curvature density parameter (dimensionless; 0 is flat).
    w0, wa : float
        Dark-energy equation of state ``w(a) = w0 + wa (1 - a)`` (dimensionless).
    n_s, sigma8 : float
        Primordial spectral index and amplitude (dimensionless; passed to jax-cosmo, unused
        by the background quantities here).
    """

    h: float = 0.6766
    Omega_c: float = 0.26069
    Omega_b: float = 0.04897
    Omega_k: float = 0.0
    w0: float = -1.0
    wa: float = 0.0
    n_s: float = 0.9665
    sigma8: float = 0.8102


#: Planck 2018 (TT,TE,EE+lowE+lensing+BAO; as astropy's ``Planck18``, without radiation)
PLANCK18 = Cosmology()


def _jc(cosmo: Cosmology):
    # a fresh jax-cosmo object per call: jax-cosmo caches distance tables on the object, which
    # would leak tracers between jitted functions if the object were shared
    return jc.Cosmology(
        Omega_c=cosmo.Omega_c,
        Omega_b=cosmo.Omega_b,
        h=cosmo.h,
        n_s=cosmo.n_s,
        sigma8=cosmo.sigma8,
        Omega_k=cosmo.Omega_k,
        w0=cosmo.w0,
        wa=cosmo.wa,
    )


_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)
HUBBLE_DISTANCE_MPC_H = 2997.92458  # c / (100 km/s/Mpc) [Mpc]


#: redshift of a source whose distance is measured: light emitted in the past, z >= 0
Z_DISTANCE = Domain(0.0, np.inf)
#: redshift at which cosmic time is defined: scale factor a = 1 / (1 + z) > 0, i.e. z > -1
#: (-1 < z < 0 is the future, a > 1)
Z_TIME = Domain(-1.0, np.inf, lo_open=True)


def _as_float(z):
    """``z`` as a JAX array in its own floating dtype (integers -> JAX's default float)."""
    z = jnp.asarray(z)
    return z if jnp.issubdtype(z.dtype, jnp.floating) else z.astype(jnp.result_type(float))


def _check_cosmo(func: str, cosmo) -> None:
    if not isinstance(cosmo, Cosmology):
        raise ValueError(f"{func}: cosmo must be a Cosmology; got {type(cosmo).__name__}")
    if is_traced(cosmo):
        return
    h, om = float(cosmo.h), float(cosmo.Omega_c) + float(cosmo.Omega_b)
    if not (np.isfinite(h) and h > 0) or not (np.isfinite(om) and om > 0):
        raise ValueError(
            f"{func}: cosmo needs h > 0 and Omega_c + Omega_b > 0 (finite); got h = {h}, "
            f"Omega_c + Omega_b = {om}"
        )
    if not all(np.isfinite(float(v)) for v in cosmo):
        raise ValueError(f"{func}: cosmo has a non-finite parameter: {cosmo}")


def _gl_ln_a(integrand, ln_lo, ln_hi):
    """int integrand(a) d ln a over [ln_lo, ln_hi] by 64-point Gauss-Legendre in ln a (nodes
    and weights in the input's dtype)."""
    dt = ln_lo.dtype
    ln_a = ln_lo[..., None] + 0.5 * (jnp.asarray(_GL_X, dt) + 1.0) * (ln_hi - ln_lo)[..., None]
    return 0.5 * (ln_hi - ln_lo) * (integrand(jnp.exp(ln_a)) @ jnp.asarray(_GL_W, dt))


def _e_of_a(cosmo, a):
    return jnp.sqrt(jc.background.Esqr(_jc(cosmo), a.reshape(-1))).reshape(a.shape)


def comoving_distance_mpc(z: ArrayLike, cosmo: Cosmology = PLANCK18) -> jax.Array:
    """Line-of-sight comoving distance [Mpc]: (c/H0) int_a^1 da' / (a'^2 E(a')), E from jax-cosmo.

    Our own quadrature on jax-cosmo's E(a): jax-cosmo's ``radial_comoving_distance``
    interpolates a 256-point odeint table and is off by 1.3 % at z = 0.01 and 0.14 % at
    z = 0.1 (0.003 mag) against astropy; 64-point Gauss-Legendre in ln a agrees with astropy
    to 1e-12 for 0.001 <= z <= 10 (tested).

    Parameters
    ----------
    z : ArrayLike
        (...) redshift (dimensionless), finite and ``>= 0``; integers are cast to JAX's
        default float.
    cosmo : Cosmology
        Background cosmology (Planck 2018 by default).

    Returns
    -------
    jax.Array
        (...) comoving distance [Mpc], in the floating dtype of ``z``; NaN where a traced
        ``z`` lies outside [0, inf).

    Raises
    ------
    ValueError
        If a concrete ``z`` is negative, NaN or inf (a negative redshift would give a
        negative distance), or ``cosmo`` is not a valid ``Cosmology``.
    """
    _check_cosmo("comoving_distance_mpc", cosmo)
    args = Args("comoving_distance_mpc")
    z = _as_float(args.arg("z", z, Z_DISTANCE, "redshift of a source"))
    return args.guard(_comoving(z, cosmo))


def _comoving(z, cosmo):
    ln_a = -jnp.log1p(z)
    integral = _gl_ln_a(lambda a: 1.0 / (a * _e_of_a(cosmo, a)), ln_a, jnp.zeros_like(ln_a))
    return HUBBLE_DISTANCE_MPC_H / cosmo.h * integral


def luminosity_distance_mpc(z: ArrayLike, cosmo: Cosmology = PLANCK18) -> jax.Array:
    """Luminosity distance [Mpc] = (1 + z) D_M, with the transverse comoving distance D_M for
    any curvature Omega_k (flat by default).

    Parameters
    ----------
    z : ArrayLike
        (...) redshift (dimensionless), finite and ``>= 0``; integers are cast to JAX's
        default float.
    cosmo : Cosmology
        Background cosmology (Planck 2018 by default).

    Returns
    -------
    jax.Array
        (...) luminosity distance [Mpc], in the floating dtype of ``z``; NaN where a traced
        ``z`` lies outside [0, inf).

    Raises
    ------
    ValueError
        If a concrete ``z`` is negative, NaN or inf, or ``cosmo`` is not a valid
        ``Cosmology``.
    """
    _check_cosmo("luminosity_distance_mpc", cosmo)
    args = Args("luminosity_distance_mpc")
    z = _as_float(args.arg("z", z, Z_DISTANCE, "redshift of a source"))
    return args.guard(_luminosity(z, cosmo))


def _luminosity(z, cosmo):
    chi = _comoving(z, cosmo)
    ok = cosmo.Omega_k
    if isinstance(ok, float | int) and ok == 0:
        return (1.0 + z) * chi
    d_h = HUBBLE_DISTANCE_MPC_H / cosmo.h
    sk = jnp.sqrt(jnp.abs(ok)) + 1e-30
    x = sk * chi / d_h
    d_m = jnp.where(ok > 0, jnp.sinh(x), jnp.where(ok < 0, jnp.sin(x), x)) * d_h / sk
    return (1.0 + z) * d_m


def age_at_z_gyr(z: ArrayLike, cosmo: Cosmology = PLANCK18) -> jax.Array:
    """Cosmic time [Gyr] at redshift ``z``: (1/H0) int_0^a da' / (a' E(a')), E(a) from jax-cosmo
    (matter + curvature + dark energy; radiation neglected, as in jax-cosmo).

    64-point Gauss-Legendre in ln a from a = 1e-8 (the time before it, ~2e-11 Gyr, is added
    analytically for matter domination); agrees with astropy (Tcmb0 = 0) to 1e-10 (tested).

    Parameters
    ----------
    z : ArrayLike
        (...) redshift (dimensionless), finite and ``> -1`` (scale factor ``1 / (1 + z) > 0``;
        ``-1 < z < 0`` gives cosmic times in the future); integers are cast to JAX's default
        float.
    cosmo : Cosmology
        Background cosmology (Planck 2018 by default).

    Returns
    -------
    jax.Array
        (...) age of the universe at ``z`` [Gyr], in the floating dtype of ``z``; NaN where a
        traced ``z`` lies outside (-1, inf).

    Raises
    ------
    ValueError
        If a concrete ``z`` is ``<= -1``, NaN or inf, or ``cosmo`` is not a valid
        ``Cosmology``.
    """
    _check_cosmo("age_at_z_gyr", cosmo)
    args = Args("age_at_z_gyr")
    z = _as_float(args.arg("z", z, Z_TIME, "scale factor 1 / (1 + z) > 0"))
    return args.guard(_age(z, cosmo))


def _age(z, cosmo):
    ln_a = -jnp.log1p(z)
    ln_a0 = math.log(1e-8)
    integral = _gl_ln_a(lambda a: 1.0 / _e_of_a(cosmo, a), jnp.full_like(ln_a, ln_a0), ln_a)
    omega_m = cosmo.Omega_c + cosmo.Omega_b
    early = 2.0 / 3.0 * math.exp(1.5 * ln_a0) / jnp.sqrt(omega_m)
    return HUBBLE_TIME_GYR_H / cosmo.h * (integral + early)
