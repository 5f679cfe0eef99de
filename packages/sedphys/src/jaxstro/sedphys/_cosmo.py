"""Flat (or curved) LCDM background through jax-cosmo: luminosity distance and cosmic time."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

with warnings.catch_warnings():
    # jax-cosmo 0.1 imports pkg_resources (deprecated in setuptools >= 80)
    warnings.simplefilter("ignore", UserWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    import jax_cosmo as jc

__all__ = ["Cosmology", "PLANCK18", "luminosity_distance_mpc", "age_at_z_gyr"]

MPC_CM = 3.0856775814913673e24
# 1 / (100 km/s/Mpc) in Gyr
HUBBLE_TIME_GYR_H = 9.777922216807891


class Cosmology(NamedTuple):
    """Background cosmology parameters (a pytree; w0/wa for dark energy, Omega_k curvature)."""

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


def luminosity_distance_mpc(z, cosmo: Cosmology = PLANCK18):
    """Luminosity distance [Mpc] at redshift ``z`` (scalar or array), via jax-cosmo.

    jax-cosmo integrates the comoving distance on a 256-point table in scale factor and
    interpolates it; its relative accuracy is ~1e-4 against astropy (tested), far below a
    0.001 mag photometric error.
    """
    z = jnp.asarray(z)
    a = 1.0 / (1.0 + z)
    chi_h = jc.background.transverse_comoving_distance(_jc(cosmo), jnp.atleast_1d(a))
    d_l = chi_h.reshape(z.shape) / a / cosmo.h
    return d_l


def age_at_z_gyr(z, cosmo: Cosmology = PLANCK18, *, n_nodes: int = 256):
    """Cosmic time [Gyr] at redshift ``z``: (1/H0) * int_0^a da' / (a' E(a')), with E(a) from
    jax-cosmo (matter + curvature + dark energy; radiation neglected as in jax-cosmo).

    Trapezoid rule in ln a from a = 1e-6 (the time before that, < 1e-8 Gyr, is added
    analytically for matter domination). Relative accuracy ~1e-7 with 256 nodes (tested
    against astropy with Tcmb0 = 0).
    """
    z = jnp.asarray(z)
    a = 1.0 / (1.0 + z)
    ln_a0 = np.log(1e-6)
    u = jnp.linspace(0.0, 1.0, n_nodes)
    ln_a = ln_a0 + (jnp.log(a)[..., None] - ln_a0) * u  # (..., n)
    aa = jnp.exp(ln_a)
    e = jnp.sqrt(jc.background.Esqr(_jc(cosmo), aa.reshape(-1))).reshape(aa.shape)
    f = 1.0 / e
    step = (jnp.log(a) - ln_a0) / (n_nodes - 1)
    integral = step * (jnp.sum(f, axis=-1) - 0.5 * (f[..., 0] + f[..., -1]))
    omega_m = cosmo.Omega_c + cosmo.Omega_b
    early = 2.0 / 3.0 * np.exp(1.5 * ln_a0) / jnp.sqrt(omega_m)
    return HUBBLE_TIME_GYR_H / cosmo.h * (integral + early)
