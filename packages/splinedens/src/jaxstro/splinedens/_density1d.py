"""1-D rate models for point data: a Gaussian and a spline log-density (the 1-D toy problem)."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.splinedens._checks import check_count, check_finite, check_interval
from jaxstro.splinedens._density import _log_normal, _poisson_process_loglike
from jaxstro.splinedens._integrate import float_array, simpson_weights
from jaxstro.splinedens._spline import make_spline, spline_design_matrix

__all__ = [
    "SplineDensity1D",
    "prepare_spline_density_1d",
    "spline_density_1d_loglike",
    "gaussian_rate_loglike",
]


class SplineDensity1D(NamedTuple):
    """Tables of a 1-D spline log-rate model: log rate(x) = spline(knot values)(x).

    Build with :func:`prepare_spline_density_1d`.
    """

    W_data: jax.Array  # (N, n_knots)
    W_grid: jax.Array  # (n_grid, n_knots)
    w_grid: jax.Array  # (n_grid,) Simpson weights over the window
    knots: jax.Array  # (n_knots,)


def prepare_spline_density_1d(
    x: ArrayLike,
    knots: ArrayLike,
    *,
    window: tuple[float, float] | None = None,
    n_grid: int = 1001,
    dtype=None,
) -> SplineDensity1D:
    """Tables for :func:`spline_density_1d_loglike` for fixed data and knots.

    Parameters
    ----------
    x : (N,) array
        The data points [units of x]: finite and inside the knot range (ValueError
        otherwise: beyond the end knots the log-rate would be an extrapolated cubic).
    knots : (n_knots,) array
        Knot positions of the log-rate spline [units of x], at least 4, finite, strictly
        increasing.
    window : (lower, upper) or None
        Interval over which the rate is integrated [units of x], finite, inside the knot range
        (ValueError otherwise); default: the knot range. Data outside the window (but inside
        the knots) are kept in the likelihood with a warning saying how many, as in
        :func:`prepare_stream_model`.
    n_grid : int
        Points of the Simpson grid on the window, an integer >= 3.
    dtype : dtype or None
        dtype of the tables (default: JAX's default float dtype).

    Returns
    -------
    SplineDensity1D
        Design matrices at the data and on the grid, Simpson weights, knots.
    """
    func = "prepare_spline_density_1d"
    x = np.asarray(x)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{func}: x must be a non-empty 1-D array; got shape {x.shape}")
    check_finite(func, "x", x)
    x = x.astype(np.float64)
    spl = make_spline(knots)
    k_lo, k_hi = float(spl.knots[0]), float(spl.knots[-1])
    beyond = (x < k_lo) | (x > k_hi)
    if np.any(beyond):
        raise ValueError(
            f"{func}: {int(beyond.sum())} of {x.size} data points x lie outside the knot range "
            f"[{k_lo:g}, {k_hi:g}] (first: {x[beyond][0]:g}), where the spline log-rate is "
            "only an extrapolated end polynomial; extend the knots to cover the data (or drop "
            "those points)"
        )
    if window is None:
        lo, hi = k_lo, k_hi
    else:
        lo, hi = check_interval("window", window, " [units of x]")
        if lo < k_lo or hi > k_hi:
            raise ValueError(
                f"{func}: window = ({lo:g}, {hi:g}) extends beyond the knot range "
                f"[{k_lo:g}, {k_hi:g}]; the rate integral would use the extrapolated spline. "
                "Accepted: a window inside the knot range"
            )
    n_grid = check_count("n_grid", n_grid, 3)
    outside = (x < lo) | (x > hi)
    if np.any(outside):
        warnings.warn(
            f"{int(outside.sum())} of {x.size} data points lie outside the integration window "
            f"({lo:g}, {hi:g}); they are kept in the likelihood",
            stacklevel=2,
        )
    grid = np.linspace(lo, hi, n_grid)
    dt = dtype or jnp.asarray(0.0).dtype
    return SplineDensity1D(
        W_data=jnp.asarray(spline_design_matrix(spl, x), dtype=dt),
        W_grid=jnp.asarray(spline_design_matrix(spl, grid), dtype=dt),
        w_grid=jnp.asarray(simpson_weights(grid), dtype=dt),
        knots=jnp.asarray(spl.knots, dtype=dt),
    )


def spline_density_1d_loglike(values: ArrayLike, tables: SplineDensity1D) -> jax.Array:
    """Poisson-process log-likelihood of the data for the spline log-rate with knot ``values``.

    Parameters
    ----------
    values : (n_knots,) array
        Log rate at the knots [log of counts per unit x]; finite (ValueError when concrete;
        a traced NaN gives a NaN log-likelihood).
    tables : SplineDensity1D
        From :func:`prepare_spline_density_1d`.

    Returns
    -------
    () array
        Log-likelihood [nats].
    """
    func = "spline_density_1d_loglike"
    values = float_array(values)
    n = tables.knots.shape[-1]
    if values.shape != (n,):
        raise ValueError(
            f"{func}: values must have shape ({n},) (one per knot; vmap for a batch); "
            f"got {values.shape}"
        )
    check_finite(func, "values", values)
    log_int = jax.scipy.special.logsumexp(tables.W_grid @ values, b=tables.w_grid)
    return _poisson_process_loglike(tables.W_data @ values, log_int)


def gaussian_rate_loglike(
    ln_n: ArrayLike, mu: ArrayLike, ln_sigma: ArrayLike, x: ArrayLike
) -> jax.Array:
    """Poisson-process log-likelihood for rate(x) = exp(ln_n) N(x | mu, exp(ln_sigma)^2).

    The integral of the rate over the real line is exp(ln_n).

    Parameters
    ----------
    ln_n : () array
        Log of the expected number of points [log counts].
    mu : () array
        Mean [units of x].
    ln_sigma : () array
        Log of the standard deviation [log units of x].
    x : (N,) array
        The data points [units of x].

    Returns
    -------
    () array
        Log-likelihood [nats].

    Every input must be finite: ValueError naming it when concrete; a traced NaN gives NaN.
    """
    func = "gaussian_rate_loglike"
    for name, v in (("ln_n", ln_n), ("mu", mu), ("ln_sigma", ln_sigma), ("x", x)):
        check_finite(func, name, v)
    return _poisson_process_loglike(ln_n + _log_normal(x, mu, jnp.exp(ln_sigma)), ln_n)
