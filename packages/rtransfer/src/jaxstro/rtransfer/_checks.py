"""The out-of-range policy of every jaxstro function that has a valid input range.

1. Concrete input (an eager call, or a value known while tracing): ``ValueError`` at the public
   boundary, naming the argument, the value and the accepted range. NaN and inf are out of
   range.
2. Traced input (inside ``jit`` / ``vmap`` / ``grad``, e.g. a temperature a sampler proposes):
   the result is NaN wherever the input is out of range, never a finite wrong number, so a
   sampler or optimiser rejects the point. The computation itself runs at an in-range stand-in
   value, so nothing non-finite reaches the gradient of the in-range points.
3. Checked mode (``checked=True``, e.g. ``calc.with_checks()``): in addition, a host callback
   raises ``ValueError`` from inside ``jit`` (surfacing as ``jax.errors.JaxRuntimeError`` with
   the same message). It costs a device-host round trip per call; use it while debugging.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = [
    "is_traced",
    "nan_if_invalid",
    "stand_in",
    "Arg",
    "apply_domain",
    "raise_if_out_of_domain",
    "float_dtype",
    "finite",
    "positive",
    "nonnegative",
]


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


# ---------------------------------------------------------------------------------------------
# Domains of the elementwise helpers (voigt, line physics, Rayleigh, ...)
#
# A domain test is written with comparisons only, so the same function serves the eager check
# on numpy values (policy 1) and the guard on traced jax values (policy 2); NaN fails every
# comparison, and ``abs(v) < inf`` rejects inf (complex values included).


def finite(v: Any) -> Any:
    """Finite (not NaN, not +-inf); real or complex."""
    return abs(v) < float("inf")


def positive(v: Any) -> Any:
    """``0 < v < inf``."""
    return (v > 0) & (v < float("inf"))


def nonnegative(v: Any) -> Any:
    """``0 <= v < inf``."""
    return (v >= 0) & (v < float("inf"))


@dataclasses.dataclass(frozen=True)
class Arg:
    """One range-checked argument of a public function.

    ``test`` is an elementwise domain test (``finite``, ``positive``, ...), ``accepted`` the
    accepted range in words (with the unit), ``safe`` an in-range stand-in value used where the
    traced input is out of range, and ``core_ndim`` the number of trailing axes of the input
    that the function reduces over (0 for elementwise inputs; ``None``: the whole input is
    used for every output element, e.g. a table).
    """

    name: str
    value: Any
    test: Callable[[Any], Any]
    accepted: str
    safe: float | complex = 1.0
    core_ndim: int | None = 0


def _format(values: np.ndarray) -> str:
    flat = np.asarray(values).ravel()
    text = np.array2string(flat[:8], formatter={"float_kind": lambda x: f"{x:.6g}"}, separator=", ")
    if flat.size > 8:
        text = text[:-1] + f", ... ({flat.size} values)]"
    return text


def raise_if_out_of_domain(*args: Arg) -> None:
    """Policy 1: ``ValueError`` naming the argument, the offending values and the accepted
    range for every concrete (non-traced) argument that fails its domain test."""
    for a in args:
        if is_traced(a.value):
            continue
        v = np.asarray(a.value)
        if v.dtype.kind not in "biufc":
            raise TypeError(f"{a.name} must be numeric; got dtype {v.dtype}")
        ok = np.asarray(a.test(v))
        if not np.all(ok):
            bad = v[~ok] if ok.shape == v.shape else v
            raise ValueError(f"{a.name} must be {a.accepted}; got {_format(bad)}")


def _fit_ok(ok: jax.Array, poison: jax.Array, core_ndim: int | None, shape: tuple):
    """Reduce an argument's ``ok`` / gradient poison to something that broadcasts against the
    output (right-aligned): its core axes are reduced, and an argument that does not map
    elementwise onto the output poisons all of it."""
    if core_ndim is None:
        core_ndim = ok.ndim
    if core_ndim:
        axes = tuple(range(ok.ndim - core_ndim, ok.ndim))
        ok, poison = jnp.all(ok, axis=axes), jnp.sum(poison, axis=axes)
    try:
        if jnp.broadcast_shapes(ok.shape, shape) == tuple(shape):
            return ok, poison
    except ValueError:
        pass
    return jnp.all(ok), jnp.sum(poison)


def apply_domain(fn: Callable[..., jax.Array], *args: Arg, dtype: Any = None) -> jax.Array:
    """Evaluate ``fn(*values)`` under the out-of-range policy.

    Concrete arguments outside their domain raise ``ValueError`` (policy 1); every argument
    is promoted to ``dtype`` (default: the promoted floating dtype of all of them); traced
    out-of-domain values are replaced by their stand-in for the computation and the result is
    NaN wherever an input is out of its domain, with a NaN gradient with respect to that input
    (policy 2).
    """
    raise_if_out_of_domain(*args)
    if dtype is None:
        dtype = float_dtype(*(a.value for a in args))
    xs = [jnp.asarray(a.value, dtype=dtype) for a in args]
    oks = [a.test(x) for a, x in zip(args, xs, strict=True)]
    out = fn(*(stand_in(ok, x, a.safe) for a, x, ok in zip(args, xs, oks, strict=True)))
    out_dtype = jnp.result_type(out)
    nan = jnp.asarray(jnp.nan, dtype=out_dtype)
    for a, x, ok in zip(args, xs, oks, strict=True):
        poison = jnp.where(ok, jnp.zeros((), out_dtype), nan) * x.astype(out_dtype)
        ok_o, poison_o = _fit_ok(ok, poison, a.core_ndim, out.shape)
        out = jnp.where(ok_o, out, nan) + poison_o
    return out


def float_dtype(*values: Any):
    """The floating dtype the inputs promote to (integers -> JAX's default float)."""
    vals = [jnp.asarray(v) if isinstance(v, (list, tuple)) else v for v in values]
    dt = jnp.result_type(*[v for v in vals if v is not None])
    if not jnp.issubdtype(dt, jnp.floating):
        dt = jnp.result_type(float)
    return dt


def as_float(x: ArrayLike, dtype=None) -> jax.Array:
    """``x`` as a JAX floating array (integers promoted to ``dtype`` or the default float)."""
    x = jnp.asarray(x)
    if dtype is not None:
        return x.astype(dtype)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return x.astype(jnp.result_type(float))
    return x


def check_finite(name: str, x: ArrayLike, unit: str = "") -> None:
    """Raise ``ValueError`` naming ``name`` if a concrete ``x`` holds NaN or inf."""
    if is_traced(x):
        return
    v = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite{unit}; got {_show(v[~np.isfinite(v)])}")


def check_positive(name: str, x: ArrayLike, unit: str = "", *, allow_zero: bool = False) -> None:
    """Raise ``ValueError`` naming ``name`` if a concrete ``x`` is not finite and > 0 (>= 0)."""
    if is_traced(x):
        return
    v = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(v) & ((v >= 0) if allow_zero else (v > 0))
    if not np.all(ok):
        rng = ">= 0" if allow_zero else "> 0"
        bad = np.atleast_1d(v)[~np.atleast_1d(ok)]
        raise ValueError(f"{name} must be finite and {rng}{unit}; got {_show(bad)}")


def _show(v) -> str:
    v = np.asarray(v).ravel()[:6]
    return np.array2string(v, formatter={"float_kind": lambda x: f"{x:.6g}"})


def nan_unless_positive(out: ArrayLike, *xs: ArrayLike) -> jax.Array:
    """Policy 2 for elementwise functions of inputs that must be finite and > 0: ``out`` with
    NaN (and a NaN gradient with respect to ``xs``) wherever a broadcast input is NaN, inf or
    <= 0. Concrete inputs are checked eagerly by ``check_positive``; this covers traced ones."""
    out = jnp.asarray(out)
    dtype = jnp.result_type(out)
    ok = jnp.ones(out.shape, dtype=bool)
    value = jnp.zeros(out.shape, dtype=dtype)
    for x in xs:
        x = jnp.asarray(x)
        ok = ok & (x > 0) & (x < jnp.inf)
        value = value + x.astype(dtype)
    nan = jnp.asarray(jnp.nan, dtype)
    return jnp.where(ok, out, nan) + jnp.where(ok, jnp.zeros((), dtype), nan) * value
