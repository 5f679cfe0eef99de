"""Checks shared by every infer-utils entry point (issue 10).

* ``float_params``: integer / bool leaves of a parameter pytree are promoted to a floating
  dtype at the boundary (JAX's ``grad`` refuses integer inputs with an obscure message).
* ``check_finite_start``: the starting point of an optimiser, sampler or approximation must
  have finite parameters, a finite objective and a finite gradient; otherwise ``ValueError``
  naming the offending entries (L-BFGS, optax, Laplace, NUTS and Pathfinder share it).
* ``check_count``: positive integer settings (steps, draws, chains).
* ``check_bounds``: ``lower < upper`` elementwise, no NaN.
* ``is_traced``: whether any leaf is a JAX tracer (its value is unknown at the boundary).
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

__all__ = [
    "is_traced",
    "float_params",
    "check_finite_params",
    "check_finite_start",
    "check_count",
    "check_bounds",
]


def is_traced(*values: Any) -> bool:
    """True if any leaf of ``values`` is a JAX tracer (its value is unknown here)."""
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def _is_float(leaf) -> bool:
    return jnp.issubdtype(jnp.result_type(leaf), jnp.inexact)


def float_params(params: Any) -> Any:
    """``params`` with every integer / bool leaf cast to a floating dtype.

    The dtype is the common dtype of the pytree's floating leaves, or JAX's default float
    (float32, float64 with x64) if there are none. Floating leaves are returned unchanged.
    """
    leaves = jax.tree_util.tree_leaves(params)
    if all(_is_float(v) for v in leaves):
        return params
    floats = [jnp.result_type(v) for v in leaves if _is_float(v)]
    dtype = jnp.result_type(*floats) if floats else jnp.result_type(float)
    return jax.tree_util.tree_map(
        lambda v: v if _is_float(v) else jnp.asarray(v, dtype=dtype), params
    )


def _names_of(bad: np.ndarray, names) -> str:
    idx = np.flatnonzero(bad)
    if names is not None and len(names) == bad.size:
        shown = ", ".join(names[i] for i in idx[:5])
    else:
        shown = ", ".join(f"[{i}]" for i in idx[:5])
    return shown + (", ..." if idx.size > 5 else "")


def check_finite_params(flat: Any, *, names=None, argname: str = "init_params") -> None:
    """ValueError if a (concrete) flat parameter vector holds NaN or inf; no-op when traced."""
    if is_traced(flat):
        return
    x = np.asarray(flat)
    bad = ~np.isfinite(x)
    if np.any(bad):
        raise ValueError(
            f"{argname} contains {int(bad.sum())} non-finite value(s) (NaN/inf) at "
            f"{_names_of(bad, names)}; every parameter must be finite"
        )


def check_finite_start(
    value: Any,
    grad: Any,
    *,
    what: str = "objective",
    argname: str = "init_params",
    names=None,
) -> None:
    """ValueError if the objective or its gradient at the starting point is not finite.

    Parameters
    ----------
    value : () array
        Objective (or log density) at the start.
    grad : pytree or flat array
        Its gradient there.
    what : str
        What the objective is called in the message ("objective", "log density", ...).
    argname : str
        Name of the argument holding the starting point.
    names : sequence of str or None
        Labels of the flat gradient entries (``ParamLayout.names``).
    """
    if is_traced(value, grad):
        return
    v = np.asarray(value)
    if v.size != 1:
        raise ValueError(f"the {what} must return a scalar; got shape {v.shape}")
    if not np.isfinite(v):
        raise ValueError(
            f"{what} is not finite at the initial parameters {argname} (got {float(v)}); "
            f"pass {argname} inside the support of the model"
        )
    g = np.asarray(ravel_pytree(grad)[0]) if not hasattr(grad, "shape") else np.asarray(grad)
    bad = ~np.isfinite(g)
    if np.any(bad):
        raise ValueError(
            f"gradient of the {what} is not finite at the initial parameters {argname} "
            f"in {int(bad.sum())} of {bad.size} components ({_names_of(bad, names)})"
        )


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    """``int(value)``, or ValueError naming ``name`` if it is not an integer >= ``minimum``."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, numbers.Real) and not isinstance(value, bool):
        ok = float(value).is_integer()
    if not ok or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_bounds(lower: Any, upper: Any, *, argname: str = "bounds") -> None:
    """ValueError unless ``lower < upper`` elementwise with no NaN (concrete bounds only).

    +-inf stand for "no bound" on a side; ``lower = +inf`` or ``upper = -inf`` is rejected.
    """
    if is_traced(lower, upper):
        return
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    lo, hi = np.broadcast_arrays(lo, hi)
    bad = np.isnan(lo) | np.isnan(hi) | ~(lo < hi) | (lo == np.inf) | (hi == -np.inf)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        raise ValueError(
            f"{argname} must have lower < upper elementwise (+-inf for no bound, no NaN); "
            f"got lower={lo.ravel()[i]:g}, upper={hi.ravel()[i]:g} at flat index {i}"
        )
