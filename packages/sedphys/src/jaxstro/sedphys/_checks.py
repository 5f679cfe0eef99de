"""The out-of-range policy of every jaxstro function that has a valid input range.

(The same policy and the same helpers as ``jaxstro.opacity``'s: packages share no private
code, so each keeps its copy; each package's tests exercise it.)

1. Concrete input (an eager call, or a value known while tracing): ``ValueError`` at the public
   boundary, naming the argument, the value and the accepted range. NaN and inf are out of
   range.
2. Traced input (inside ``jit`` / ``vmap`` / ``grad``, e.g. a temperature a sampler proposes):
   the result is NaN wherever the input is out of range, never a finite wrong number, so a
   sampler or optimiser rejects the point. The computation itself runs at an in-range stand-in
   value, so nothing non-finite reaches the gradient of the in-range points.
3. Checked mode (``checked=True``, e.g. ``model.with_checks()``): in addition, a host callback
   raises ``ValueError`` from inside ``jit`` (surfacing as ``jax.errors.JaxRuntimeError`` with
   the same message). It costs a device-host round trip per call; use it while debugging.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = ["is_traced", "nan_if_invalid", "stand_in", "Domain", "Args", "as_float"]


def is_traced(*values: Any) -> bool:
    """True if any leaf of ``values`` is a JAX tracer (its value is unknown here)."""
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def stand_in(ok: ArrayLike, x: ArrayLike, safe: ArrayLike) -> jax.Array:
    """``x`` where ``ok``, else ``safe`` (an in-range value): keeps NaN/inf out of the
    computation and its gradient ("double where"); in the dtype of ``x``."""
    return jnp.where(ok, x, jnp.asarray(safe, dtype=jnp.result_type(x)))


def _raise_if_invalid(message: str, ok: ArrayLike, value: ArrayLike) -> None:
    ok = np.asarray(ok)
    if not np.all(ok):
        bad = np.asarray(value)
        if bad.shape == ok.shape:
            bad = bad[~ok]
        text = np.array2string(np.asarray(bad), formatter={"float_kind": lambda x: f"{x:.6g}"})
        raise ValueError(message.format(value=text))


def nan_if_invalid(
    ok: ArrayLike,
    out: ArrayLike,
    *,
    value: ArrayLike | None = None,
    checked: bool = False,
    message: str = "",
) -> jax.Array:
    """Policy 2 and 3: ``out`` with NaN where ``ok`` is False (``ok`` broadcasts against
    ``out`` from the left, e.g. (n_layers,) against (n_layers, n_grid)).

    ``value`` (the checked inputs; shape ``ok.shape`` or ``ok.shape + (k,)``) also carries NaN
    into the gradient with respect to those inputs where they are out of range (an exact 0
    where they are in range), so a gradient-only optimiser stops too. In checked mode a
    callback raises ``ValueError(message.format(value=...))`` when any ``ok`` is False.
    """
    ok = jnp.asarray(ok)
    if checked:
        jax.debug.callback(functools.partial(_raise_if_invalid, message), ok, value)
    dtype = jnp.result_type(out)
    poison = jnp.where(ok, jnp.zeros((), dtype), jnp.asarray(jnp.nan, dtype))
    if value is not None:
        v = jnp.asarray(value)
        if v.ndim > ok.ndim:
            v = jnp.sum(v.reshape(ok.shape + (-1,)), axis=-1)
        poison = poison * v.astype(dtype)
    expand = (1,) * (jnp.ndim(out) - ok.ndim)
    ok_b, poison_b = jnp.reshape(ok, ok.shape + expand), jnp.reshape(poison, ok.shape + expand)
    return jnp.where(ok_b, out, jnp.asarray(jnp.nan, dtype)) + poison_b


# ----- argument domains of the public helpers ---------------------------------------------------


class Domain:
    """A documented interval of accepted values, e.g. ``Domain(0, inf, lo_open=True)`` is
    (0, inf). NaN is never inside; an infinite end is inside only if the interval is closed
    there (``Domain(-inf, inf)`` is the finite numbers)."""

    __slots__ = ("lo", "hi", "lo_open", "hi_open")

    def __init__(self, lo=-np.inf, hi=np.inf, *, lo_open=False, hi_open=False):
        self.lo, self.hi = float(lo), float(hi)
        self.lo_open = lo_open or not np.isfinite(self.lo)
        self.hi_open = hi_open or not np.isfinite(self.hi)

    def __repr__(self) -> str:
        lo = "-inf" if self.lo == -np.inf else f"{self.lo:g}"
        hi = "inf" if self.hi == np.inf else f"{self.hi:g}"
        return f"{'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}"

    def contains(self, x, xp=jnp):
        """Elementwise membership (False for NaN), with ``xp`` numpy or jax.numpy."""
        above = (x > self.lo) if self.lo_open else (x >= self.lo)
        below = (x < self.hi) if self.hi_open else (x <= self.hi)
        return above & below  # NaN compares False; an infinite end is open

    def contains_interval(self, lo: float, hi: float) -> bool:
        """Whether the closed interval [lo, hi] lies inside (the support of a prior)."""
        # an infinite end of a support (Normal, StudentT) is not a value: it is accepted where
        # the domain is unbounded on that side
        lo_ok = (lo == -np.inf and self.lo == -np.inf) or bool(self.contains(np.float64(lo), np))
        hi_ok = (hi == np.inf and self.hi == np.inf) or bool(self.contains(np.float64(hi), np))
        return lo_ok and hi_ok

    def safe(self) -> float:
        """A finite value inside the interval (the stand-in for out-of-range values)."""
        lo, hi = self.lo, self.hi
        if np.isfinite(lo) and np.isfinite(hi):
            return 0.5 * (lo + hi)
        if np.isfinite(lo):
            return lo + 1.0
        if np.isfinite(hi):
            return hi - 1.0
        return 0.0


POSITIVE = Domain(0.0, np.inf, lo_open=True)
NON_NEGATIVE = Domain(0.0, np.inf)
FINITE = Domain()


def as_float(x: ArrayLike) -> jax.Array | float:
    """Promote at the boundary: Python numbers become Python floats (weakly typed, so the other
    inputs decide the precision), integer and boolean arrays JAX's default float dtype, floating
    arrays keep theirs."""
    if isinstance(x, bool | int | float | np.integer | np.floating) and not isinstance(
        x, np.ndarray
    ):
        if isinstance(x, np.floating):
            return jnp.asarray(x)
        return float(x)
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise ValueError(f"complex input is not accepted; got dtype {x.dtype}")
    return x.astype(jnp.result_type(float))


class Args:
    """Collects the checked arguments of one public call: ``arg`` promotes, checks (raising
    when concrete) and returns the in-range stand-in; ``guard`` applies NaN to the output where
    a traced argument was out of range (nothing to do when every argument was concrete)."""

    def __init__(self, func: str):
        self.func = func
        self.oks: list = []
        self.values: list = []

    def arg(self, name: str, x: ArrayLike, domain: Domain, what: str = "") -> jax.Array | float:
        x = as_float(x)
        if not is_traced(x):
            xn = np.asarray(x)
            ok = domain.contains(xn, np)
            if not np.all(ok):
                bad = xn[~ok] if np.ndim(ok) and xn.shape == ok.shape else xn
                bad = np.asarray(bad).ravel()
                text = (
                    f"{bad[0]:.6g}"
                    if bad.size == 1
                    else np.array2string(
                        bad[:5], formatter={"float_kind": lambda v: f"{v:.6g}"}, separator=", "
                    )
                )
                raise ValueError(
                    f"{self.func}: {name} = {text} lies outside {domain!r}"
                    + (f" ({what})" if what else "")
                )
            return x
        ok = domain.contains(x)
        self.oks.append(ok)
        self.values.append(x)
        return stand_in(ok, x, domain.safe())

    def guard(self, out: jax.Array) -> jax.Array:
        if not self.oks:
            return out
        shape = jnp.shape(out)
        ok = jnp.asarray(True)
        value = jnp.zeros((), jnp.result_type(out))
        for o, v in zip(self.oks, self.values, strict=True):
            # an argument with more dimensions than the output (a table) is reduced to a
            # scalar condition; otherwise it broadcasts against the output from the right
            if jnp.ndim(o) > len(shape) or jnp.broadcast_shapes(jnp.shape(o), shape) != shape:
                o, v = jnp.all(o), jnp.sum(jnp.where(o, 0.0, v))
            ok = ok & o
            value = value + jnp.asarray(v).astype(value.dtype)
        ok = jnp.broadcast_to(ok, shape)
        value = jnp.broadcast_to(value, shape)
        return nan_if_invalid(ok, out, value=value)
