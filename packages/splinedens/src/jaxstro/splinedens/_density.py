"""Density components, Poisson-process likelihood, mixtures and smoothness priors."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jax.typing import ArrayLike

from jaxstro.splinedens._checks import check_finite, check_positive

__all__ = [
    "log_normal",
    "poisson_process_loglike",
    "log_mixture",
    "random_walk_log_prior",
    "membership_probability",
]

# a Python float, so the input dtype (not the x64 flag at import time) decides precision
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def log_normal(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> jax.Array:
    """Normalised log density of N(mu, sigma^2) at ``x``.

    Parameters
    ----------
    x : (...) array
        Points [any unit u].
    mu : (...) array
        Mean [u], broadcastable with ``x``.
    sigma : (...) array
        Standard deviation [u], > 0, broadcastable with ``x``.

    Returns
    -------
    (...) array, the broadcast shape
        log density [log of 1/u].

    Concrete NaN/inf ``x`` or ``mu``, or ``sigma`` not finite and > 0: ValueError naming the
    argument. Traced (under jit/vmap/grad): NaN where ``sigma <= 0`` or an input is NaN.
    """
    check_finite("log_normal", "x", x)
    check_finite("log_normal", "mu", mu)
    check_positive("log_normal", "sigma", sigma)
    return _log_normal(x, mu, sigma)


def _log_normal(x, mu, sigma):
    """:func:`log_normal` without the concrete-input checks (the package's hot paths)."""
    z = (x - mu) / sigma
    return -0.5 * z * z - jnp.log(sigma) - _LOG_SQRT_2PI


def poisson_process_loglike(log_rate_at_data: ArrayLike, log_integral: ArrayLike) -> jax.Array:
    """Inhomogeneous Poisson process: ``sum_i log lambda(x_i) - integral lambda``.

    Parameters
    ----------
    log_rate_at_data : (..., N) array
        Log rate (density of expected counts) at the N points [log of counts per unit volume
        of the data space, e.g. log stars per deg^2].
    log_integral : (...) array
        Log of the rate integrated over the observed window [log of expected counts].

    Returns
    -------
    (...) array
        Log-likelihood [nats], up to the data-independent constant.

    ``-inf`` entries (a zero rate or integral) are accepted; concrete NaN or ``+inf``:
    ValueError; traced: the result is NaN (or -inf for a rate of zero at a data point).
    """
    check_finite(
        "poisson_process_loglike", "log_rate_at_data", log_rate_at_data, allow_neg_inf=True
    )
    check_finite("poisson_process_loglike", "log_integral", log_integral, allow_neg_inf=True)
    return _poisson_process_loglike(log_rate_at_data, log_integral)


def _poisson_process_loglike(log_rate_at_data, log_integral):
    return jnp.sum(log_rate_at_data, axis=-1) - jnp.exp(log_integral)


def log_mixture(*log_densities: ArrayLike) -> jax.Array:
    """log of the sum of component densities given as log densities (logsumexp).

    Parameters
    ----------
    *log_densities : (...) arrays
        Log rate or log density of each component [log of a common unit], broadcastable.

    Returns
    -------
    (...) array, the broadcast shape
        Log of the summed density [same unit].
    """
    for i, v in enumerate(log_densities):
        check_finite("log_mixture", f"log_densities[{i}]", v, allow_neg_inf=True)
    if len(log_densities) == 1:
        return jnp.asarray(log_densities[0])
    if len(log_densities) == 2:
        return jnp.logaddexp(log_densities[0], log_densities[1])
    return logsumexp(jnp.stack(jnp.broadcast_arrays(*log_densities)), axis=0)


def random_walk_log_prior(values: ArrayLike, sigma: ArrayLike = 1.0) -> jax.Array:
    """Gaussian random-walk smoothness prior over neighbouring knot values (normalised).

    ``sum_k log N(values[k] | values[k-1], sigma^2)`` over the last axis.

    Parameters
    ----------
    values : (..., n_knots) array
        Knot values [any unit u, e.g. a log density or deg].
    sigma : float or array
        Standard deviation of each step [u], > 0.

    Returns
    -------
    (...) array
        Log prior density [log of 1/u^(n_knots - 1)].
    """
    check_finite("random_walk_log_prior", "values", values)
    check_positive("random_walk_log_prior", "sigma", sigma)
    return _random_walk_log_prior(values, sigma)


def _random_walk_log_prior(values, sigma):
    v = jnp.asarray(values)
    return jnp.sum(_log_normal(v[..., 1:], v[..., :-1], sigma), axis=-1)


def membership_probability(log_components, component: int | str) -> jax.Array:
    """Probability that each point belongs to one component of a mixture.

    ``p_k(x) = rate_k(x) / sum_j rate_j(x)``, where the sum runs over every entry of
    ``log_components`` exactly once: pass ALL components (the one of interest included) and
    say which one is of interest with ``component``. The probabilities of all components
    therefore sum to one at every point.

    Parameters
    ----------
    log_components : sequence or mapping of (...) arrays, or a (n_comp, ...) array
        Log rate (or log density; any common normalisation cancels) of every component of the
        mixture at the same points [log of the rate's units]. The entries must broadcast to a
        common shape (...). A mapping names the components; an array's leading axis indexes
        them.
    component : int or str
        The component of interest: an index into the sequence or array (negative counts from
        the end), or a key of the mapping.

    Returns
    -------
    (...) array
        Membership probability in [0, 1] (dimensionless). NaN where every rate is zero.

    Examples
    --------
    >>> log_rates = {"stream": log_stream, "background": log_bg, "cocoon": log_cocoon}
    >>> p_stream = membership_probability(log_rates, "stream")
    """
    if isinstance(log_components, Mapping):
        entries = [(f"log_components[{k!r}]", v) for k, v in log_components.items()]
    elif isinstance(log_components, jax.Array | np.ndarray):
        entries = [("log_components", log_components)]
    else:
        entries = [(f"log_components[{i}]", v) for i, v in enumerate(log_components)]
    for name, v in entries:
        check_finite("membership_probability", name, v, allow_neg_inf=True)
    if isinstance(log_components, Mapping):
        names = list(log_components)
        if isinstance(component, Hashable) and component in log_components:
            index = names.index(component)
        else:
            raise ValueError(
                f"component must be a key of log_components; got {component!r}, accepted: {names}"
            )
        logs = jnp.stack(jnp.broadcast_arrays(*(jnp.asarray(log_components[k]) for k in names)))
    else:
        if isinstance(log_components, jax.Array | np.ndarray):
            logs = jnp.asarray(log_components)
            if logs.ndim == 0:
                raise ValueError(
                    "log_components must hold one log rate per component (a sequence, a "
                    "mapping or an array with the components on the leading axis); got a scalar"
                )
        else:
            logs = jnp.stack(jnp.broadcast_arrays(*(jnp.asarray(v) for v in log_components)))
        n_comp = logs.shape[0]
        if isinstance(component, bool) or not isinstance(component, int | np.integer):
            shown = f"shape {np.shape(component)}" if np.ndim(component) else repr(component)
            raise ValueError(
                f"component must be an int index into log_components (n_comp={n_comp}); got "
                f"{type(component).__name__} {shown}. The call is "
                "membership_probability(all_log_components, component): the first argument "
                "holds EVERY component, the one of interest included"
            )
        if not -n_comp <= component < n_comp:
            raise ValueError(
                f"component={component} is out of range for {n_comp} components; accepted: "
                f"{-n_comp} to {n_comp - 1}"
            )
        index = int(component)
    return jnp.exp(logs[index] - logsumexp(logs, axis=0))
