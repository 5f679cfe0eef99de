"""jaxstro.rtransfer: layered-atmosphere radiative transfer (emission, transmission) in JAX.

Units: cgs; pressures in bar; temperatures in K; wavenumbers in cm^-1; fluxes in
erg s^-1 cm^-2 (cm^-1)^-1 (as ExoJAX). Layers are ordered from the top of the atmosphere down.
"""

from jaxstro.rtransfer._constants import (
    CONSTANT_SETS,
    G_CGS,
    GM_JUP_CGS,
    M_JUP_G,
    R_JUP_CM,
    constant_set,
)
from jaxstro.rtransfer._dtau import (
    dtau_cia,
    dtau_cia_layer,
    dtau_hminus,
    dtau_hminus_layer,
    dtau_rayleigh,
    dtau_rayleigh_layer,
    dtau_xs,
    dtau_xs_layer,
    hminus_cross_section,
)
from jaxstro.rtransfer._emission import (
    EMISSION_METHODS,
    contribution_function,
    emission_flux,
    emission_flux_scan,
    emission_intensity,
    gauss_legendre_mu,
)
from jaxstro.rtransfer._layers import (
    AtmosphereRadii,
    LayerGrid,
    gravity_cgs,
    gravity_jupiter,
    hydrostatic_radii,
    layer_grid,
    layer_grid_from_boundaries,
    pressure_scale_height_cm,
)
from jaxstro.rtransfer._planck import planck_pi_b
from jaxstro.rtransfer._plot import plot_contribution_function
from jaxstro.rtransfer._profiles import (
    clip_temperature,
    free_temperature,
    guillot_temperature,
    isothermal_temperature,
    powerlaw_temperature,
)
from jaxstro.rtransfer._transmission import (
    TRANSIT_INTEGRATIONS,
    chord_optical_depth,
    transit_depth,
    transit_radius,
)
from jaxstro.rtransfer._version import __version__

__all__ = [
    "__version__",
    # constants
    "CONSTANT_SETS",
    "G_CGS",
    "GM_JUP_CGS",
    "M_JUP_G",
    "R_JUP_CM",
    "constant_set",
    # layers and geometry
    "LayerGrid",
    "AtmosphereRadii",
    "layer_grid",
    "layer_grid_from_boundaries",
    "gravity_cgs",
    "gravity_jupiter",
    "pressure_scale_height_cm",
    "hydrostatic_radii",
    # T-P profiles
    "powerlaw_temperature",
    "guillot_temperature",
    "isothermal_temperature",
    "free_temperature",
    "clip_temperature",
    # optical depths
    "dtau_xs",
    "dtau_xs_layer",
    "dtau_cia",
    "dtau_cia_layer",
    "hminus_cross_section",
    "dtau_hminus",
    "dtau_hminus_layer",
    "dtau_rayleigh",
    "dtau_rayleigh_layer",
    # emission
    "planck_pi_b",
    "EMISSION_METHODS",
    "gauss_legendre_mu",
    "emission_flux",
    "emission_intensity",
    "emission_flux_scan",
    "contribution_function",
    "plot_contribution_function",
    # transmission
    "chord_optical_depth",
    "transit_radius",
    "transit_depth",
    "TRANSIT_INTEGRATIONS",
]
