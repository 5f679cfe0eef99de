"""Laplace approximation at the maximum a posteriori point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jaxstro.infer_utils._checks import (
    check_count,
    check_finite_params,
    check_finite_start,
    float_params,
)
from jaxstro.infer_utils._params import ParamLayout, make_layout

__all__ = ["LaplaceResult", "laplace", "laplace_sample"]


class LaplaceResult(NamedTuple):
    """Gaussian approximation N(mean, cov) of a posterior around its mode."""

    mean: Any  # pytree
    mean_flat: jax.Array  # (d,)
    hessian: jax.Array  # (d, d) of the negative log posterior at the mode
    cov: jax.Array  # (d, d) = hessian^-1
    std: Any  # pytree of marginal standard deviations
    log_evidence: jax.Array  # Laplace estimate of log Z (meaningful if neg_log_post is normalised)
    layout: ParamLayout


def laplace(
    neg_log_post: Callable[..., jax.Array], map_params: Any, *, args: tuple = ()
) -> LaplaceResult:
    """Laplace approximation of ``exp(-neg_log_post)`` at ``map_params``.

    ``neg_log_post(params, *args)`` must be the full negative log posterior (not divided by
    the number of data points). The Hessian is the exact autodiff Hessian in flat space.
    Raises ValueError if it is not positive definite (the point is not a strict minimum), and,
    as the other entry points do, if ``map_params``, ``neg_log_post`` or its gradient there
    are not finite. Integer parameters are promoted to a floating dtype.

    ``log_evidence = -f(x*) + d/2 log(2 pi) - 1/2 log det H``.

    Parameters
    ----------
    neg_log_post : callable ``(params, *args) -> () array``
        Negative log posterior [nats].
    map_params : pytree
        The minimum (e.g. ``minimize_lbfgs(...).params``), in the parameters' own units.
    args : tuple
        Extra positional arguments of ``neg_log_post``.

    Returns
    -------
    LaplaceResult
        ``mean`` (the MAP, pytree) and ``mean_flat`` (d,), ``hessian`` and ``cov`` (d, d),
        ``std`` (pytree of marginal standard deviations) [the parameters' units], the flat
        ``layout`` and ``log_evidence`` [nats].
    """
    map_params = float_params(map_params)
    layout = make_layout(map_params)
    x, _ = ravel_pytree(map_params)
    check_finite_params(x, names=layout.names, argname="map_params")
    flat = lambda y: neg_log_post(layout.unravel(y), *args)
    f0, g0 = jax.jit(jax.value_and_grad(flat))(x)
    check_finite_start(f0, g0, what="neg_log_post", argname="map_params", names=layout.names)
    H = jax.jit(jax.hessian(flat))(x)
    H = 0.5 * (H + H.T)
    Hn = np.asarray(H, dtype=np.float64)
    if not np.all(np.isfinite(Hn)):
        raise ValueError("Hessian of neg_log_post at map_params is not finite")
    eig = np.linalg.eigvalsh(Hn)
    if eig[0] <= 0:
        raise ValueError(
            f"Hessian of neg_log_post at map_params is not positive definite (smallest eigenvalue "
            f"{eig[0]:.3g}); map_params is not a strict minimum - optimise first"
        )
    L = jnp.linalg.cholesky(H)
    eye = jnp.eye(x.size, dtype=H.dtype)
    Linv = jax.scipy.linalg.solve_triangular(L, eye, lower=True)
    cov = Linv.T @ Linv
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(L)))
    log_z = -f0 + 0.5 * x.size * jnp.log(2 * jnp.pi) - 0.5 * logdet
    std = layout.unravel(jnp.sqrt(jnp.diag(cov)))
    return LaplaceResult(
        mean=map_params, mean_flat=x, hessian=H, cov=cov, std=std, log_evidence=log_z, layout=layout
    )


def laplace_sample(result: LaplaceResult, key: jax.Array, num_samples: int) -> Any:
    """Draw parameter pytrees from the Laplace approximation.

    Parameters
    ----------
    result : LaplaceResult
        From :func:`laplace`.
    key : PRNG key
        Random key.
    num_samples : int
        Number of draws.

    Returns
    -------
    pytree
        The structure of the MAP parameters with a leading (num_samples,) axis [their units].
    """
    num_samples = check_count("num_samples", num_samples, 1)
    z = jax.random.normal(key, (num_samples, result.mean_flat.size), dtype=result.mean_flat.dtype)
    L = jnp.linalg.cholesky(result.cov)
    flat = result.mean_flat + z @ L.T
    return jax.vmap(result.layout.unravel)(flat)
