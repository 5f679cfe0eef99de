"""Quadrature weights and log-space (logsumexp) integrals on fixed grids.

Simpson's rule is written as a weight vector ``w`` with ``integral = sum_i w_i f_i``; for an
odd number of points it is the composite (possibly non-uniform) Simpson rule, for an even
number the last interval gets Cartwright's correction - the same linear functional as
``scipy.integrate.simpson`` (SciPy >= 1.11). In log space the integral of ``exp(log_f)`` is
``logsumexp(log_f, b=w)``, exact and stable for densities spanning hundreds of e-folds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jax.typing import ArrayLike

from jaxstro.splinedens._checks import check_finite

__all__ = [
    "simpson_weights",
    "trapezoid_weights",
    "log_integrate",
    "log_simpson",
    "log_trapezoid",
    "log_integrate_2d",
]


def _check_grid(x, name="x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"{name} must be a 1-D grid of at least 2 points; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.isfinite(x))
        raise ValueError(
            f"{name} must be a finite grid; got {x[bad[0]]} at index {int(bad[0])} "
            f"({bad.size} non-finite value(s))"
        )
    if not np.all(np.diff(x) > 0):
        i = int(np.flatnonzero(np.diff(x) <= 0)[0])
        raise ValueError(
            f"{name} must be strictly increasing; got {name}[{i}] = {x[i]:g} >= "
            f"{name}[{i + 1}] = {x[i + 1]:g}"
        )
    return x


def trapezoid_weights(x: ArrayLike) -> np.ndarray:
    """Weights of the trapezoid rule on the grid ``x``.

    Parameters
    ----------
    x : (n,) array
        Strictly increasing grid, n >= 2 [units of x].

    Returns
    -------
    (n,) float64 numpy array
        ``w`` with ``integral f dx ~ sum_i w_i f(x_i)`` [units of x].
    """
    x = _check_grid(x)
    h = np.diff(x)
    w = np.zeros_like(x)
    w[:-1] += h / 2
    w[1:] += h / 2
    return w


def simpson_weights(x: ArrayLike) -> np.ndarray:
    """Weights of composite Simpson's rule on ``x`` (uniform or not; odd or even count).

    Parameters
    ----------
    x : (n,) array
        Strictly increasing grid, n >= 2 (n = 2 gives the trapezoid rule) [units of x].

    Returns
    -------
    (n,) float64 numpy array
        ``w`` with ``sum_i w_i f(x_i)`` equal to ``scipy.integrate.simpson(f, x=x)``
        [units of x].
    """
    x = _check_grid(x)
    n = x.size
    if n == 2:
        return trapezoid_weights(x)
    w = np.zeros_like(x)
    h = np.diff(x)
    last = n - 1 if n % 2 == 1 else n - 2  # Simpson pairs cover points [0, last]
    for k in range(0, last, 2):
        h0, h1 = h[k], h[k + 1]
        s = (h0 + h1) / 6.0
        w[k] += s * (2.0 - h1 / h0)
        w[k + 1] += s * (h0 + h1) ** 2 / (h0 * h1)
        w[k + 2] += s * (2.0 - h0 / h1)
    if n % 2 == 0:  # Cartwright correction for the last interval
        h0, h1 = h[-2], h[-1]
        w[-1] += (2 * h1**2 + 3 * h0 * h1) / (6 * (h0 + h1))
        w[-2] += (h1**2 + 3 * h0 * h1) / (6 * h0)
        w[-3] -= h1**3 / (6 * h0 * (h0 + h1))
    return w


def float_array(a: ArrayLike) -> jax.Array:
    """``a`` as a JAX array of a floating dtype: integer / bool input is promoted to JAX's
    default float (integer knot values were cast to int, and integer ``log_f`` gave -inf)."""
    a = jnp.asarray(a)
    return a if jnp.issubdtype(a.dtype, jnp.inexact) else a.astype(jnp.result_type(float))


def log_integrate(log_f: ArrayLike, weights: ArrayLike, *, axis: int = -1) -> jax.Array:
    """``log(sum_i weights_i exp(log_f_i))`` along ``axis`` (weights may be negative).

    Parameters
    ----------
    log_f : (..., n, ...) array
        Log of the integrand on the grid, the grid along ``axis`` [log of f's units].
    weights : (n,) array
        Quadrature weights (:func:`simpson_weights`, :func:`trapezoid_weights`) [units of x].
    axis : int
        Axis of ``log_f`` that runs along the grid.

    Returns
    -------
    array of ``log_f``'s shape without ``axis``, dtype of ``log_f``
        Log of the integral [log of (f's units times x's units)].

    ``log_f = -inf`` (f = 0) is accepted; concrete NaN or ``+inf`` in ``log_f`` (or non-finite
    weights): ValueError; traced: the result is NaN (``+inf`` for a traced ``+inf``).
    """
    check_finite("log_integrate", "log_f", log_f, allow_neg_inf=True)
    check_finite("log_integrate", "weights", weights)
    log_f = float_array(log_f)
    w = jnp.asarray(weights, dtype=log_f.dtype)
    log_f = jnp.moveaxis(log_f, axis, -1)
    if log_f.shape[-1] != w.shape[0]:
        raise ValueError(
            f"log_f has {log_f.shape[-1]} points on the integration axis, the grid has {w.shape[0]}"
        )
    return logsumexp(log_f, axis=-1, b=w)


def log_simpson(log_f: ArrayLike, x: ArrayLike, *, axis: int = -1) -> jax.Array:
    """log of the Simpson integral of ``exp(log_f)`` over the grid ``x`` along ``axis``.

    Parameters
    ----------
    log_f : (..., n, ...) array
        Log of the integrand on the grid [log of f's units].
    x : (n,) array
        Strictly increasing grid [units of x]; fixed (numpy), not traced.
    axis : int
        Axis of ``log_f`` that runs along ``x``.

    Returns
    -------
    array of ``log_f``'s shape without ``axis``
        Log of the integral [log of (f's units times x's units)].
    """
    return log_integrate(log_f, simpson_weights(x), axis=axis)


def log_trapezoid(log_f: ArrayLike, x: ArrayLike, *, axis: int = -1) -> jax.Array:
    """log of the trapezoid integral of ``exp(log_f)`` over the grid ``x`` along ``axis``.

    Parameters
    ----------
    log_f, x, axis : as in :func:`log_simpson`.

    Returns
    -------
    array of ``log_f``'s shape without ``axis``: log of the integral, as in :func:`log_simpson`.
    """
    return log_integrate(log_f, trapezoid_weights(x), axis=axis)


def log_integrate_2d(
    log_f: ArrayLike, x: ArrayLike, y: ArrayLike, *, rule: str = "simpson"
) -> jax.Array:
    """log of the 2-D integral of ``exp(log_f)`` over the (x, y) mesh.

    The 2-D rule is the tensor product of the 1-D rules.

    Parameters
    ----------
    log_f : (..., n_x, n_y) array
        Log of the integrand on the mesh [log of f's units].
    x : (n_x,) array
        First grid, strictly increasing [units of x].
    y : (n_y,) array
        Second grid, strictly increasing [units of y].
    rule : str
        "simpson" or "trapezoid".

    Returns
    -------
    (...) array
        Log of the integral [log of (f's units times x's units times y's units)].
    """
    rules = {"simpson": simpson_weights, "trapezoid": trapezoid_weights}
    if rule not in rules:
        raise ValueError(f"rule must be one of {sorted(rules)}; got {rule!r}")
    wx, wy = rules[rule](x), rules[rule](y)
    check_finite("log_integrate_2d", "log_f", log_f, allow_neg_inf=True)
    log_f = float_array(log_f)  # integer log_f cast the weights to int (wrong, no error)
    if log_f.shape[-2:] != (wx.size, wy.size):
        raise ValueError(f"log_f must end in shape ({wx.size}, {wy.size}); got {log_f.shape}")
    w = jnp.asarray(np.outer(wx, wy), dtype=log_f.dtype)
    return logsumexp(log_f, axis=(-2, -1), b=w)
