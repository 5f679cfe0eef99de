"""The Planck function as pi B_nu per unit wavenumber, the source function of the solvers."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jaxstro.rtransfer._checks import as_float, check_positive, float_dtype, nan_unless_positive
from jaxstro.rtransfer._constants import constant_set

__all__ = ["planck_pi_b"]


def planck_pi_b(t_k: ArrayLike, nu_cm1: ArrayLike, *, constants: str = "codata2018") -> jax.Array:
    """pi B_nu(T) per unit wavenumber [erg s^-1 cm^-2 (cm^-1)^-1].

    pi B = 2 pi h c^2 nu^3 / (exp(h c nu / k_B T) - 1), evaluated as
    ``exp(log(2 pi h c^2 nu^3) - x) / (-expm1(-x))`` with x = hc nu / k_B T, so it neither
    overflows nor loses precision for x >> 1 (Wien) or x << 1 (Rayleigh-Jeans), in float32 too.
    This is the flux of a blackbody, the unit of ExoJAX's ``piBarr``.

    Parameters
    ----------
    t_k : ArrayLike
        (...) temperatures [K], > 0; broadcast against ``nu_cm1`` (use ``t[:, None]`` for a
        (n_layers, n_grid) source matrix).
    nu_cm1 : ArrayLike
        (...) wavenumbers [cm^-1], > 0.
    constants : str
        "codata2018" (exact SI h, k_B; default) or "exojax" (CODATA 2014, as ExoJAX: pi B
        larger by 2-4e-6 relative in the near infrared).

    Returns
    -------
    jax.Array
        pi B_nu [erg s^-1 cm^-2 (cm^-1)^-1], broadcast shape.

    Raises
    ------
    ValueError
        If a concrete temperature or wavenumber is not finite and positive.
    """
    c = constant_set(constants)
    check_positive("t_k", t_k, " [K]")
    check_positive("nu_cm1", nu_cm1, " [cm^-1]")
    dt = float_dtype(t_k, nu_cm1)
    t, nu = as_float(t_k, dt), as_float(nu_cm1, dt)
    return nan_unless_positive(_pi_b(t, nu, c["hc_over_k"], c["two_pi_hc2"]), t, nu)


def _pi_b(t, nu, hc_over_k, two_pi_hc2):
    return _pi_b_pre(t, nu, _pi_b_log_prefactor(nu, two_pi_hc2), hc_over_k)


def _pi_b_log_prefactor(nu, two_pi_hc2):
    """log(2 pi h c^2 nu^3), computed once per grid (hoisted out of a layer loop)."""
    return math.log(two_pi_hc2) + 3.0 * jnp.log(nu)


# -expm1(-x) = x (1 - x/2 + x^2/6 - ...) for x < 1/2: truncation < 1e-17 relative
_D_SERIES = tuple((-1.0) ** k / math.factorial(k + 1) for k in range(16))


def _pi_b_pre(t, nu, log_prefactor, hc_over_k):
    """pi B = exp(log_prefactor - x) / (1 - exp(-x)), x = h c nu / (k T): one exp per element
    (exp(-x) = the same exp divided by the prefactor; the series of 1 - exp(-x) below 1/2)."""
    x = (hc_over_k / t) * nu
    num = jnp.exp(log_prefactor - x)
    small = x < 0.5
    xs = jnp.where(small, x, 0.0)
    d_small = _D_SERIES[-1]
    for c in reversed(_D_SERIES[:-1]):
        d_small = d_small * xs + c
    d_large = 1.0 - num * jnp.exp(-log_prefactor)
    return num / jnp.where(small, xs * d_small, d_large)
