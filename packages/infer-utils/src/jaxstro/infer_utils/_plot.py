"""Plotting helpers: predictive band over data, pair plot of several results, trace plot.

matplotlib is an optional extra (``pip install "jaxstro-infer-utils[plot]"``), imported only
when a plot is made. The functions return the figure or axes and never call ``plt.show``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from jaxstro.infer_utils._predictive import PredictiveBands, _chain_draws

__all__ = ["plot_pairs", "plot_predictive", "plot_trace"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "the infer-utils plotting helpers need matplotlib: "
            'pip install "jaxstro-infer-utils[plot]" (or matplotlib>=3.7)'
        ) from err
    return plt


def _path_name(path) -> str:
    parts = []
    for k in path:
        if isinstance(k, jax.tree_util.DictKey):
            parts.append(str(k.key))
        elif isinstance(k, jax.tree_util.GetAttrKey):
            parts.append(k.name)
        elif isinstance(k, jax.tree_util.SequenceKey):
            parts.append(str(k.idx))
        else:
            parts.append(str(k))
    return ".".join(parts) or "x"


def _columns(chains) -> tuple[list[str], list[str], np.ndarray]:
    """Scalar columns of a pytree with leaves (chain, draw, ...): names ("bc[1]"), base names
    ("bc") and an array (chain, draw, d)."""
    names, bases, cols = [], [], []
    for path, leaf in jax.tree_util.tree_flatten_with_path(chains)[0]:
        v = np.asarray(leaf, dtype=np.float64)
        base = _path_name(path)
        event = v.shape[2:]
        flat = v.reshape(v.shape[0], v.shape[1], -1)
        for j, idx in enumerate(np.ndindex(*event) if event else [()]):
            names.append(base + ("[" + ",".join(map(str, idx)) + "]" if idx else ""))
            bases.append(base)
            cols.append(flat[:, :, j])
    return names, bases, np.stack(cols, axis=-1)


def _select(names, bases, params, argname="params") -> list[int]:
    if params is None:
        return list(range(len(names)))
    params = [params] if isinstance(params, str) else list(params)
    idx = []
    for p in params:
        hit = [i for i, (n, b) in enumerate(zip(names, bases, strict=True)) if p in (n, b)]
        if not hit:
            raise ValueError(f"{argname} entry {p!r} is not a parameter; accepted: {names}")
        idx += [i for i in hit if i not in idx]
    return idx


def _truth_columns(truth, names, bases) -> dict[str, float]:
    """Truth values per scalar column name (a dict of arrays like the draws)."""
    if truth is None:
        return {}
    if not isinstance(truth, Mapping):
        raise ValueError(f"truth must be a dict name -> value; got {type(truth).__name__}")
    out = {}
    for k, v in truth.items():
        v = np.asarray(v, dtype=np.float64).ravel()
        cols = [n for n, b in zip(names, bases, strict=True) if b == k or n == k]
        if not cols:
            raise ValueError(f"truth has an unknown parameter {k!r}; accepted: {names}")
        if v.size not in (1, len(cols)):
            raise ValueError(f"truth[{k!r}] has {v.size} values for {len(cols)} entries")
        for j, n in enumerate(cols):
            out[n] = float(v[j if v.size > 1 else 0])
    return out


def plot_predictive(
    x: Any,
    bands: PredictiveBands,
    data: Any | None = None,
    data_err: Any | None = None,
    ax: Any | None = None,
    *,
    kind: str = "hdi",
    color: str | None = None,
    label: str | None = "posterior predictive",
    data_label: str | None = "data",
):
    """Predictive median and bands over ``x``, with data points on top.

    Parameters
    ----------
    x : (m,) array
        Abscissa of the model output (e.g. wavelength [its units]).
    bands : PredictiveBands
        From ``predictive_bands`` of an output of shape (m,).
    data, data_err : (m_d,) arrays, optional
        Observations at ``x`` (same length as ``x``) and their 1-sigma errors.
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    kind : "hdi" or "eti"
        Highest-density or equal-tailed bands.

    Returns
    -------
    matplotlib Axes
        One filled band per credible mass (widest drawn first, lighter), the median line, and
        the data (``errorbar`` with ``data_err``, markers without).
    """
    if not isinstance(bands, PredictiveBands):
        raise TypeError(f"bands must be a PredictiveBands; got {type(bands).__name__}")
    if kind not in ("hdi", "eti"):
        raise ValueError(f"kind must be 'hdi' or 'eti'; got {kind!r}")
    x = np.asarray(x)
    med = np.asarray(bands.median)
    if x.ndim != 1 or med.shape != x.shape:
        raise ValueError(
            f"x must be 1-D with the bands' output shape {med.shape}; got shape {x.shape}"
        )
    lo = np.asarray(bands.hdi_lower if kind == "hdi" else bands.eti_lower)
    hi = np.asarray(bands.hdi_upper if kind == "hdi" else bands.eti_upper)
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    color = color or "C0"
    order = np.argsort(bands.probs)[::-1]  # widest first
    for r, i in enumerate(order):
        alpha = 0.2 + 0.25 * r / max(len(order) - 1, 1)
        ax.fill_between(
            x,
            lo[i],
            hi[i],
            color=color,
            alpha=alpha,
            lw=0,
            label=f"{100 * bands.probs[i]:.0f}% {kind.upper()}",
        )
    ax.plot(x, med, color=color, label=label)
    if data is not None:
        data = np.asarray(data)
        if data.shape != x.shape:
            raise ValueError(f"data must have the shape of x {x.shape}; got {data.shape}")
        if data_err is not None:
            ax.errorbar(x, data, yerr=np.asarray(data_err), fmt="o", color="k", ms=3,
                        label=data_label)  # fmt: skip
        else:
            ax.plot(x, data, "o", color="k", ms=3, label=data_label)
    ax.legend(frameon=False)
    return ax


def _mass_levels(h: np.ndarray, masses) -> list[float]:
    """Density thresholds of a 2-D histogram enclosing the given masses (increasing, unique)."""
    flat = np.sort(h.ravel())[::-1]
    cum = np.cumsum(flat)
    if cum[-1] <= 0:
        return []
    cum /= cum[-1]
    levels = [flat[min(np.searchsorted(cum, m), flat.size - 1)] for m in masses]
    return sorted({float(v) for v in levels if v > 0})


def plot_pairs(
    results: Mapping[str, Any],
    truth: Mapping[str, Any] | None = None,
    params: Sequence[str] | None = None,
    *,
    bins: int = 30,
    levels: Sequence[float] = (0.68, 0.95),
    sample_ndim: int = 1,
):
    """Corner-style pair plot of several results overlaid, truth marked.

    Parameters
    ----------
    results : dict name -> result
        Any result ``posterior_predictive`` accepts (its equally weighted draws are used), or
        a dict of draws with ``sample_ndim`` leading axes. Names label the legend.
    truth : dict name -> value, optional
        True values (the parameters' structure; vector parameters as arrays), drawn as lines
        and a marker.
    params : sequence of str, optional
        Parameters to show: names ("bc") or entries ("bc[1]"); default all of the first
        result's.
    bins : int
        Histogram bins per axis.
    levels : sequence of float
        Masses enclosed by the 2-D contours.

    Returns
    -------
    matplotlib Figure
        d(d+1)/2 axes for d scalar entries: marginal histograms on the diagonal, contours of
        each pair below it (upper triangle removed), a legend naming the results.
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError(
            "results must be a non-empty dict name -> result; got " + type(results).__name__
        )
    if any(isinstance(v, (np.ndarray, jax.Array)) for v in results.values()):
        raise ValueError(
            "results must map names to results or draw dicts; got arrays as values (wrap a "
            'dict of draws: plot_pairs({"name": draws}))'
        )
    cols = {}
    for name, res in results.items():
        chains = _chain_draws(res, sample_ndim=sample_ndim, key=jax.random.key(0))
        n, b, arr = _columns(chains)
        cols[name] = (n, b, arr.reshape(-1, arr.shape[-1]))
    names0, bases0, _ = next(iter(cols.values()))
    sel = [names0[i] for i in _select(names0, bases0, params)]
    tru = _truth_columns(truth, names0, bases0)
    d = len(sel)
    plt = _pyplot()
    fig, axes = plt.subplots(d, d, figsize=(2.2 * d + 0.6, 2.2 * d + 0.6), squeeze=False)
    colors = [f"C{i % 10}" for i in range(len(cols))]

    def column(name, key):
        n = cols[name][0]
        return cols[name][2][:, n.index(key)] if key in n else None

    ranges = []
    for key in sel:
        vals = [v for nm in cols if (v := column(nm, key)) is not None]
        allv = np.concatenate(vals)
        lo, hi = np.quantile(allv, [0.002, 0.998])
        if key in tru:
            lo, hi = min(lo, tru[key]), max(hi, tru[key])
        pad = 0.08 * (hi - lo) if hi > lo else 0.5 * max(abs(lo), 1.0)
        ranges.append((lo - pad, hi + pad))
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            if j > i:
                ax.remove()
                continue
            for c, nm in zip(colors, cols, strict=True):
                xj = column(nm, sel[j])
                if xj is None:
                    continue
                if i == j:
                    ax.hist(xj, bins=bins, range=ranges[j], density=True, histtype="step",
                            color=c)  # fmt: skip
                    continue
                yi = column(nm, sel[i])
                if yi is None:
                    continue
                h, xe, ye = np.histogram2d(xj, yi, bins=bins, range=[ranges[j], ranges[i]])
                lv = _mass_levels(h, levels)
                if lv:
                    xc, yc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])
                    ax.contour(xc, yc, h.T, levels=lv, colors=c, linewidths=1)
            if sel[j] in tru:
                ax.axvline(tru[sel[j]], color="k", lw=0.8, ls="--")
            if i != j and sel[i] in tru:
                ax.axhline(tru[sel[i]], color="k", lw=0.8, ls="--")
                if sel[j] in tru:
                    ax.plot(tru[sel[j]], tru[sel[i]], "s", color="k", ms=4)
            ax.set_xlim(ranges[j])
            if i != j:
                ax.set_ylim(ranges[i])
            if i == d - 1:
                ax.set_xlabel(sel[j])
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(sel[i])
            elif j > 0 or i == 0:
                ax.set_yticklabels([])
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, label=nm) for c, nm in zip(colors, cols, strict=True)]
    if tru:
        handles.append(Line2D([], [], color="k", ls="--", label="truth"))
    fig.legend(handles=handles, loc="upper right", frameon=False)
    return fig


def plot_trace(
    result: Any,
    params: Sequence[str] | None = None,
    *,
    truth: Mapping[str, Any] | None = None,
    sample_ndim: int = 2,
):
    """Trace of each scalar parameter entry, one line per chain.

    Parameters
    ----------
    result : result or draws
        ``FitResult``, ``NUTSResult``, ``NumpyroMCMCResult`` (chains), the single-chain
        results, or a dict of draws with ``sample_ndim`` leading axes (default 2: chain, draw).
    params : sequence of str, optional
        Names ("bc") or entries ("bc[1]"); default all.
    truth : dict name -> value, optional
        Drawn as a horizontal dashed line.

    Returns
    -------
    matplotlib Figure
        One axis per scalar entry (shared draw axis), one line per chain.
    """
    chains = _chain_draws(result, sample_ndim=sample_ndim, key=jax.random.key(0))
    names, bases, arr = _columns(chains)
    sel = _select(names, bases, params)
    tru = _truth_columns(truth, names, bases)
    plt = _pyplot()
    d = len(sel)
    fig, axes = plt.subplots(
        d, 1, figsize=(7, 1.4 * d + 0.6), sharex=True, squeeze=False, layout="constrained"
    )
    for ax, k in zip(axes[:, 0], sel, strict=True):
        for c in range(arr.shape[0]):
            ax.plot(arr[c, :, k], lw=0.5, alpha=0.8, color=f"C{c % 10}")
        if names[k] in tru:
            ax.axhline(tru[names[k]], color="k", ls="--", lw=0.8)
        ax.set_ylabel(names[k])
    axes[-1, 0].set_xlabel("draw")
    return fig
