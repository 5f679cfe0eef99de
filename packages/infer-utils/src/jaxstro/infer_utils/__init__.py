"""jaxstro.infer_utils: inference building blocks shared by the jaxstro pipelines.

Parameter pytrees and transforms, MAP (scipy L-BFGS-B, optax under ``lax.scan``), Laplace,
NUTS (blackjax with checkpoint/resume; numpyro incl. forward mode), SVI with auto-guides,
Pathfinder, MGVI/geoVI (NIFTy, optional), diagnostics and ArviZ conversion; ``fit_many`` fits
many independent objects in compiled chunks sharded over the local devices, optionally
written chunk by chunk to resumable Parquet parts (``read_fit_parts``).
"""

from jaxstro.infer_utils._arviz import to_arviz
from jaxstro.infer_utils._catalog_io import read_fit_parts
from jaxstro.infer_utils._checkpoint import (
    CheckpointMismatchError,
    load_checkpoint,
    save_checkpoint,
)
from jaxstro.infer_utils._diagnostics import ess_bulk, ess_tail, format_summary, split_rhat, summary
from jaxstro.infer_utils._fit import FIT_METHODS, FitResult, fit
from jaxstro.infer_utils._fit_many import FIT_MANY_METHODS, FitManyResult, fit_many
from jaxstro.infer_utils._geovi import GEOVI_METHODS, GeoVIResult, run_geovi, run_geovi_gaussian
from jaxstro.infer_utils._laplace import LaplaceResult, laplace, laplace_sample
from jaxstro.infer_utils._nested import NestedResult, prior_transform, run_nested
from jaxstro.infer_utils._numpyro import (
    AUTOGUIDES,
    NumpyroMCMCResult,
    SVIResult,
    model_from_logdensity,
    run_numpyro_nuts,
    run_svi,
)
from jaxstro.infer_utils._nuts import NUTSResult, run_nuts
from jaxstro.infer_utils._optimize import (
    MinimizeResult,
    OptaxResult,
    minimize_lbfgs,
    minimize_optax,
)
from jaxstro.infer_utils._params import (
    ParamLayout,
    check_param_names,
    flat_bounds,
    flatten_params,
    log_abs_det_jacobian,
    make_layout,
    to_bounded,
    to_unbounded,
)
from jaxstro.infer_utils._pathfinder import PathfinderResult, run_pathfinder
from jaxstro.infer_utils._plot import plot_pairs, plot_predictive, plot_trace
from jaxstro.infer_utils._predictive import (
    PredictiveBands,
    PredictiveDraws,
    hpdi,
    posterior_predictive,
    predictive_bands,
    weighted_quantile,
)
from jaxstro.infer_utils._version import __version__

__all__ = [
    "FIT_MANY_METHODS",
    "FIT_METHODS",
    "FitManyResult",
    "FitResult",
    "fit",
    "fit_many",
    "read_fit_parts",
    "GEOVI_METHODS",
    "GeoVIResult",
    "run_geovi",
    "run_geovi_gaussian",
    "AUTOGUIDES",
    "CheckpointMismatchError",
    "LaplaceResult",
    "MinimizeResult",
    "NUTSResult",
    "NestedResult",
    "NumpyroMCMCResult",
    "OptaxResult",
    "ParamLayout",
    "PathfinderResult",
    "SVIResult",
    "__version__",
    "check_param_names",
    "ess_bulk",
    "ess_tail",
    "flat_bounds",
    "flatten_params",
    "format_summary",
    "laplace",
    "laplace_sample",
    "load_checkpoint",
    "log_abs_det_jacobian",
    "make_layout",
    "minimize_lbfgs",
    "minimize_optax",
    "model_from_logdensity",
    "prior_transform",
    "run_nested",
    "run_numpyro_nuts",
    "run_nuts",
    "run_pathfinder",
    "run_svi",
    "save_checkpoint",
    "split_rhat",
    "summary",
    "to_arviz",
    "PredictiveBands",
    "PredictiveDraws",
    "hpdi",
    "plot_pairs",
    "plot_predictive",
    "plot_trace",
    "posterior_predictive",
    "predictive_bands",
    "weighted_quantile",
    "to_bounded",
    "to_unbounded",
]
