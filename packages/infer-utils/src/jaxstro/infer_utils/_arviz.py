"""Conversion of sampler output to ArviZ InferenceData (optional extra ``[arviz]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_arviz"]


def to_arviz(result: Any, *, coords: dict | None = None, dims: dict | None = None):
    """ArviZ ``InferenceData`` from posterior draws.

    Needs ``pip install jaxstro-infer-utils[arviz]``.

    Parameters
    ----------
    result : NUTSResult, NumpyroMCMCResult or dict of (n_chain, n_draw, ...) arrays
        The draws (each parameter in its own units).
    coords, dims : dict or None
        Passed to ArviZ (names of the trailing axes).

    Returns
    -------
    arviz.InferenceData
        ``posterior`` group (and ``sample_stats`` where the result has them).
    """
    try:
        import arviz as az
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("to_arviz needs ArviZ: pip install 'jaxstro-infer-utils[arviz]'") from exc
    from jaxstro.infer_utils._numpyro import NumpyroMCMCResult
    from jaxstro.infer_utils._nuts import NUTSResult

    if isinstance(result, NUTSResult):
        posterior = {k: np.asarray(v) for k, v in _as_dict(result.samples).items()}
        stats = {
            "lp": np.asarray(result.logdensity),
            "diverging": np.asarray(result.is_divergent),
            "acceptance_rate": np.asarray(result.acceptance_rate),
            "n_steps": np.asarray(result.num_integration_steps),
        }
        return az.from_dict(posterior=posterior, sample_stats=stats, coords=coords, dims=dims)
    if isinstance(result, NumpyroMCMCResult):
        return az.from_numpyro(result.mcmc, coords=coords, dims=dims)
    if isinstance(result, dict):
        return az.from_dict(
            posterior={k: np.asarray(v) for k, v in result.items()}, coords=coords, dims=dims
        )
    raise TypeError(
        f"result must be a NUTSResult, NumpyroMCMCResult or dict; got {type(result).__name__}"
    )


def _as_dict(samples: Any) -> dict:
    if isinstance(samples, dict):
        return samples
    return {"x": samples}
