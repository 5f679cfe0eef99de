"""Input checks of jaxstro.splinedens (the out-of-range policy of docs/design.md, issue 10).

1. Concrete input (an eager call, or a value known while tracing): ``ValueError`` at the public
   boundary naming the function, the argument, the offending value and what is accepted. NaN
   and inf are out of range.
2. Traced input (inside ``jit`` / ``vmap`` / ``grad``): no check can run; the public functions
   are written so that an out-of-range traced value gives NaN (never a finite wrong number);
   ``tests/test_fuzz_numerics.py`` checks it for each of them.

Builders (``make_spline``, ``prepare_*``, quadrature weights) take concrete numpy input only.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import jax
import numpy as np

__all__ = ["is_traced", "check_finite", "check_positive", "check_interval", "check_count"]


def is_traced(*values: Any) -> bool:
    """True if any leaf of ``values`` is a JAX tracer (its value is unknown here)."""
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def _show(bad: np.ndarray) -> str:
    bad = np.asarray(bad, dtype=np.float64).ravel()
    shown = ", ".join(f"{v:.6g}" for v in bad[:5])
    return shown + (", ..." if bad.size > 5 else "")


def check_finite(func: str, name: str, x: Any, *, allow_neg_inf: bool = False) -> None:
    """Concrete ``x``: ValueError unless every entry is finite (``-inf`` allowed with
    ``allow_neg_inf``, e.g. a log density of zero). No-op for traced values."""
    if is_traced(x):
        return
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise ValueError(f"{func}: {name} must be real numbers; got dtype {a.dtype}")
    a = a.astype(np.float64)
    ok = np.isfinite(a) | ((a == -np.inf) if allow_neg_inf else False)
    if not np.all(ok):
        kind, accepted = ("non-finite", "finite values")
        if allow_neg_inf:
            kind, accepted = ("NaN or +inf", "finite values or -inf")
        raise ValueError(
            f"{func}: {name} has {int((~ok).sum())} {kind} value(s) ({_show(a[~ok])}); "
            f"accepted: {accepted}"
        )


def check_positive(func: str, name: str, x: Any) -> None:
    """Concrete ``x``: ValueError unless every entry is finite and > 0. No-op when traced."""
    if is_traced(x):
        return
    a = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(a) & (a > 0)
    if not np.all(ok):
        raise ValueError(
            f"{func}: {name} = {_show(a[~ok])} is out of range; accepted: finite values > 0"
        )


def check_interval(name: str, value: Any, what: str = "") -> tuple[float, float]:
    """A concrete ``(lower, upper)`` pair with finite ``lower < upper``, as Python floats."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (lower, upper) of finite numbers{what}; got {value!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(
            f"{name} must be (lower, upper) with finite lower < upper{what}; got ({lo:g}, {hi:g})"
        )
    return lo, hi


def check_count(name: str, value: Any, minimum: int) -> int:
    """``int(value)``, or ValueError naming ``name`` unless it is an integer >= ``minimum``."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, numbers.Real) and not isinstance(value, bool):
        ok = math.isfinite(float(value)) and float(value).is_integer()
    if not ok or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)
