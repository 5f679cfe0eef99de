"""MAP estimation: scipy L-BFGS-B on a jitted value_and_grad, and optax loops under lax.scan."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.optimize
from jax.flatten_util import ravel_pytree

from jaxstro.infer_utils._checks import (
    check_count,
    check_finite_params,
    check_finite_start,
    float_params,
    is_traced,
)
from jaxstro.infer_utils._modes import cached_jit, check_mode, forward_gradient, value_and_grad
from jaxstro.infer_utils._params import ParamLayout, flat_bounds, make_layout

__all__ = [
    "MinimizeResult",
    "OptaxResult",
    "minimize_lbfgs",
    "minimize_optax",
]


class MinimizeResult(NamedTuple):
    """Outcome of :func:`minimize_lbfgs`."""

    params: Any  # pytree like the initial parameters
    fun: float
    grad_norm: float  # max |projected gradient| component at the solution
    nit: int
    nfev: int
    success: bool
    message: str
    wall_time_s: float
    layout: ParamLayout


class OptaxResult(NamedTuple):
    """Outcome of :func:`minimize_optax`: final parameters and the whole trajectory."""

    params: Any
    losses: jax.Array  # (num_steps,) objective before each update
    trajectory: Any  # pytree, leaves (num_steps, ...): parameters before each update
    opt_state: Any


def minimize_lbfgs(
    fun: Callable[..., jax.Array],
    init_params: Any,
    *,
    args: tuple = (),
    bounds: Mapping[str, tuple[Any, Any]] | None = None,
    maxiter: int = 10_000,
    ftol: float = 1e-12,
    gtol: float = 1e-8,
    maxls: int = 100,
    maxcor: int = 20,
    progress: bool = False,
    mode: str = "reverse",
) -> MinimizeResult:
    """Minimise ``fun(params, *args)`` with scipy's L-BFGS-B driven by a jitted ``value_and_grad``.

    Parameters
    ----------
    fun : scalar objective of a parameter pytree (dict of scalars/arrays).
    init_params : starting pytree; its structure defines the result's.
    bounds : ``{name: (lower, upper)}``; ``None`` on a side means unbounded.
    ftol, gtol, maxls, maxcor, maxiter : passed to scipy's L-BFGS-B.
    progress : show a tqdm bar of iterations with the current objective.
    mode : "reverse" (default) or "forward": the gradient from reverse-mode autodiff, or
        from jacfwd (one forward pass per parameter, no tape: for models whose reverse-mode
        intermediates do not fit in memory).

    Returns
    -------
    MinimizeResult
        ``params`` (pytree like ``init_params``, its units), ``fun`` (objective at the
        solution, units of ``fun``), ``grad_norm`` (max projected-gradient component),
        ``nit``, ``nfev``, ``success``, ``message``.

    Notes
    -----
    The objective is evaluated in the dtype of ``init_params`` (float64 when x64 is enabled);
    scipy works in float64 on host. Integer parameters are promoted to a floating dtype.
    The compiled value-and-gradient is kept per objective (and parameter structure, dtype and
    mode): calling again with the same ``fun`` object, e.g. from several starts, compiles
    once. Pass data through ``args`` rather than a new closure per call.
    Raises ValueError if the initial parameters, objective or gradient are not finite.
    """
    for name, val in [("maxiter", maxiter), ("maxls", maxls), ("maxcor", maxcor)]:
        check_count(name, val, 1)
    check_mode(mode)
    init_params = float_params(init_params)
    layout = make_layout(init_params)
    x0_j, _ = ravel_pytree(init_params)
    check_finite_params(x0_j, names=layout.names)
    dtype = x0_j.dtype
    x0 = np.asarray(x0_j, dtype=np.float64)

    def build():
        unravel = layout.unravel  # same structure and shapes for every call sharing the key

        @jax.jit
        def vg(x, *a):
            return value_and_grad(lambda y: fun(unravel(y), *a), mode)(x)

        return vg

    leaves = jax.tree_util.tree_leaves(init_params)
    key = (
        "lbfgs",
        jax.tree_util.tree_structure(init_params),
        tuple(jnp.shape(v) for v in leaves),
        str(dtype),
        mode,
    )
    vg = cached_jit(fun, key, build)

    counts = {"nfev": 0}

    def scipy_fun(x):
        counts["nfev"] += 1
        v, g = vg(jnp.asarray(x, dtype=dtype), *args)
        return float(v), np.asarray(g, dtype=np.float64)

    v0, g0 = scipy_fun(x0)
    check_finite_start(v0, g0, names=layout.names)
    lo, hi = flat_bounds(bounds, layout)
    if np.any((x0 < lo) | (x0 > hi)):
        idx = np.flatnonzero((x0 < lo) | (x0 > hi))
        raise ValueError(
            "init_params lie outside bounds for "
            + ", ".join(
                f"{layout.names[i]}={x0[i]:g} not in [{lo[i]:g}, {hi[i]:g}]" for i in idx[:5]
            )
        )
    scipy_bounds = None if bounds is None else scipy.optimize.Bounds(lo, hi)

    bar = None
    callback = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=maxiter, desc="L-BFGS-B", unit="it", leave=False)

        def callback(intermediate_result):
            bar.update(1)
            bar.set_postfix(f=f"{intermediate_result.fun:.6g}")

    t0 = time.perf_counter()
    try:
        res = scipy.optimize.minimize(
            scipy_fun,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=scipy_bounds,
            callback=callback,
            options=dict(maxiter=maxiter, ftol=ftol, gtol=gtol, maxls=maxls, maxcor=maxcor),
        )
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0
    g = np.asarray(res.jac, dtype=np.float64)
    # projected gradient: components pushing against an active bound do not count
    at_lo = (res.x <= lo) & (g > 0)
    at_hi = (res.x >= hi) & (g < 0)
    pg = np.where(at_lo | at_hi, 0.0, g)
    params = layout.unravel(jnp.asarray(res.x, dtype=dtype))
    return MinimizeResult(
        params=params,
        fun=float(res.fun),
        grad_norm=float(np.max(np.abs(pg))) if pg.size else 0.0,
        nit=int(res.nit),
        nfev=counts["nfev"],
        success=bool(res.success),
        message=str(res.message),
        wall_time_s=wall,
        layout=layout,
    )


def minimize_optax(
    fun: Callable[..., jax.Array],
    init_params: Any,
    optimizer: optax.GradientTransformation,
    num_steps: int,
    *,
    args: tuple = (),
    mode: str = "reverse",
) -> OptaxResult:
    """Run ``num_steps`` of an optax optimizer on ``fun(params, *args)`` inside one ``lax.scan``.

    The whole loop is one compiled call; wrap the call in ``jax.jit`` (``optimizer`` and
    ``num_steps`` static) or ``vmap`` it freely.

    Parameters
    ----------
    fun : callable ``(params, *args) -> () array``
        Objective to minimise (any units).
    init_params : pytree
        Starting parameters; their structure and dtype are kept.
    optimizer : optax.GradientTransformation
        E.g. ``optax.adam(0.05)``.
    num_steps : int
        Number of updates.
    args : tuple
        Extra positional arguments of ``fun``.
    mode : str
        "reverse" (default) or "forward" (gradients from jacfwd: memory of one evaluation).

    Returns
    -------
    OptaxResult
        ``params`` after the last update, ``losses`` (num_steps,) objective before each
        update [units of fun], ``trajectory`` (pytree, leaves (num_steps, ...): parameters
        before each update) and the final ``opt_state``.

    Notes
    -----
    Integer parameters are promoted to a floating dtype. A start with non-finite parameters,
    objective or gradient raises ValueError when the call is eager; under ``jit`` / ``vmap``
    (values unknown at the call) the result of such a start is NaN (``params``, ``losses``
    and ``trajectory``; per member under ``vmap``).
    """
    num_steps = check_count("num_steps", num_steps, 1)
    check_mode(mode)
    init_params = float_params(init_params)
    x0, unravel = ravel_pytree(init_params)
    if mode == "forward":
        objective = fun

        def fun(params, *a):  # noqa: F811  (the same objective, gradient by jacfwd)
            return forward_gradient(lambda y: objective(unravel(y), *a))(ravel_pytree(params)[0])

    names = make_layout(init_params).names
    check_finite_params(x0, names=names)
    if not is_traced(init_params, args):
        # fail before the loop, as L-BFGS, NUTS and Pathfinder do (one extra compiled call)
        v0, g0 = jax.jit(jax.value_and_grad(fun))(init_params, *args)
        check_finite_start(v0, g0, names=names)

    def step(carry, _):
        params, state = carry
        loss, grads = jax.value_and_grad(fun)(params, *args)
        updates, state = optimizer.update(grads, state, params)
        new_params = optax.apply_updates(params, updates)
        finite = jnp.isfinite(loss) & jnp.all(jnp.isfinite(ravel_pytree(grads)[0]))
        return (new_params, state), (loss, params, finite)

    state0 = optimizer.init(init_params)
    (params, state), (losses, traj, finite) = jax.lax.scan(
        step, (init_params, state0), None, length=num_steps
    )
    # traced start (under jit / vmap): a non-finite start gives NaN results, never a finite
    # point reached from an invalid one
    ok = finite[0]
    nan_unless_ok = lambda a: jnp.where(ok, a, jnp.asarray(jnp.nan, dtype=a.dtype))
    params = jax.tree_util.tree_map(nan_unless_ok, params)
    traj = jax.tree_util.tree_map(nan_unless_ok, traj)
    losses = nan_unless_ok(losses)
    return OptaxResult(params=params, losses=losses, trajectory=traj, opt_state=state)
