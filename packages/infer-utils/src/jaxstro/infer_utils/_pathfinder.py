"""Pathfinder variational approximation (blackjax)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import blackjax
import jax
import numpy as np
from jax.flatten_util import ravel_pytree

from jaxstro.infer_utils._checks import (
    check_count,
    check_finite_params,
    check_finite_start,
    float_params,
)
from jaxstro.infer_utils._modes import check_mode, forward_gradient
from jaxstro.infer_utils._params import make_layout

__all__ = ["PathfinderResult", "run_pathfinder"]


class PathfinderResult(NamedTuple):
    samples: Any  # pytree, leaves with leading num_samples axis
    log_q: jax.Array  # (num_samples,) log density of the approximation at the draws
    elbo: jax.Array  # ELBO of the selected normal approximation
    state: Any  # blackjax PathfinderState


def run_pathfinder(
    logdensity_fn: Callable[[Any], jax.Array],
    init_params: Any,
    key: jax.Array,
    *,
    num_samples: int = 1000,
    maxiter: int = 100,
    num_elbo_samples: int = 200,
    ftol: float = 1e-6,
    gtol: float = 1e-8,
    mode: str = "reverse",
) -> PathfinderResult:
    """Single-path Pathfinder (Zhang et al. 2022): the best normal approximation along an
    L-BFGS path by ELBO, then ``num_samples`` draws from it.

    Parameters
    ----------
    logdensity_fn : callable ``(params) -> () array``
        Log posterior density [nats], unconstrained parameters.
    init_params : pytree
        Start of the L-BFGS path.
    key : PRNG key
        Random key for the ELBO estimates and the draws.
    num_samples : int
        Number of draws returned.
    maxiter : int
        Maximum L-BFGS iterations.
    num_elbo_samples : int
        Draws per ELBO estimate along the path.
    ftol, gtol : float
        L-BFGS convergence tolerances (objective [nats], gradient).
    mode : str
        "reverse" (default) or "forward" (gradients from jacfwd: memory of one evaluation).

    Returns
    -------
    PathfinderResult
        ``samples`` (pytree with a leading (num_samples,) axis, the parameters' units),
        ``log_q`` (num_samples,) log density of the approximation at the draws, ``elbo``
        [nats] and the blackjax ``state``.

    Notes
    -----
    Integer parameters are promoted to a floating dtype. Raises ValueError if the initial
    parameters, log density or its gradient are not finite.
    """
    for name, val in [
        ("num_samples", num_samples),
        ("maxiter", maxiter),
        ("num_elbo_samples", num_elbo_samples),
    ]:
        check_count(name, val, 1)
    check_mode(mode)
    init_params = float_params(init_params)
    if mode == "forward":
        _, unravel = ravel_pytree(init_params)
        density = logdensity_fn
        flat = forward_gradient(lambda y: density(unravel(y)))
        logdensity_fn = lambda p: flat(ravel_pytree(p)[0])  # noqa: E731
    names = make_layout(init_params).names
    check_finite_params(ravel_pytree(init_params)[0], names=names)
    v0, g0 = jax.jit(jax.value_and_grad(logdensity_fn))(init_params)
    check_finite_start(v0, g0, what="log density", names=names)
    k_fit, k_draw = jax.random.split(key)
    state, _ = blackjax.vi.pathfinder.approximate(
        k_fit,
        logdensity_fn,
        init_params,
        num_samples=num_elbo_samples,
        maxiter=maxiter,
        ftol=ftol,
        gtol=gtol,
    )
    if not np.isfinite(float(state.elbo)):
        raise FloatingPointError("Pathfinder found no approximation with a finite ELBO")
    samples, log_q = blackjax.vi.pathfinder.sample(k_draw, state, num_samples)
    return PathfinderResult(samples=samples, log_q=log_q, elbo=state.elbo, state=state)
