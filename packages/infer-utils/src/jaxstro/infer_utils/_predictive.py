"""Posterior predictive draws and credible bands from any result.

``posterior_predictive(model_fn, result)`` evaluates a model output over the posterior draws of
any infer-utils result (or a plain dict of draws), in bounded-memory batches, optionally
subsampled or with the result's own weights (nested sampling); ``predictive_bands`` turns the
output draws into a median, equal-tailed intervals and highest-posterior-density intervals, all
weighted where the draws carry weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxstro.infer_utils._checks import check_count, is_traced
from jaxstro.infer_utils._fit import FitResult
from jaxstro.infer_utils._geovi import GeoVIResult
from jaxstro.infer_utils._laplace import LaplaceResult, laplace_sample
from jaxstro.infer_utils._nested import NestedResult
from jaxstro.infer_utils._numpyro import NumpyroMCMCResult, SVIResult
from jaxstro.infer_utils._nuts import NUTSResult
from jaxstro.infer_utils._pathfinder import PathfinderResult

__all__ = [
    "PredictiveBands",
    "PredictiveDraws",
    "hpdi",
    "posterior_predictive",
    "predictive_bands",
    "weighted_quantile",
]

_RESULT_TYPES = (
    FitResult,
    NUTSResult,
    NumpyroMCMCResult,
    NestedResult,
    PathfinderResult,
    SVIResult,
    GeoVIResult,
    LaplaceResult,
)
_ACCEPTED = (
    "FitResult, NUTSResult, NumpyroMCMCResult, NestedResult, PathfinderResult, SVIResult, "
    "GeoVIResult, LaplaceResult, or a dict (pytree) / array of draws with leading sample axes"
)
_WEIGHT_MODES = ("resample", "weighted")
_DEFAULT_LAPLACE_DRAWS = 1000


class PredictiveDraws(NamedTuple):
    """Draws of a model output over the posterior.

    Attributes
    ----------
    draws : array (n, ...) or pytree of such
        ``model_fn`` evaluated at ``n`` posterior draws, in its output's units.
    weights : array (n,) or None
        Normalised weights (sum 1) of the draws, or None when they are equally weighted.
    """

    draws: Any
    weights: jax.Array | None


class PredictiveBands(NamedTuple):
    """Summary bands of predictive (or any) draws, per output element.

    Attributes
    ----------
    probs : tuple of float
        Credible mass of each band, e.g. (0.68, 0.95).
    median, mean : array (...)
        Weighted median and mean of the draws.
    eti_lower, eti_upper : array (len(probs), ...)
        Equal-tailed intervals: the (1 - p)/2 and (1 + p)/2 quantiles.
    hdi_lower, hdi_upper : array (len(probs), ...)
        Highest-posterior-density intervals: per element the shortest interval between two
        draws holding mass p (one interval; a multimodal marginal gets the shortest single
        interval, like ``arviz.hdi(..., multimodal=False)``).
    """

    probs: tuple
    median: jax.Array
    mean: jax.Array
    eti_lower: jax.Array
    eti_upper: jax.Array
    hdi_lower: jax.Array
    hdi_upper: jax.Array


# --------------------------------------------------------------------------- draws of results


def _leading(tree, ndim: int, argname: str) -> tuple[int, ...]:
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError(f"{argname} holds no draws (empty pytree)")
    shapes = {tuple(np.shape(v))[:ndim] for v in leaves}
    if len(shapes) != 1 or any(len(s) < ndim for s in shapes):
        raise ValueError(
            f"{argname}: every leaf must share the same {ndim} leading sample axes; got leaf "
            f"shapes {[np.shape(v) for v in leaves][:5]}"
        )
    return shapes.pop()


def _chain_draws(
    result: Any, *, sample_ndim: int = 1, key: jax.Array | None = None, num_laplace: int = 1000
) -> Any:
    """Equally weighted draws of ``result`` as a pytree with leaves (chain, draw, ...).

    Results without chains get one chain. A plain dict (pytree) or array of draws has
    ``sample_ndim`` leading sample axes: 1 for (n, ...), 2 for (chain, draw, ...).
    """
    if isinstance(result, FitResult):
        if result.draws is None:
            raise ValueError(
                f"result of method={result.method!r} has no posterior draws (a point estimate); "
                "use a sampling method or evaluate the model at result.params"
            )
        return result.draws
    if isinstance(result, (NUTSResult, NumpyroMCMCResult)):
        return result.samples
    if isinstance(result, (NestedResult, PathfinderResult, SVIResult, GeoVIResult)):
        return jax.tree_util.tree_map(lambda v: jnp.asarray(v)[None], result.samples)
    if isinstance(result, LaplaceResult):
        if key is None:
            raise ValueError(
                "a LaplaceResult has no stored draws: pass key= (and num_draws=) to draw from "
                "the Gaussian"
            )
        return jax.tree_util.tree_map(lambda v: v[None], laplace_sample(result, key, num_laplace))
    if isinstance(result, (Mapping, np.ndarray, jax.Array)) or (
        isinstance(result, (tuple, list)) and not hasattr(result, "_fields")
    ):
        if sample_ndim not in (1, 2):
            raise ValueError(
                f"sample_ndim must be 1 (n, ...) or 2 (chain, draw, ...); got {sample_ndim!r}"
            )
        _leading(result, sample_ndim, "result_or_draws")
        if sample_ndim == 1:
            return jax.tree_util.tree_map(lambda v: jnp.asarray(v)[None], result)
        return jax.tree_util.tree_map(jnp.asarray, result)
    raise TypeError(f"result_or_draws must be a {_ACCEPTED}; got {type(result).__name__}")


def _flatten_chains(tree) -> Any:
    return jax.tree_util.tree_map(lambda v: v.reshape((-1, *v.shape[2:])), tree)


def _own_weights(result) -> tuple[Any, jax.Array] | None:
    """The weighted points and linear weights a result carries (nested sampling), or None."""
    if isinstance(result, FitResult) and result.weighted_draws is not None:
        return result.weighted_draws, jnp.exp(jnp.asarray(result.log_weights))
    if isinstance(result, NestedResult):
        return result.weighted_samples, jnp.exp(jnp.asarray(result.log_weights))
    return None


def _check_weights(w: Any, n: int, argname: str = "weights") -> np.ndarray:
    """Concrete non-negative finite weights of shape (n,), not all zero, normalised (float64)."""
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"{argname} must have shape ({n},) (one weight per draw); got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = int(np.sum(~np.isfinite(w) | (w < 0)))
        raise ValueError(
            f"{argname} must be finite and >= 0; got {bad} bad value(s), e.g. "
            f"{w[~np.isfinite(w) | (w < 0)][:3]}"
        )
    s = w.sum()
    if not s > 0:
        raise ValueError(f"{argname} must not all be zero")
    return w / s


def _take(tree, idx) -> Any:
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v)[idx], tree)


def _map(model_fn, draws, batch_size):
    if batch_size is None:
        return jax.vmap(model_fn)(draws)
    return jax.lax.map(model_fn, draws, batch_size=batch_size)


# model_fn static: repeated calls with the same function (and shapes) reuse the compilation
_map_jit = jax.jit(_map, static_argnums=(0, 2))


def _evaluate(model_fn, draws, batch_size: int | None):
    n = _leading(draws, 1, "draws")[0]
    if batch_size is not None and batch_size >= n:
        batch_size = None
    try:
        hash(model_fn)
    except TypeError:  # an unhashable callable: compile for this call only
        return jax.jit(lambda d: _map(model_fn, d, batch_size))(draws)
    return _map_jit(model_fn, draws, batch_size)


def posterior_predictive(
    model_fn: Callable[[Any], Any],
    result_or_draws: Any,
    *,
    num_draws: int | None = None,
    key: jax.Array | None = None,
    batch_size: int | None = None,
    weights: str | Any | None = None,
    sample_ndim: int = 1,
) -> PredictiveDraws:
    """Draws of ``model_fn(params)`` over the posterior draws of any result.

    Parameters
    ----------
    model_fn : callable ``(params) -> array`` (or pytree of arrays)
        The model output for ONE parameter draw (the structure of the draws without their
        sample axes: a dict of named arrays for ``fit`` results), e.g. predicted fluxes on a
        wavelength grid [their units]. Must be jit- and vmap-able.
    result_or_draws : result or draws
        ``FitResult`` (draws of every chain), ``NUTSResult``, ``NumpyroMCMCResult``,
        ``NestedResult`` (equally weighted ``samples``, or its weighted points, see
        ``weights``), ``PathfinderResult``, ``SVIResult``, ``GeoVIResult``,
        ``LaplaceResult`` (``num_draws`` drawn from the Gaussian with ``key``; 1000 by
        default), or a dict (any pytree) or array of draws with ``sample_ndim`` leading
        sample axes.
    num_draws : int, optional
        Evaluate the model at this many draws only. Equally weighted draws: a random subset
        without replacement (with ``key``) or evenly spaced draws (thinning, without ``key``);
        it cannot exceed the number of draws. ``weights="resample"``: the number of draws
        resampled (default: the number of weighted points). ``weights="weighted"`` or an
        array: a random subset (``key`` needed) keeping the weights, renormalised.
    key : PRNG key, optional
        For random subsets, resampling and Laplace draws.
    batch_size : int, optional
        Evaluate ``batch_size`` draws at a time (``lax.map`` over vmapped batches), so the
        model's intermediates take memory for ``batch_size`` draws, not all of them. Results
        are those of an unbatched ``vmap``. Default: all draws in one ``vmap``.
    weights : None, "resample", "weighted" or array (n,), optional
        None: the equally weighted draws. "resample": the result's weighted points
        (``NestedResult.weighted_samples``, ``FitResult.weighted_draws``) resampled with
        replacement in proportion to their weights (``key`` needed), equally weighted output.
        "weighted": the weighted points themselves; the output carries their weights (pass it
        to ``predictive_bands``). An array: non-negative weights (any normalisation) of the
        draws of ``result_or_draws`` flattened chain-major (e.g. importance weights); kept in
        the output.
    sample_ndim : int
        Leading sample axes of a plain dict / array of draws: 1 for (n, ...), 2 for
        (chain, draw, ...) such as ``FitResult.draws``. Ignored for result types.

    Returns
    -------
    PredictiveDraws
        ``draws``: the outputs, leaves (n, ...); ``weights``: (n,) normalised, or None.

    Raises
    ------
    ValueError
        A result with no draws (``method="map"``), a weights mode the result cannot serve, bad
        ``weights`` (shape, negative, non-finite, all zero), ``num_draws`` / ``batch_size``
        not a positive integer, ``num_draws`` larger than the draws available, a missing
        ``key`` where one is needed.
    TypeError
        ``result_or_draws`` of another type, ``model_fn`` not callable.

    Notes
    -----
    Draws from the methods without exact posterior draws (Laplace, Pathfinder, SVI) give the
    predictive of the approximation. Monte Carlo error of a predictive mean is
    ``std / sqrt(ESS)``, with the result's effective sample size (Kish's ``1 / sum(w^2)`` for
    weighted draws).
    """
    if not callable(model_fn):
        raise TypeError(
            f"model_fn must be callable (params -> array); got {type(model_fn).__name__}"
        )
    if num_draws is not None:
        num_draws = check_count("num_draws", num_draws, 1)
    if batch_size is not None:
        batch_size = check_count("batch_size", batch_size, 1)
    if isinstance(weights, str) and weights not in _WEIGHT_MODES:
        raise ValueError(
            f"weights must be None, one of {_WEIGHT_MODES} or an array of weights; got {weights!r}"
        )

    out_w = None
    resample = isinstance(weights, str) and weights == "resample"
    if isinstance(weights, str):
        own = _own_weights(result_or_draws)
        if own is None:
            raise ValueError(
                f"weights={weights!r} needs a result with weighted draws (NestedResult, or a "
                f"FitResult of method='nested'); got {type(result_or_draws).__name__}. Pass "
                "weights=array for importance weights of plain draws"
            )
        points, w = own
        n = _leading(points, 1, "weighted draws")[0]
        w = _check_weights(w, n, argname="the result's weights")
        if resample:
            if key is None:
                raise ValueError("weights='resample' needs key= (a PRNG key) to resample")
            m = n if num_draws is None else num_draws
            idx = jax.random.choice(key, n, (m,), replace=True, p=jnp.asarray(w))
            draws = _take(points, idx)
        else:
            draws, out_w = points, w
    else:
        laplace_n = _DEFAULT_LAPLACE_DRAWS if num_draws is None else num_draws
        draws = _flatten_chains(
            _chain_draws(result_or_draws, sample_ndim=sample_ndim, key=key, num_laplace=laplace_n)
        )
        n = _leading(draws, 1, "draws")[0]
        if weights is not None:
            out_w = _check_weights(weights, n)

    n = _leading(draws, 1, "draws")[0]
    if num_draws is not None and not resample and num_draws < n:
        if key is None and out_w is not None:
            raise ValueError("num_draws with weighted draws needs key= to pick a random subset")
        if key is None:  # thinning: evenly spaced draws
            idx = np.unique(np.round(np.linspace(0, n - 1, num_draws)).astype(int))
        else:
            idx = jax.random.choice(key, n, (num_draws,), replace=False)
        draws = _take(draws, idx)
        if out_w is not None:
            out_w = _check_weights(np.asarray(out_w)[np.asarray(idx)], num_draws)
    elif num_draws is not None and not resample and num_draws > n:
        raise ValueError(
            f"num_draws={num_draws} exceeds the {n} draws available; use num_draws <= {n}"
        )

    out = _evaluate(model_fn, draws, batch_size)
    if out_w is not None:
        dtypes = [v.dtype for v in jax.tree_util.tree_leaves(out)]
        fdt = (
            jnp.result_type(*dtypes)
            if all(jnp.issubdtype(d, jnp.inexact) for d in dtypes)
            else float
        )
        out_w = jnp.asarray(out_w, dtype=fdt)
    return PredictiveDraws(draws=out, weights=out_w)


# --------------------------------------------------------------------------- quantiles, HPDI


def _prepare(pred_draws, weights, argname="pred_draws"):
    """(n, m) float array, its trailing shape, normalised (n,) weights or None, and a traced
    (m,) mask of the columns to report as NaN (NaN/inf draws or bad weights) or None."""
    if isinstance(pred_draws, PredictiveDraws):
        if weights is None:
            weights = pred_draws.weights
        pred_draws = pred_draws.draws
    x = jnp.asarray(pred_draws)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    if x.ndim < 1 or x.shape[0] < 2:
        raise ValueError(f"{argname} must have shape (n, ...) with n >= 2 draws; got {x.shape}")
    if not is_traced(x):
        bad = ~np.isfinite(np.asarray(x))
        if np.any(bad):
            raise ValueError(
                f"{argname} contains {int(bad.sum())} non-finite value(s) (NaN/inf); drop the "
                "draws where the model is undefined before summarising"
            )
    n, tail = x.shape[0], x.shape[1:]
    if weights is not None:
        if is_traced(weights):
            w = jnp.asarray(weights, dtype=x.dtype)
            w = w / jnp.sum(w)
        else:
            w = jnp.asarray(_check_weights(weights, n), dtype=x.dtype)
    else:
        w = None
    x = x.reshape(n, -1)
    bad = None
    if is_traced(x, w):  # concrete input was checked above; traced bad input -> NaN
        bad = jnp.any(~jnp.isfinite(x), axis=0)
        if w is not None:
            bad = bad | jnp.any(~jnp.isfinite(w) | (w < 0))
    return x, tail, w, bad


def _nan_where(bad, *arrays):
    if bad is None:
        return arrays
    return tuple(jnp.where(bad, jnp.nan, a) for a in arrays)


def _check_probs(probs, argname):
    p = np.atleast_1d(np.asarray(probs, dtype=np.float64))
    if p.ndim != 1 or not np.all((p > 0) & (p < 1)):
        raise ValueError(f"{argname} must lie strictly between 0 and 1; got {probs!r}")
    return p


@jax.jit
def _quantile_cols(x, q, w):
    """Quantiles q (k,) of each column of x (n, m): Hazen plotting positions (midpoints of the
    cumulative weights), linear interpolation, clamped at the extreme draws."""
    n = x.shape[0]
    order = jnp.argsort(x, axis=0)
    xs = jnp.take_along_axis(x, order, axis=0)
    if w is None:
        c = (jnp.arange(n, dtype=x.dtype) + 0.5) / n
        cs = jnp.broadcast_to(c[:, None], x.shape)
    else:
        ws = w[order]
        cs = jnp.cumsum(ws, axis=0) - 0.5 * ws
    qq = jnp.asarray(q, dtype=x.dtype)

    def one(cc, xx):
        i = jnp.clip(jnp.searchsorted(cc, qq, side="right"), 1, n - 1)
        c0, c1, x0, x1 = cc[i - 1], cc[i], xx[i - 1], xx[i]
        dc = c1 - c0
        t = jnp.clip(jnp.where(dc > 0, (qq - c0) / jnp.where(dc > 0, dc, 1), 1.0), 0.0, 1.0)
        return x0 + t * (x1 - x0)

    return jax.vmap(one, in_axes=(1, 1), out_axes=1)(cs, xs)  # (k, m)


@jax.jit
def _hpdi_cols(x, probs, w):
    """Shortest intervals holding masses ``probs`` (k,) per column of x (n, m) -> (lower,
    upper), each (k, m). One compilation per shape, whatever the probs."""
    n = x.shape[0]
    order = jnp.argsort(x, axis=0)
    xs = jnp.take_along_axis(x, order, axis=0)
    probs = jnp.asarray(probs, dtype=x.dtype)
    i_n = jnp.arange(n)
    if w is None:
        # as arviz.hdi: intervals [x_i, x_{i+k}] with k = floor(prob n)
        ks = jnp.clip(jnp.floor(probs * n).astype(int), 0, n - 1)

        def one_prob(k):
            j = i_n + k
            jj = jnp.minimum(j, n - 1)
            widths = jnp.where((j < n)[:, None], xs[jj] - xs, jnp.inf)
            i = jnp.argmin(widths, axis=0)
            lo = jnp.take_along_axis(xs, i[None], axis=0)[0]
            hi = jnp.take_along_axis(xs, (i + k)[None], axis=0)[0]
            return lo, hi

        return jax.vmap(one_prob)(ks)
    ws = w[order]

    def one(xx, ww, p):
        s = jnp.cumsum(ww)
        before = s - ww  # mass strictly below x_i
        # smallest j with mass(x_i..x_j) > p (equal weights: j - i = floor(p n), arviz's)
        j = jnp.searchsorted(s, before + p, side="right")
        ok = j < n
        jj = jnp.minimum(j, n - 1)
        width = jnp.where(ok, xx[jj] - xx, jnp.inf)
        i = jnp.argmin(width)
        return xx[i], xx[jj[i]]

    per_col = jax.vmap(one, in_axes=(1, 1, None), out_axes=0)
    return jax.vmap(per_col, in_axes=(None, None, 0))(xs, ws, probs)


def weighted_quantile(
    draws: Any, q: float | Sequence[float], *, weights: Any | None = None
) -> jax.Array:
    """Quantiles of draws along their first axis, optionally weighted.

    Parameters
    ----------
    draws : array (n, ...) or PredictiveDraws
        Draws (their weights are used when ``weights`` is None).
    q : float or sequence of float
        Probabilities in (0, 1).
    weights : array (n,), optional
        Non-negative weights (any normalisation).

    Returns
    -------
    array (len(q), ...) or (...) for a scalar q
        Interpolated at the midpoints of the cumulative weights (Hazen's plotting positions;
        unweighted this is ``numpy.quantile(..., method="hazen")``), clamped to the extreme
        draws. Equal weights give the unweighted result.
    """
    x, tail, w, bad = _prepare(draws, weights, "draws")
    qa = _check_probs(q, "q")
    (out,) = _nan_where(bad, _quantile_cols(x, qa, w))
    out = out.reshape((qa.size, *tail))
    return out[0] if np.ndim(q) == 0 else out


def hpdi(
    draws: Any, prob: float = 0.68, *, weights: Any | None = None
) -> tuple[jax.Array, jax.Array]:
    """Highest-posterior-density interval of draws along their first axis, per element.

    The shortest interval ``[x_i, x_j]`` between sorted draws whose mass exceeds ``prob``:
    unweighted, ``j - i = floor(prob n)`` exactly as ``arviz.hdi`` (``multimodal=False``);
    weighted, the smallest ``j`` with ``sum(w_i..w_j) > prob`` for each ``i`` (equal weights
    reduce to the unweighted interval).

    Parameters
    ----------
    draws : array (n, ...) or PredictiveDraws
        Draws (their weights are used when ``weights`` is None).
    prob : float
        Credible mass in (0, 1).
    weights : array (n,), optional
        Non-negative weights (any normalisation).

    Returns
    -------
    (lower, upper) : arrays (...)
        In the draws' units. For a multimodal marginal this is one interval covering the
        modes, not a union of intervals.
    """
    x, tail, w, bad = _prepare(draws, weights, "draws")
    if np.ndim(prob) != 0:
        raise ValueError(f"prob must be a single float in (0, 1); got {prob!r}")
    lo, hi = _nan_where(bad, *_hpdi_cols(x, _check_probs(prob, "prob"), w))
    return lo.reshape(tail), hi.reshape(tail)


def predictive_bands(
    pred_draws: Any,
    *,
    weights: Any | None = None,
    probs: float | Sequence[float] = (0.68, 0.95),
) -> PredictiveBands:
    """Median, mean, equal-tailed and highest-density bands of (predictive) draws.

    Parameters
    ----------
    pred_draws : PredictiveDraws or array (n, ...)
        Output of ``posterior_predictive`` (its weights are used) or any draws with the sample
        axis first.
    weights : array (n,), optional
        Weights of the draws (overrides those of a ``PredictiveDraws``).
    probs : float or sequence of float
        Credible mass of each band, in (0, 1); default 68 % and 95 %.

    Returns
    -------
    PredictiveBands
        Per output element: ``median``, ``mean``, equal-tailed ``eti_lower/upper`` and
        shortest ``hdi_lower/upper`` (leading axis: one row per prob), in the draws' units
        and dtype. See ``weighted_quantile`` and ``hpdi`` for the conventions.

    Raises
    ------
    ValueError
        Fewer than two draws, NaN/inf in concrete draws, bad weights, probs outside (0, 1).
    """
    x, tail, w, bad = _prepare(pred_draws, weights)
    p = _check_probs(probs, "probs")
    qs = np.concatenate([[0.5], (1 - p) / 2, (1 + p) / 2])
    (quant,) = _nan_where(bad, _quantile_cols(x, qs, w))
    k = p.size
    mean = jnp.mean(x, axis=0) if w is None else jnp.sum(w[:, None] * x, axis=0)
    (mean,) = _nan_where(bad, mean)
    hdi_lo, hdi_hi = _nan_where(bad, *_hpdi_cols(x, p, w))
    shape = (k, *tail)
    return PredictiveBands(
        probs=tuple(float(v) for v in p),
        median=quant[0].reshape(tail),
        mean=mean.reshape(tail),
        eti_lower=quant[1 : 1 + k].reshape(shape),
        eti_upper=quant[1 + k :].reshape(shape),
        hdi_lower=hdi_lo.reshape(shape),
        hdi_upper=hdi_hi.reshape(shape),
    )
