"""Density components, Poisson-process likelihood, mixtures and smoothness priors."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.special import logsumexp

__all__ = [
    "log_normal",
    "poisson_process_loglike",
    "log_mixture",
    "random_walk_log_prior",
    "membership_probability",
]

# a Python float, so the input dtype (not the x64 flag at import time) decides precision
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def log_normal(x, mu, sigma):
    """Normalised log density of N(mu, sigma^2) at ``x`` (``sigma`` is the standard deviation)."""
    z = (x - mu) / sigma
    return -0.5 * z * z - jnp.log(sigma) - _LOG_SQRT_2PI


def poisson_process_loglike(log_rate_at_data, log_integral):
    """Inhomogeneous Poisson process: ``sum_i log lambda(x_i) - integral lambda``.

    ``log_rate_at_data`` : (N,) log rate (density of expected counts) at the N points.
    ``log_integral`` : log of the integral of the rate over the observed window.
    """
    return jnp.sum(log_rate_at_data, axis=-1) - jnp.exp(log_integral)


def log_mixture(*log_densities):
    """log of the sum of component densities given as log densities (logsumexp)."""
    if len(log_densities) == 1:
        return jnp.asarray(log_densities[0])
    if len(log_densities) == 2:
        return jnp.logaddexp(log_densities[0], log_densities[1])
    return logsumexp(jnp.stack(jnp.broadcast_arrays(*log_densities)), axis=0)


def random_walk_log_prior(values, sigma=1.0):
    """Gaussian random-walk smoothness prior over neighbouring knot values (normalised).

    ``sum_k log N(values[k] | values[k-1], sigma^2)`` over the last axis.
    """
    v = jnp.asarray(values)
    return jnp.sum(log_normal(v[..., 1:], v[..., :-1], sigma), axis=-1)


def membership_probability(log_component, *log_all_components):
    """Probability that a point belongs to ``log_component`` among all the given components."""
    total = log_mixture(log_component, *log_all_components)
    return jnp.exp(log_component - total)
