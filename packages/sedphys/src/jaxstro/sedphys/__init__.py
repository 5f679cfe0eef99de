"""jaxstro.sedphys: galaxy SED physics.

SSP grids (``load_ssp``), star-formation histories and their SSP age weights, metallicity
weights, dust (Charlot & Fall, Calzetti), IGM (Madau 1995), cosmology through jax-cosmo,
speclite filters and photon-counting AB photometry, priors (``ParamSpec``) and ``SEDModel``.
"""

from jaxstro.sedphys._cosmo import (
    PLANCK18,
    Cosmology,
    age_at_z_gyr,
    comoving_distance_mpc,
    luminosity_distance_mpc,
)
from jaxstro.sedphys._dust import (
    calzetti_k,
    calzetti_transmission,
    igm_transmission_madau,
    power_law_tau,
)
from jaxstro.sedphys._filters import Filter, ab_mag, load_filters, photometry_matrix
from jaxstro.sedphys._model import (
    L_SUN_ERG_S,
    Z_SUN,
    Observation,
    SEDModel,
    Spectrum,
    model_param_names,
)
from jaxstro.sedphys._params import (
    Fixed,
    LogUniform,
    Normal,
    ParamSpec,
    StudentT,
    TruncatedNormal,
    Uniform,
)
from jaxstro.sedphys._presets import SDSS_UGRIZ, default_spec, default_truth
from jaxstro.sedphys._sfh import (
    AgeBins,
    TimeTable,
    age_bin_masses,
    age_bin_masses_from_nodes,
    make_age_bins,
    make_time_table,
    mass_weighted_age_gyr,
    metallicity_weights,
    nonparametric_bin_masses,
    sfr_averaged,
    sfr_constant,
    sfr_delayed_tau,
    sfr_double_power_law,
    sfr_double_power_law_log_t,
    sfr_lognormal,
)
from jaxstro.sedphys._ssp import SSPGrid, default_ssp_path, load_ssp
from jaxstro.sedphys._version import __version__

__all__ = [
    "L_SUN_ERG_S",
    "PLANCK18",
    "SDSS_UGRIZ",
    "Z_SUN",
    "AgeBins",
    "Cosmology",
    "Filter",
    "Fixed",
    "LogUniform",
    "Normal",
    "Observation",
    "ParamSpec",
    "SEDModel",
    "SSPGrid",
    "Spectrum",
    "TimeTable",
    "StudentT",
    "TruncatedNormal",
    "Uniform",
    "__version__",
    "ab_mag",
    "age_at_z_gyr",
    "age_bin_masses",
    "age_bin_masses_from_nodes",
    "calzetti_k",
    "calzetti_transmission",
    "comoving_distance_mpc",
    "default_spec",
    "default_ssp_path",
    "default_truth",
    "igm_transmission_madau",
    "load_filters",
    "load_ssp",
    "luminosity_distance_mpc",
    "make_age_bins",
    "make_time_table",
    "mass_weighted_age_gyr",
    "metallicity_weights",
    "model_param_names",
    "nonparametric_bin_masses",
    "photometry_matrix",
    "power_law_tau",
    "sfr_averaged",
    "sfr_constant",
    "sfr_delayed_tau",
    "sfr_double_power_law",
    "sfr_double_power_law_log_t",
    "sfr_lognormal",
]
