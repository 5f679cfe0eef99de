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

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = ["check_finite_spectrum", "is_traced", "nan_if_invalid", "stand_in"]


def is_traced(*values: Any) -> bool:
    """True if any leaf of ``values`` is a JAX tracer (its value is unknown here)."""
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def check_finite_spectrum(spectrum: ArrayLike, name: str = "spectrum") -> None:
    """Policy 1 for a spectrum: a concrete one must be finite (a NaN would spread over the
    whole output through the FFT convolution). Traced spectra are not inspected."""
    if not is_traced(spectrum):
        bad = ~np.isfinite(np.asarray(spectrum))
        if np.any(bad):
            raise ValueError(
                f"{name} holds {int(bad.sum())} non-finite value(s) (NaN/inf, first at index "
                f"{np.argwhere(bad)[0].tolist()}); accepted: finite values (fill or interpolate "
                "masked pixels first)"
            )


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
