"""Stellar-stream density model on the sky: spline stream x Gaussian cross-track + background.

rate(phi1, phi2) = exp(A(phi1)) N(phi2 | m(phi1), exp(s(phi1))^2) + exp(B(phi1))

with A (log-amplitude), m (track), s (log-width) and B (background log-density, flat in phi2)
not-a-knot cubic splines of their knot values. The likelihood is the inhomogeneous Poisson
process with the rate integrated over the window by 2-D Simpson on a fixed grid.

Every spline is evaluated through a design matrix built once (data points and the phi1 grid
are fixed), so the log-likelihood is a few matrix-vector products plus the Gaussian on the
(grid phi1 x grid phi2) mesh. Because the quadrature is linear, the background integral is
done in 1-D (it is flat in phi2): the same Simpson sum, without the 2-D mesh.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jax.typing import ArrayLike

from jaxstro.splinedens._checks import check_finite, check_interval, is_traced
from jaxstro.splinedens._density import (
    _log_normal,
    _poisson_process_loglike,
    _random_walk_log_prior,
    membership_probability,
)
from jaxstro.splinedens._integrate import float_array, simpson_weights, trapezoid_weights
from jaxstro.splinedens._spline import make_spline, spline_design_matrix, spline_eval

__all__ = [
    "StreamModel",
    "STREAM_PARAM_NAMES",
    "prepare_stream_model",
    "stream_log_density",
    "stream_log_likelihood",
    "stream_log_prior",
    "stream_objective",
    "stream_membership",
    "stream_density_grid",
    "stream_histogram_init",
    "check_stream_params",
]

STREAM_PARAM_NAMES = ("ln_amp", "track", "ln_width", "ln_bg")

# integration grid points per axis: the (n1, n2) mesh is evaluated on every likelihood call
_MAX_GRID = 100_000


class StreamModel(NamedTuple):
    """Prepared tables of the stream model (a pytree of arrays; build with
    :func:`prepare_stream_model`)."""

    phi2: jax.Array  # (N,) data cross-track coordinate
    W_amp: jax.Array  # (N, n_amp) design matrices at the data phi1
    W_track: jax.Array  # (N, n_track)
    W_bg: jax.Array  # (N, n_bg)
    G_amp: jax.Array  # (n1, n_amp) design matrices on the phi1 integration grid
    G_track: jax.Array  # (n1, n_track)
    G_bg: jax.Array  # (n1, n_bg)
    grid_phi1: jax.Array  # (n1,)
    grid_phi2: jax.Array  # (n2,)
    w_phi1: jax.Array  # (n1,) quadrature weights
    w_phi2: jax.Array  # (n2,)
    amp_knots: jax.Array  # (n_amp,) [deg]
    track_knots: jax.Array  # (n_track,) [deg]
    bg_knots: jax.Array  # (n_bg,) [deg]
    prior_sigma: jax.Array  # () random-walk prior standard deviation
    n_data: jax.Array  # () number of data points


def _as_1d(name, v) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array; got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty: the model needs at least one data point")
    bad = ~np.isfinite(a)
    if np.any(bad):
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite values (NaN/inf) at indices "
            f"{np.flatnonzero(bad)[:5].tolist()}; remove them first"
        )
    return a


def _positive_number(name, v, unit="") -> float:
    """``float(v)``, or ValueError unless ``v`` is a real finite number > 0 (not a string)."""
    ok = isinstance(v, numbers.Real | np.ndarray) and not isinstance(v, bool) and np.ndim(v) == 0
    f = float(v) if ok else math.nan
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"{name} must be a finite number > 0{unit}; got {v!r}")
    return f


def _grid(window, step, name) -> np.ndarray:
    """Uniform grid on the window with spacing ``step`` (rounded so it divides the window)."""
    lo, hi = window
    step_f = _positive_number("grid_step", step, " [deg]")
    n = round((hi - lo) / step_f) + 1
    if n < 3:
        raise ValueError(
            f"grid_step={step_f:g} leaves fewer than 3 grid points on {name} = ({lo:g}, {hi:g}); "
            f"accepted: grid_step <= {(hi - lo) / 2:g}"
        )
    if n > _MAX_GRID:
        raise ValueError(
            f"grid_step={step_f:g} gives {n} grid points on {name} = ({lo:g}, {hi:g}); "
            f"accepted: at most {_MAX_GRID} points, grid_step >= {(hi - lo) / (_MAX_GRID - 1):g}"
        )
    return np.linspace(lo, hi, n)


def prepare_stream_model(
    phi1: ArrayLike,
    phi2: ArrayLike,
    *,
    amp_knots: ArrayLike,
    track_knots: ArrayLike,
    bg_knots: ArrayLike,
    window_phi1: tuple[float, float] = (-100.0, 20.0),
    window_phi2: tuple[float, float] = (-7.0, 5.0),
    grid_step: float = 0.1,
    rule: str = "simpson",
    prior_sigma: float = 1.0,
    dtype=None,
) -> StreamModel:
    """Build the tables of the stream model for fixed data, knots and integration grid.

    Parameters
    ----------
    phi1, phi2 : (N,) star positions [deg] in the stream frame.
    amp_knots, track_knots, bg_knots : knot positions [deg] of the stream log-amplitude, of
        the track mean and log-width (shared), and of the background log-density: each at
        least 4, finite, strictly increasing, covering ``window_phi1`` and every star's phi1
        (ValueError otherwise: beyond its end knots a spline is only extrapolated).
    window_phi1, window_phi2 : integration window [deg], finite (lower, upper) with
        lower < upper; data outside it are kept (a warning says how many).
    grid_step : spacing [deg] of the integration grid (0.1 in the reference analysis): a
        finite number > 0 leaving 3 to 100,000 points per axis, rounded so that it divides
        each window.
    rule : "simpson" (default) or "trapezoid".
    prior_sigma : standard deviation of the random-walk smoothness priors [units of each
        spline: log density, deg, log deg], finite and > 0.
    dtype : dtype of the tables (default: JAX's default float dtype).

    Returns
    -------
    StreamModel
        Design matrices at the data and on the integration grid, grids, weights and knots
        (a pytree of arrays: pass it through jit as an argument).
    """
    phi1 = _as_1d("phi1", phi1)
    phi2 = _as_1d("phi2", phi2)
    if phi1.shape != phi2.shape:
        raise ValueError(
            f"phi1 and phi2 must have the same shape; got {phi1.shape} and {phi2.shape}"
        )
    if rule not in ("simpson", "trapezoid"):
        raise ValueError(f"rule must be 'simpson' or 'trapezoid'; got {rule!r}")
    prior_sigma = _positive_number("prior_sigma", prior_sigma)
    window_phi1 = check_interval("window_phi1", window_phi1, " [deg]")
    window_phi2 = check_interval("window_phi2", window_phi2, " [deg]")
    g1 = _grid(window_phi1, grid_step, "window_phi1")
    g2 = _grid(window_phi2, grid_step, "window_phi2")
    splines = {}
    for name, k in (("amp_knots", amp_knots), ("track_knots", track_knots), ("bg_knots", bg_knots)):
        try:
            splines[name] = make_spline(k)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
        kn = splines[name].knots
        if window_phi1[0] < kn[0] or window_phi1[1] > kn[-1]:
            raise ValueError(
                f"window_phi1 = {window_phi1} extends beyond the {name} range "
                f"[{kn[0]:g}, {kn[-1]:g}] [deg]; the rate integral would use the spline's "
                "extrapolated end polynomials. Accepted: knots covering the window"
            )
        beyond = (phi1 < kn[0]) | (phi1 > kn[-1])
        if np.any(beyond):
            raise ValueError(
                f"{int(beyond.sum())} of {phi1.size} stars have phi1 outside the {name} range "
                f"[{kn[0]:g}, {kn[-1]:g}] (first: {phi1[beyond][0]:g} deg), where the spline is "
                "only extrapolated; extend the knots or drop those stars"
            )
    s_amp, s_track, s_bg = splines["amp_knots"], splines["track_knots"], splines["bg_knots"]
    outside = (
        (phi1 < window_phi1[0])
        | (phi1 > window_phi1[1])
        | (phi2 < window_phi2[0])
        | (phi2 > window_phi2[1])
    )
    if np.any(outside):
        warnings.warn(
            f"{int(outside.sum())} of {phi1.size} data points lie outside the integration window "
            f"phi1 in {tuple(window_phi1)}, phi2 in {tuple(window_phi2)}; they are kept in the "
            "likelihood",
            stacklevel=2,
        )
    wfun = simpson_weights if rule == "simpson" else trapezoid_weights
    dt = dtype or jnp.asarray(0.0).dtype
    a = lambda v: jnp.asarray(v, dtype=dt)
    return StreamModel(
        phi2=a(phi2),
        W_amp=a(spline_design_matrix(s_amp, phi1)),
        W_track=a(spline_design_matrix(s_track, phi1)),
        W_bg=a(spline_design_matrix(s_bg, phi1)),
        G_amp=a(spline_design_matrix(s_amp, g1)),
        G_track=a(spline_design_matrix(s_track, g1)),
        G_bg=a(spline_design_matrix(s_bg, g1)),
        grid_phi1=a(g1),
        grid_phi2=a(g2),
        w_phi1=a(wfun(g1)),
        w_phi2=a(wfun(g2)),
        amp_knots=a(s_amp.knots),
        track_knots=a(s_track.knots),
        bg_knots=a(s_bg.knots),
        prior_sigma=a(prior_sigma),
        n_data=a(phi1.size),
    )


def check_stream_params(params: Mapping[str, ArrayLike], model: StreamModel) -> None:
    """Raise ValueError naming unknown, missing, wrongly shaped or (concrete) non-finite
    stream parameters (traced values are not checked: NaN knot values give NaN results).

    Parameters
    ----------
    params, model : knot values by name and the prepared model (see
        :func:`stream_log_density`).
    """
    expected = {
        "ln_amp": model.amp_knots.shape,
        "track": model.track_knots.shape,
        "ln_width": model.track_knots.shape,
        "ln_bg": model.bg_knots.shape,
    }
    unknown = sorted(set(params) - set(expected))
    missing = sorted(set(expected) - set(params))
    if unknown or missing:
        raise ValueError(
            f"params has unknown names {unknown} and is missing {missing}; "
            f"accepted names are {sorted(expected)}"
        )
    for k, shape in expected.items():
        if np.shape(params[k]) != tuple(shape):
            raise ValueError(
                f"params[{k!r}] must have shape {tuple(shape)}; got {np.shape(params[k])}"
            )
        check_finite("stream model", f"params[{k!r}]", params[k])


def stream_log_density(
    params: Mapping[str, ArrayLike], model: StreamModel
) -> tuple[jax.Array, jax.Array]:
    """Log rates of the stream and of the background at the data points.

    Parameter names and shapes are checked at trace time (ValueError naming the entry).

    Parameters
    ----------
    params : dict of str to array
        Knot values: ``ln_amp`` (n_amp,) log linear density of the stream [log stars/deg];
        ``track`` (n_track,) track mean [deg]; ``ln_width`` (n_track,) log Gaussian width
        [log deg]; ``ln_bg`` (n_bg,) log background density [log stars/deg^2].
    model : StreamModel
        From :func:`prepare_stream_model`.

    Returns
    -------
    log_stream, log_bg : (N,) arrays
        Log rates [log stars/deg^2].
    """
    check_stream_params(params, model)
    amp = model.W_amp @ params["ln_amp"]
    mean = model.W_track @ params["track"]
    ln_w = model.W_track @ params["ln_width"]
    log_stream = amp + _log_normal(model.phi2, mean, jnp.exp(ln_w))
    log_bg = model.W_bg @ params["ln_bg"]
    return log_stream, log_bg


def _log_integral(params, model: StreamModel):
    amp = model.G_amp @ params["ln_amp"]  # (n1,)
    mean = model.G_track @ params["track"]
    width = jnp.exp(model.G_track @ params["ln_width"])
    log_gauss = _log_normal(model.grid_phi2[None, :], mean[:, None], width[:, None])  # (n1, n2)
    log_stream = logsumexp(
        amp[:, None] + log_gauss, b=model.w_phi1[:, None] * model.w_phi2[None, :]
    )
    log_bg = logsumexp(model.G_bg @ params["ln_bg"], b=model.w_phi1) + jnp.log(
        jnp.sum(model.w_phi2)
    )
    return jnp.logaddexp(log_stream, log_bg)


def stream_log_likelihood(params: Mapping[str, ArrayLike], model: StreamModel) -> jax.Array:
    """Poisson-process log-likelihood of the data under the stream + background rate.

    Parameters
    ----------
    params, model : knot values by name and the prepared model (see
        :func:`stream_log_density`).

    Returns
    -------
    () array
        Log-likelihood [nats].
    """
    log_stream, log_bg = stream_log_density(params, model)
    return _poisson_process_loglike(jnp.logaddexp(log_stream, log_bg), _log_integral(params, model))


def stream_log_prior(params: Mapping[str, ArrayLike], model: StreamModel) -> jax.Array:
    """Random-walk smoothness priors on ln_amp, track and ln_width (none on the background).

    Parameters
    ----------
    params, model : knot values by name and the prepared model (see
        :func:`stream_log_density`).

    Returns
    -------
    () array
        Log prior density (standard deviation ``model.prior_sigma``) [nats].
    """
    s = model.prior_sigma
    return (
        _random_walk_log_prior(params["ln_amp"], s)
        + _random_walk_log_prior(params["track"], s)
        + _random_walk_log_prior(params["ln_width"], s)
    )


def stream_objective(params: Mapping[str, ArrayLike], model: StreamModel) -> jax.Array:
    """``-(log likelihood + log prior) / N``: the quantity L-BFGS minimises.

    Parameters
    ----------
    params, model : knot values by name and the prepared model (see
        :func:`stream_log_density`).

    Returns
    -------
    () array
        Negative log posterior per data point [nats per star].
    """
    return -(stream_log_likelihood(params, model) + stream_log_prior(params, model)) / model.n_data


def stream_membership(params: Mapping[str, ArrayLike], model: StreamModel) -> jax.Array:
    """Per-star probability of belonging to the stream: stream rate / (stream + background).

    Parameters
    ----------
    params, model : knot values by name and the prepared model (see
        :func:`stream_log_density`).

    Returns
    -------
    (N,) array
        Membership probabilities in [0, 1] (dimensionless).
    """
    log_stream, log_bg = stream_log_density(params, model)
    return membership_probability((log_stream, log_bg), 0)


def stream_density_grid(
    params: Mapping[str, ArrayLike],
    model: StreamModel,
    phi1: ArrayLike | None = None,
    phi2: ArrayLike | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Log rates (stream, background, total) on a (phi1, phi2) mesh.

    For plots; not on the likelihood's hot path.

    Parameters
    ----------
    params, model : knot values by name and the prepared model (see
        :func:`stream_log_density`).
    phi1 : (n1,) array or None
        Mesh along the stream [deg], inside the range covered by all three knot sets;
        default: the integration grid.
    phi2 : (n2,) array or None
        Mesh across the stream [deg], finite; default: the integration grid.

    Returns
    -------
    log_stream, log_bg, log_total : (n1, n2) arrays
        Log rates [log stars/deg^2]. ``phi1`` beyond the knots (where the splines are only
        extrapolated) or NaN/inf: ValueError when concrete, NaN rows when traced.
    """
    func = "stream_density_grid"
    check_stream_params(params, model)
    knots = [np.asarray(k) for k in (model.amp_knots, model.track_knots, model.bg_knots)]
    lo, hi = max(k[0] for k in knots), min(k[-1] for k in knots)
    phi1 = model.grid_phi1 if phi1 is None else float_array(phi1)
    phi2 = model.grid_phi2 if phi2 is None else float_array(phi2)
    check_finite(func, "phi2", phi2)
    if not is_traced(phi1):
        p1 = np.asarray(phi1, dtype=np.float64)
        bad = ~(np.isfinite(p1) & (p1 >= lo) & (p1 <= hi))
        if np.any(bad):
            raise ValueError(
                f"{func}: phi1 has {int(bad.sum())} value(s) outside the knot range "
                f"[{lo:g}, {hi:g}] deg (first: {p1[bad][0]:g}); accepted: finite values in it"
            )
    ok = (phi1 >= lo) & (phi1 <= hi)  # False for NaN
    phi1_in = jnp.where(ok, phi1, jnp.asarray(0.5 * (lo + hi), dtype=phi1.dtype))

    def ev(knots, y):
        return spline_eval(make_spline(knots), y, phi1_in)

    amp = ev(knots[0], params["ln_amp"])
    mean = ev(knots[1], params["track"])
    width = jnp.exp(ev(knots[1], params["ln_width"]))
    log_stream = amp[:, None] + _log_normal(phi2[None, :], mean[:, None], width[:, None])
    log_bg = jnp.broadcast_to(ev(knots[2], params["ln_bg"])[:, None], log_stream.shape)
    # NaN rows (and a NaN gradient with respect to those phi1) where phi1 is out of range
    poison = (jnp.where(ok, 0.0, jnp.nan) * phi1)[:, None]
    guard = lambda v: jnp.where(ok[:, None], v, jnp.nan) + poison.astype(v.dtype)
    log_total = jnp.logaddexp(log_stream, log_bg)
    return guard(log_stream), guard(log_bg), guard(log_total)


def stream_histogram_init(
    phi1: ArrayLike,
    phi2: ArrayLike,
    model: StreamModel,
    *,
    phi1_range: tuple[float, float] = (-90.0, 20.0),
    n_phi1_bins: int = 10,
    phi2_bin: float = 0.2,
    off_stream: tuple[float, float] = (-5.0, 3.0),
    ln_width: float = -1.0,
    smooth: float = 1.0,
) -> dict[str, jax.Array]:
    """Initial knot values from histograms of the data (the reference analysis' recipe).

    Off-stream stars (phi2 < off_stream[0] or > off_stream[1]) give the background density
    along phi1; in coarse phi1 bins the smoothed, background-subtracted phi2 histogram gives the
    track (its peak) and the stream's peak density. Estimates are interpolated to the knots
    with scipy's interpolating cubic spline; the log-width starts at ``ln_width`` everywhere.

    Parameters
    ----------
    phi1, phi2 : (N,) arrays
        Star positions [deg] (the data of ``model``).
    model : StreamModel
        From :func:`prepare_stream_model` (knots, window, dtype).
    phi1_range : (lower, upper)
        Range of the coarse phi1 bins [deg].
    n_phi1_bins : int
        Number of coarse phi1 bins.
    phi2_bin : float
        Width of the phi2 histogram bins [deg].
    off_stream : (lower, upper)
        Stars with phi2 outside this interval estimate the background [deg].
    ln_width : float
        Starting log width of the stream [log deg].
    smooth : float
        Gaussian smoothing of the phi2 histograms [bins].

    Returns
    -------
    dict of str to array
        ``ln_amp``, ``track``, ``ln_width``, ``ln_bg`` knot values (units as in
        :func:`stream_log_density`), in the dtype of ``model``.
    """
    from scipy.interpolate import InterpolatedUnivariateSpline
    from scipy.ndimage import gaussian_filter1d

    phi1 = _as_1d("phi1", phi1)
    phi2 = _as_1d("phi2", phi2)
    lo2, hi2 = float(model.grid_phi2[0]), float(model.grid_phi2[-1])
    xe = np.linspace(phi1_range[0], phi1_range[1] + 1e-3, n_phi1_bins + 1)
    ye = np.arange(lo2, hi2 + 1e-3, phi2_bin)
    H, _, _ = np.histogram2d(phi1, phi2, bins=(xe, ye))
    xc, yc = 0.5 * (xe[:-1] + xe[1:]), 0.5 * (ye[:-1] + ye[1:])
    H = gaussian_filter1d(H, sigma=smooth, axis=1)
    off = (yc < off_stream[0]) | (yc > off_stream[1])
    H = H - H[:, off].mean()
    dens = H / ((xe[1] - xe[0]) * phi2_bin)  # stars per deg^2 in excess of the background
    peak = dens.argmax(axis=1)
    peak_dens = np.maximum(dens[np.arange(dens.shape[0]), peak], 1e-3)
    # peak rate of a Gaussian of width w is amp / (sqrt(2 pi) w): convert to the amplitude
    ln_amp_bins = np.log(peak_dens * np.sqrt(2 * np.pi) * np.exp(ln_width))
    init_amp = InterpolatedUnivariateSpline(xc, ln_amp_bins, k=3)(np.asarray(model.amp_knots))
    init_track = InterpolatedUnivariateSpline(xc, yc[peak], k=3)(np.asarray(model.track_knots))

    nb = 14
    mask = (phi2 > off_stream[1]) | (phi2 < off_stream[0])
    hb, xb = np.histogram(phi1[mask], bins=np.linspace(phi1_range[0], phi1_range[1] + 1e-3, nb + 1))
    width_off = (off_stream[0] - lo2) + (hi2 - off_stream[1])
    bg = gaussian_filter1d(hb.astype(float), sigma=2) / (xb[1] - xb[0]) / width_off
    init_bg = InterpolatedUnivariateSpline(
        0.5 * (xb[:-1] + xb[1:]), np.log(np.maximum(bg, 1e-3)), k=3
    )(np.asarray(model.bg_knots))
    dt = model.phi2.dtype
    return {
        "ln_amp": jnp.asarray(np.clip(init_amp, -10, 10), dtype=dt),
        "track": jnp.asarray(np.clip(init_track, lo2, hi2), dtype=dt),
        "ln_width": jnp.full(model.track_knots.shape, ln_width, dtype=dt),
        "ln_bg": jnp.asarray(np.clip(init_bg, -10, 10), dtype=dt),
    }
