"""Differentiation mode (reverse or forward) and compiled objectives cached per objective."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["MODES", "check_mode", "forward_gradient", "value_and_grad", "cached_jit"]

MODES = ("reverse", "forward")


def check_mode(mode: str) -> str:
    """``mode`` if it is "reverse" or "forward"; ValueError naming it otherwise."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    return mode


def value_and_grad(f: Callable[[jax.Array], jax.Array], mode: str = "reverse"):
    """``x -> (f(x), grad f(x))`` for a scalar ``f`` of a flat vector.

    "forward" builds the gradient from jacfwd: one forward pass per parameter, with memory
    that of one evaluation of ``f`` (no tape), against reverse mode's one backward pass that
    keeps every intermediate alive. Choose it when the model's intermediates do not fit (the
    layer-by-layer emission scan) and the parameter count is small.
    """
    if mode == "reverse":
        return jax.value_and_grad(f)

    def vg(x):
        g, v = jax.jacfwd(lambda y: (f(y), f(y)), has_aux=True)(x)
        return v, g

    return vg


def forward_gradient(f: Callable[[jax.Array], jax.Array]) -> Callable[[jax.Array], jax.Array]:
    """``f`` whose reverse-mode gradient (``jax.grad``, as blackjax and optax call it) is
    computed in forward mode (jacfwd).

    The value and gradient come from one jacfwd pass; the backward pass only scales the stored
    gradient by the cotangent. Use it to run a reverse-mode driver (blackjax NUTS) in forward
    mode without changing the driver. Higher derivatives through it are not available.
    """

    @jax.custom_vjp
    def g(x):
        return f(x)

    def g_fwd(x):
        grad, v = jax.jacfwd(lambda y: (f(y), f(y)), has_aux=True)(x)
        return v, grad

    def g_bwd(grad, ct):
        return (jnp.asarray(ct, grad.dtype) * grad,)

    g.defvjp(g_fwd, g_bwd)
    return g


# compiled value-and-gradient per objective: {fun: {key: jitted}} (weak in fun, so a dropped
# objective frees its executables)
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_jit(fun: Callable, key: Any, build: Callable[[], Callable]) -> Callable:
    """The jitted function ``build()`` for ``(fun, key)``, built once and reused.

    ``key`` holds what the compiled function depends on besides its array arguments (the
    parameter layout's tree structure and shapes, the dtype, the mode). An objective that is
    not weak-referenceable or hashable is compiled per call, as before.
    """
    try:
        per_fun = _CACHE.setdefault(fun, {})
    except TypeError:
        return build()
    if key not in per_fun:
        per_fun[key] = build()
    return per_fun[key]
