"""Rayleigh scattering cross sections of H2 and He."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

__all__ = ["rayleigh_cross_section", "RAYLEIGH_SPECIES"]

#: static dipole polarisabilities [cm^3] (CRC Handbook): He 0.2050e-24
_POLARIZABILITY = {"He": 0.2050e-24}
RAYLEIGH_SPECIES = ("H2", "He")


def rayleigh_cross_section(nu_cm1, species: str):
    """Rayleigh scattering cross section [cm^2 / molecule] at wavenumbers ``nu_cm1``.

    H2: Dalgarno & Williams (1962), ApJ 136, 690:
    sigma = 8.14e-13 lambda^-4 + 1.28e-6 lambda^-6 + 1.61 lambda^-8 (lambda in Angstrom),
    valid long-ward of ~1000 Angstrom.
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
