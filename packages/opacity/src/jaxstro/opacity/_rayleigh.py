"""Rayleigh scattering cross sections of H2 and He."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = ["rayleigh_cross_section", "RAYLEIGH_SPECIES"]

#: static dipole polarisabilities [cm^3] (CRC Handbook): He 0.2050e-24
_POLARIZABILITY = {"He": 0.2050e-24}
RAYLEIGH_SPECIES: tuple[str, ...] = ("H2", "He")
"""Species ``rayleigh_cross_section`` knows."""


def rayleigh_cross_section(nu_cm1: ArrayLike, species: str) -> jax.Array:
    """Rayleigh scattering cross section [cm^2 / molecule] at wavenumbers ``nu_cm1``.

    Parameters
    ----------
    nu_cm1 : ArrayLike
        (...) wavenumbers [cm^-1], e.g. a (n_grid,) grid.
    species : str
        "H2" or "He" (``RAYLEIGH_SPECIES``).

    Returns
    -------
    jax.Array
        (...) cross section [cm^2 / molecule] in the shape and floating dtype of ``nu_cm1``.

    Raises
    ------
    ValueError
        If ``species`` is not in ``RAYLEIGH_SPECIES``.

    Notes
    -----
    H2: Dalgarno & Williams (1962), ApJ 136, 690:
    sigma = 8.14e-13 lambda^-4 + 1.28e-6 lambda^-6 + 1.61 lambda^-8 (sigma in cm^2, lambda in
    Angstrom), valid long-ward of ~1000 Angstrom (nu below ~1e5 cm^-1).
    He: 128 pi^5 alpha^2 / (3 lambda^4) with the static polarisability alpha = 0.205e-24 cm^3
    (King factor 1 for an atom).
    """
    if species not in RAYLEIGH_SPECIES:
        raise ValueError(f"species must be one of {RAYLEIGH_SPECIES}; got {species!r}")
    nu = jnp.asarray(nu_cm1)
    if species == "H2":
        inv_l2 = (nu * 1e-8) ** 2  # lambda^-2 in Angstrom^-2
        return 8.14e-13 * inv_l2**2 + 1.28e-6 * inv_l2**3 + 1.61 * inv_l2**4
    alpha = _POLARIZABILITY[species]
    return 128.0 * np.pi**5 * alpha**2 * nu**4 / 3.0
