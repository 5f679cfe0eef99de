"""1-D rate models for point data: a Gaussian and a spline log-density (the 1-D toy problem)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

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
    """Tables of a 1-D spline log-rate model: log rate(x) = spline(knot values)(x)."""

    W_data: jax.Array  # (N, n_knots)
    W_grid: jax.Array  # (n_grid, n_knots)
    w_grid: jax.Array  # (n_grid,) Simpson weights over the window
    knots: jax.Array


def prepare_spline_density_1d(x, knots, *, window=None, n_grid=1001, dtype=None) -> SplineDensity1D:
    """Tables for :func:`spline_density_1d_loglike`; the rate is integrated over ``window``
    (default: the knot range) with Simpson's rule on ``n_grid`` points."""
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


def spline_density_1d_loglike(values, tables: SplineDensity1D):
    """Poisson-process log-likelihood of the data for the spline log-rate with knot ``values``."""
    log_int = jax.scipy.special.logsumexp(tables.W_grid @ values, b=tables.w_grid)
    return poisson_process_loglike(tables.W_data @ values, log_int)


def gaussian_rate_loglike(ln_n, mu, ln_sigma, x):
    """Poisson-process log-likelihood for rate(x) = exp(ln_n) N(x | mu, exp(ln_sigma)^2)
    (integral over the real line = exp(ln_n))."""
    return poisson_process_loglike(ln_n + log_normal(x, mu, jnp.exp(ln_sigma)), ln_n)
