"""jaxstro.specops: operators on a spectrum.

Rigid rotation with quadratic limb darkening and a Gaussian instrumental profile on an ESLOG
grid (``prepare_rotation``, ``prepare_instrumental_profile``), radial-velocity shift and
resampling onto an observed grid, by point interpolation or flux-conserving bin averages
(``prepare_resampling``), and, for high-resolution ground-based spectra, high-pass filters,
cross-correlation functions and the Brogi & Line (2019) log-likelihood.

Prepared operators are frozen dataclasses registered as pytrees (pass them to ``jax.jit``);
their ``apply`` methods are pure, jit/vmap/grad-safe (forward and reverse mode) and follow the
out-of-range policy of docs/design.md.
"""

from jaxstro.specops._ccf import (
    brogi_line_loglike,
    ccf_to_loglike,
    cross_correlation,
    cross_correlation_function,
    high_pass,
)
from jaxstro.specops._grid import C_KMS, eslog_resolution, velocity_step_kms
from jaxstro.specops._operators import (
    InstrumentalProfile,
    RotationOperator,
    prepare_instrumental_profile,
    prepare_rotation,
    resolving_power_to_sigma_kms,
)
from jaxstro.specops._resample import Resampler, bin_edges_from_centres, prepare_resampling
from jaxstro.specops._version import __version__

__all__ = [
    "C_KMS",
    "InstrumentalProfile",
    "Resampler",
    "RotationOperator",
    "__version__",
    "bin_edges_from_centres",
    "brogi_line_loglike",
    "ccf_to_loglike",
    "cross_correlation",
    "cross_correlation_function",
    "eslog_resolution",
    "high_pass",
    "prepare_instrumental_profile",
    "prepare_resampling",
    "prepare_rotation",
    "resolving_power_to_sigma_kms",
    "velocity_step_kms",
]
