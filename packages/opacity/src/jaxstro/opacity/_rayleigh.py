"""Rayleigh scattering cross sections of H2 and He."""

from __future__ import annotations

import math

import jax
from jax.typing import ArrayLike

from jaxstro.opacity._checks import Arg, apply_domain, positive

__all__ = ["rayleigh_cross_section", "RAYLEIGH_SPECIES"]

#: static dipole polarisabilities [cm^3] (CRC Handbook): He 0.2050e-24
_POLARIZABILITY = {"He": 0.2050e-24}
_H2_NU_MAX = 1e5  # [cm^-1]: Dalgarno & Williams valid long-ward of 1000 Angstrom
RAYLEIGH_SPECIES: tuple[str, ...] = ("H2", "He")
"""Species ``rayleigh_cross_section`` knows."""


def rayleigh_cross_section(nu_cm1: ArrayLike, species: str) -> jax.Array:
    """Rayleigh scattering cross section [cm^2 / molecule] at wavenumbers ``nu_cm1``.

    Parameters
    ----------
    nu_cm1 : ArrayLike
        (...) wavenumbers [cm^-1], e.g. a (n_grid,) grid: ``0 < nu_cm1 <= 1e5`` for "H2"
        (the fit's validity, long-ward of 1000 Angstrom), ``0 < nu_cm1 < inf`` for "He".
    species : str
        "H2" or "He" (``RAYLEIGH_SPECIES``).

    Returns
    -------
    jax.Array
        (...) cross section [cm^2 / molecule] in the shape and floating dtype of ``nu_cm1``
        (JAX's default float for integers).

    Raises
    ------
    ValueError
        If ``species`` is not in ``RAYLEIGH_SPECIES``, or a concrete ``nu_cm1`` is outside
        the range above (NaN, inf included). Traced: NaN there, with a NaN gradient (the
        package's out-of-range policy).

    Notes
    -----
    H2: Dalgarno & Williams (1962), ApJ 136, 690:
    sigma = 8.14e-13 lambda^-4 + 1.28e-6 lambda^-6 + 1.61 lambda^-8 (sigma in cm^2, lambda in
    Angstrom), valid long-ward of ~1000 Angstrom (nu below ~1e5 cm^-1).
    He: 128 pi^5 alpha^2 / (3 lambda^4) with the static polarisability alpha = 0.205e-24 cm^3
    (King factor 1 for an atom).

    In float32, cross sections below its smallest normal number (1.2e-38 cm^2, i.e.
    nu below ~40 cm^-1) flush to 0.
    """
    if species not in RAYLEIGH_SPECIES:
        raise ValueError(f"species must be one of {RAYLEIGH_SPECIES}; got {species!r}")
    if species == "H2":
        arg = Arg("nu_cm1", nu_cm1, _h2_domain, "in (0, 1e5] [cm^-1] for H2", safe=1e4)
        return apply_domain(_rayleigh_h2, arg)
    arg = Arg("nu_cm1", nu_cm1, positive, "> 0 and finite [cm^-1]", safe=1e4)
    return apply_domain(_rayleigh_he, arg)


def _h2_domain(nu):
    return (nu > 0) & (nu <= _H2_NU_MAX)


# coefficients of y = (nu / 1e4 cm^-1)^2 = (1 um / lambda)^2, so that every constant and
# intermediate stays inside float32's normal range (the Angstrom-unit constants 1.61 and
# (nu 1e-8)^8 ~ 1e-32 did not: He in float32 came out 0)
_H2_COEFFS = (8.14e-13 * 1e-16, 1.28e-6 * 1e-24, 1.61 * 1e-32)
_HE_COEFF = 128.0 * math.pi**5 * _POLARIZABILITY["He"] ** 2 / 3.0 * 1e16


def _rayleigh_h2(nu):
    y = (nu * 1e-4) ** 2
    c4, c6, c8 = _H2_COEFFS
    return y * y * (c4 + y * (c6 + c8 * y))


def _rayleigh_he(nu):
    y = (nu * 1e-4) ** 2
    return _HE_COEFF * y * y
