"""1-D rate models for point data: a Gaussian and a spline log-density (the 1-D toy problem)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.splinedens._density import log_normal, poisson_process_loglike
from jaxstro.splinedens._integrate import simpson_weights
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
        The data points [units of x], finite.
    knots : (n_knots,) array
        Knot positions of the log-rate spline [units of x], at least 4, increasing.
    window : (lower, upper) or None
        Interval over which the rate is integrated [units of x]; default: the knot range.
    n_grid : int
        Points of the Simpson grid on the window.
    dtype : dtype or None
        dtype of the tables (default: JAX's default float dtype).

    Returns
    -------
    SplineDensity1D
        Design matrices at the data and on the grid, Simpson weights, knots.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x contains {int((~np.isfinite(x)).sum())} non-finite values")
    spl = make_spline(knots)
    lo, hi = window if window is not None else (spl.knots[0], spl.knots[-1])
    grid = np.linspace(lo, hi, int(n_grid))
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
        Log rate at the knots [log of counts per unit x].
    tables : SplineDensity1D
        From :func:`prepare_spline_density_1d`.

    Returns
    -------
    () array
        Log-likelihood [nats].
    """
    log_int = jax.scipy.special.logsumexp(tables.W_grid @ values, b=tables.w_grid)
    return poisson_process_loglike(tables.W_data @ values, log_int)


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
    """
    return poisson_process_loglike(ln_n + log_normal(x, mu, jnp.exp(ln_sigma)), ln_n)
