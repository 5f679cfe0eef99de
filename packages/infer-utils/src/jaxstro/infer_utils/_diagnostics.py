"""Convergence diagnostics: rank-normalised split R-hat, bulk/tail ESS, summary tables.

Follows Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021), Bayesian Analysis 16, 667.
The autocorrelation / initial-monotone-sequence ESS estimator is numpyro's
(``numpyro.diagnostics.effective_sample_size``); this module adds the rank normalisation,
chain splitting and folding of the paper. Inputs have shape (chains, draws, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.special
import scipy.stats
from jax.typing import ArrayLike
from numpyro.diagnostics import effective_sample_size

__all__ = ["split_rhat", "ess_bulk", "ess_tail", "summary", "format_summary"]


def _as_chains(x, name="x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[1] < 4:
        raise ValueError(
            f"{name} must have shape (chains, draws, ...) with draws >= 4; got {x.shape}"
        )
    return x


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, -half:]], axis=0)


def _z_scale(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(x.shape[0] * x.shape[1], -1)
    ranks = scipy.stats.rankdata(flat, axis=0, method="average")
    z = scipy.special.ndtri((ranks - 0.375) / (flat.shape[0] + 0.25))
    return z.reshape(x.shape)


def _rhat(x: np.ndarray) -> np.ndarray:
    n = x.shape[1]
    chain_mean = x.mean(axis=1)
    within = x.var(axis=1, ddof=1).mean(axis=0)
    between = n * chain_mean.var(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def split_rhat(x: ArrayLike) -> np.ndarray:
    """Rank-normalised split R-hat: max of the bulk and the folded (tail) versions.

    Parameters
    ----------
    x : (n_chain, n_draw, ...) array
        Draws of one parameter (any units); trailing axes are separate scalars.

    Returns
    -------
    (...) float64 numpy array
        R-hat per scalar (dimensionless; below 1.01 for well-mixed chains).
    """
    x = _as_chains(x)
    bulk = _rhat(_z_scale(_split(x)))
    folded = np.abs(x - np.median(x.reshape(-1, *x.shape[2:]), axis=0))
    tail = _rhat(_z_scale(_split(folded)))
    return np.maximum(bulk, tail)


def ess_bulk(x: ArrayLike) -> np.ndarray:
    """Bulk effective sample size: ESS of the rank-normalised split chains.

    Parameters
    ----------
    x : (n_chain, n_draw, ...) array, as in :func:`split_rhat`.

    Returns
    -------
    (...) float64 numpy array
        Effective number of draws per scalar.
    """
    x = _as_chains(x)
    return np.asarray(effective_sample_size(_z_scale(_split(x))))


def ess_tail(x: ArrayLike) -> np.ndarray:
    """Tail ESS: the smaller ESS of the 5% and 95% quantile indicators (split chains).

    Parameters
    ----------
    x : (n_chain, n_draw, ...) array, as in :func:`split_rhat`.

    Returns
    -------
    (...) float64 numpy array
        Effective number of draws per scalar.
    """
    x = _as_chains(x)
    pooled = x.reshape(-1, *x.shape[2:])
    q05, q95 = np.quantile(pooled, [0.05, 0.95], axis=0)
    e05 = effective_sample_size(_split((x <= q05).astype(np.float64)))
    e95 = effective_sample_size(_split((x <= q95).astype(np.float64)))
    return np.minimum(np.asarray(e05), np.asarray(e95))


def summary(samples: Mapping[str, Any], *, is_divergent=None) -> dict[str, dict[str, np.ndarray]]:
    """Posterior summary per parameter: mean, sd, 5/50/95% quantiles, bulk/tail ESS, R-hat.

    Parameters
    ----------
    samples : dict of str to (n_chain, n_draw, ...) arrays
        Posterior draws by parameter name (each in its own units).
    is_divergent : (n_chain, n_draw) bool array or None
        Divergent transitions; when given the table gets a ``"_divergences"`` entry.

    Returns
    -------
    dict of str to dict of str to array
        Per parameter: ``mean``, ``sd``, ``q5``, ``q50``, ``q95`` [the parameter's units],
        ``ess_bulk``, ``ess_tail`` [draws] and ``r_hat``, each of the parameter's trailing
        shape.
    """
    table: dict[str, dict[str, np.ndarray]] = {}
    for name, arr in samples.items():
        x = _as_chains(arr, name=f"samples[{name!r}]")
        pooled = x.reshape(-1, *x.shape[2:])
        q = np.quantile(pooled, [0.05, 0.5, 0.95], axis=0)
        table[name] = {
            "mean": pooled.mean(axis=0),
            "sd": pooled.std(axis=0, ddof=1),
            "q5": q[0],
            "median": q[1],
            "q95": q[2],
            "ess_bulk": ess_bulk(x),
            "ess_tail": ess_tail(x),
            "r_hat": split_rhat(x),
        }
    if is_divergent is not None:
        table["_divergences"] = {"count": np.asarray(np.sum(is_divergent))}
    return table


def format_summary(table: Mapping[str, Mapping[str, Any]], *, max_rows: int = 60) -> str:
    """Render :func:`summary` output as an aligned text table (one row per scalar).

    Parameters
    ----------
    table : dict of str to dict of str to array
        The output of :func:`summary`.
    max_rows : int
        At most this many rows; a last line says how many were left out.

    Returns
    -------
    str
        The table (values in the parameters' own units).
    """
    cols = ["mean", "sd", "q5", "median", "q95", "ess_bulk", "ess_tail", "r_hat"]
    lines = [f"{'':>16s}" + "".join(f"{c:>11s}" for c in cols)]
    rows = 0
    for name, stats in table.items():
        if name.startswith("_"):
            continue
        shape = np.shape(stats["mean"])
        for idx in np.ndindex(*shape) if shape else [()]:
            label = name + (str(list(idx)) if idx else "")
            lines.append(
                f"{label:>16s}" + "".join(f" {np.asarray(stats[c])[idx]:10.4g}" for c in cols)
            )
            rows += 1
            if rows >= max_rows:
                lines.append(f"{'...':>16s}")
                break
        if rows >= max_rows:
            break
    if "_divergences" in table:
        lines.append(f"divergences: {int(table['_divergences']['count'])}")
    return "\n".join(lines)
