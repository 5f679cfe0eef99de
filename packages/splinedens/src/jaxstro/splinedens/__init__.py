"""jaxstro.splinedens: spline density models, log-space quadrature, Poisson-process likelihoods.

Cubic not-a-knot splines equal to scipy's ``InterpolatedUnivariateSpline(k=3)``, evaluated at
fixed points through precomputed design matrices; log-space Simpson/trapezoid integrals;
density components (Gaussian, spline, stream, background), mixtures, smoothness priors,
histogram initialisation and membership probabilities; the GD-1 dataset (``datasets``).
"""

from jaxstro.splinedens import datasets
from jaxstro.splinedens._density import (
    log_mixture,
    log_normal,
    membership_probability,
    poisson_process_loglike,
    random_walk_log_prior,
)
from jaxstro.splinedens._density1d import (
    SplineDensity1D,
    gaussian_rate_loglike,
    prepare_spline_density_1d,
    spline_density_1d_loglike,
)
from jaxstro.splinedens._integrate import (
    log_integrate,
    log_integrate_2d,
    log_simpson,
    log_trapezoid,
    simpson_weights,
    trapezoid_weights,
)
from jaxstro.splinedens._spline import (
    CubicSpline,
    make_spline,
    spline_design_matrix,
    spline_eval,
    spline_integral,
    spline_integral_matrix,
)
from jaxstro.splinedens._stream import (
    STREAM_PARAM_NAMES,
    StreamModel,
    check_stream_params,
    prepare_stream_model,
    stream_density_grid,
    stream_histogram_init,
    stream_log_density,
    stream_log_likelihood,
    stream_log_prior,
    stream_membership,
    stream_objective,
)
from jaxstro.splinedens._version import __version__

__all__ = [
    "STREAM_PARAM_NAMES",
    "CubicSpline",
    "SplineDensity1D",
    "StreamModel",
    "__version__",
    "check_stream_params",
    "datasets",
    "gaussian_rate_loglike",
    "log_integrate",
    "log_integrate_2d",
    "log_mixture",
    "log_normal",
    "log_simpson",
    "log_trapezoid",
    "make_spline",
    "membership_probability",
    "poisson_process_loglike",
    "prepare_spline_density_1d",
    "prepare_stream_model",
    "random_walk_log_prior",
    "simpson_weights",
    "spline_density_1d_loglike",
    "spline_design_matrix",
    "spline_eval",
    "spline_integral",
    "spline_integral_matrix",
    "stream_density_grid",
    "stream_histogram_init",
    "stream_log_density",
    "stream_log_likelihood",
    "stream_log_prior",
    "stream_membership",
    "stream_objective",
    "trapezoid_weights",
]
