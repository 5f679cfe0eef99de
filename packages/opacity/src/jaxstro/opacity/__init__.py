"""jaxstro.opacity: molecular cross sections (LPF, MODIT, PreMODIT), CIA and Rayleigh opacity.

Everything here is a pure JAX function or a pytree prepared once from ``jaxstro.linedb``
containers; temperatures are in K, pressures in bar, wavenumbers in cm^-1 and cross sections in
cm^2 per molecule.
"""

from jaxstro.opacity._calculator import METHODS, make_calculator
from jaxstro.opacity._cia import CIAGrid, prepare_cia
from jaxstro.opacity._grid import UNITS, wavenumber_grid
from jaxstro.opacity._lines import (
    doppler_sigma,
    line_strength,
    partition_ratio,
    pressure_gamma,
)
from jaxstro.opacity._lpf import LPFCalculator
from jaxstro.opacity._modit import MODITCalculator
from jaxstro.opacity._premodit import PreMODITCalculator, elower_node_spacing
from jaxstro.opacity._rayleigh import RAYLEIGH_SPECIES, rayleigh_cross_section
from jaxstro.opacity._version import __version__
from jaxstro.opacity._voigt import faddeeva, voigt, voigt_hjerting

__all__ = [
    "__version__",
    "wavenumber_grid",
    "UNITS",
    "faddeeva",
    "voigt",
    "voigt_hjerting",
    "line_strength",
    "doppler_sigma",
    "pressure_gamma",
    "partition_ratio",
    "make_calculator",
    "METHODS",
    "LPFCalculator",
    "MODITCalculator",
    "PreMODITCalculator",
    "elower_node_spacing",
    "CIAGrid",
    "prepare_cia",
    "rayleigh_cross_section",
    "RAYLEIGH_SPECIES",
]
