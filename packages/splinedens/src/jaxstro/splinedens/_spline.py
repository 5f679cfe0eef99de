"""Cubic interpolating splines (not-a-knot) whose values are linear maps of the knot values.

The spline through ``(x_k, y_k)`` with not-a-knot end conditions is the same function as
``scipy.interpolate.InterpolatedUnivariateSpline(x, y, k=3)`` (FITPACK drops x_1 and x_{n-2}
from the knot vector, which is the not-a-knot condition). Its second derivatives at the knots
are ``M = d2_map @ y`` with ``d2_map`` fixed by the knot positions alone, so every quantity
(value, derivatives, integrals) at fixed points is a fixed matrix times ``y``. The matrices are
built once in float64 numpy; evaluation is a jit/grad/vmap-safe matrix product.

Beyond the end knots the spline continues its end polynomials (scipy's ``ext=0``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.splinedens._checks import check_finite
from jaxstro.splinedens._integrate import float_array

__all__ = [
    "CubicSpline",
    "make_spline",
    "spline_eval",
    "spline_integral",
    "spline_design_matrix",
    "spline_integral_matrix",
]


class CubicSpline(NamedTuple):
    """Prepared table of a not-a-knot cubic spline on fixed knots (a JAX pytree)."""

    knots: np.ndarray  # (n,) strictly increasing
    d2_map: np.ndarray  # (n, n): second derivatives at the knots = d2_map @ y


def _check_knots(knots) -> np.ndarray:
    x = np.asarray(knots, dtype=np.float64)
    if x.ndim != 1 or x.size < 4:
        raise ValueError(f"knots must be a 1-D array of at least 4 values; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.isfinite(x))
        raise ValueError(
            f"knots must be finite; got {x[bad[0]]} at index {int(bad[0])} "
            f"({bad.size} non-finite value(s))"
        )
    if not np.all(np.diff(x) > 0):
        bad = int(np.flatnonzero(np.diff(x) <= 0)[0])
        raise ValueError(
            f"knots must be strictly increasing; knots[{bad}]={x[bad]:g} >= "
            f"knots[{bad + 1}]={x[bad + 1]:g}"
        )
    return x


def make_spline(knots: ArrayLike) -> CubicSpline:
    """Prepare the not-a-knot cubic spline on ``knots``.

    Parameters
    ----------
    knots : (n_knots,) array
        Knot positions [units of x], at least 4, finite and strictly increasing.

    Returns
    -------
    CubicSpline
        Knots and the (n_knots, n_knots) float64 map from knot values to second derivatives.
    """
    x = _check_knots(knots)
    n = x.size
    h = np.diff(x)
    A = np.zeros((n, n))
    B = np.zeros((n, n))
    # continuity of the first derivative at interior knots
    for i in range(1, n - 1):
        A[i, i - 1] = h[i - 1]
        A[i, i] = 2.0 * (h[i - 1] + h[i])
        A[i, i + 1] = h[i]
        B[i, i - 1] = 6.0 / h[i - 1]
        B[i, i] = -6.0 / h[i - 1] - 6.0 / h[i]
        B[i, i + 1] = 6.0 / h[i]
    # not-a-knot: third derivative continuous at x_1 and x_{n-2}
    A[0, 0], A[0, 1], A[0, 2] = h[1], -(h[0] + h[1]), h[0]
    A[-1, -3], A[-1, -2], A[-1, -1] = h[-1], -(h[-2] + h[-1]), h[-2]
    d2_map = np.linalg.solve(A, B)
    return CubicSpline(knots=x, d2_map=d2_map)


def _piece(knots, x, xp):
    """Interval index (clipped, so the end pieces extrapolate) and local coordinates."""
    n = knots.shape[0]
    i = xp.clip(xp.searchsorted(knots, x, side="right") - 1, 0, n - 2)
    h = knots[i + 1] - knots[i]
    a = (knots[i + 1] - x) / h
    b = (x - knots[i]) / h
    return i, h, a, b


def _coeffs(a, b, h, nu, xp):
    """Weights of (y_i, y_{i+1}, M_i, M_{i+1}) for derivative order ``nu`` (-1: antiderivative)."""
    if nu == 0:
        return a, b, (a**3 - a) * h**2 / 6.0, (b**3 - b) * h**2 / 6.0
    if nu == 1:
        one = xp.ones_like(a)
        return -one / h, one / h, -(3 * a**2 - 1) * h / 6.0, (3 * b**2 - 1) * h / 6.0
    if nu == 2:
        z = xp.zeros_like(a)
        return z, z, a, b
    if nu == 3:
        z = xp.zeros_like(a)
        return z, z, -1.0 / h + z, 1.0 / h + z
    if nu == -1:  # integral from the left knot of the piece to x
        return (
            h * (1 - a**2) / 2.0,
            h * b**2 / 2.0,
            -(h**3) / 6.0 * (a**4 / 4 - a**2 / 2 + 0.25),
            h**3 / 6.0 * (b**4 / 4 - b**2 / 2),
        )
    raise ValueError(f"nu must be 0, 1, 2 or 3; got {nu}")


def _cumulative_at_knots(knots, d2_map, xp=np):
    """(n, n) matrix: integral from knots[0] to knots[k] as a linear map of y."""
    n = knots.shape[0]
    h = xp.diff(knots)
    eye = xp.eye(n, dtype=h.dtype)
    full = (h / 2)[:, None] * (eye[:-1] + eye[1:]) - (h**3 / 24)[:, None] * (
        d2_map[:-1] + d2_map[1:]
    )
    return xp.concatenate([xp.zeros((1, n), dtype=h.dtype), xp.cumsum(full, axis=0)])


def spline_design_matrix(spline: CubicSpline, x: ArrayLike, *, nu: int = 0) -> np.ndarray:
    """Fixed-points fast path: ``W`` with ``spline_eval(spline, y, x, nu=nu) == W @ y``.

    Parameters
    ----------
    spline : CubicSpline
        From :func:`make_spline`.
    x : (n_x,) array
        Evaluation points [units of the knots].
    nu : int
        Derivative order, 0 to 3.

    Returns
    -------
    (n_x, n_knots) float64 numpy array
        The design matrix; ``W @ y`` has the units of ``y`` per (units of x)**nu.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D; got shape {x.shape}")
    knots, Q = spline.knots, np.asarray(spline.d2_map)
    i, h, a, b = _piece(knots, x, np)
    cy0, cy1, cm0, cm1 = _coeffs(a, b, h, nu, np)
    rows = np.arange(x.size)
    W = cm0[:, None] * Q[i] + cm1[:, None] * Q[i + 1]
    W[rows, i] += cy0
    W[rows, i + 1] += cy1
    return W


def spline_integral_matrix(spline: CubicSpline, x: ArrayLike) -> np.ndarray:
    """``G`` with ``G @ y`` = integral of the spline from ``knots[0]`` to each ``x``.

    Parameters
    ----------
    spline : CubicSpline
        From :func:`make_spline`.
    x : (n_x,) array
        Upper limits of integration [units of the knots].

    Returns
    -------
    (n_x, n_knots) float64 numpy array
        ``G @ y`` has the units of ``y`` times the units of x.
    """
    x = np.asarray(x, dtype=np.float64)
    knots, Q = spline.knots, np.asarray(spline.d2_map)
    cum = _cumulative_at_knots(knots, Q)
    i, h, a, b = _piece(knots, x, np)
    cy0, cy1, cm0, cm1 = _coeffs(a, b, h, -1, np)
    rows = np.arange(x.size)
    G = cum[i] + cm0[:, None] * Q[i] + cm1[:, None] * Q[i + 1]
    G[rows, i] += cy0
    G[rows, i + 1] += cy1
    return G


def spline_eval(spline: CubicSpline, y: ArrayLike, x: ArrayLike, *, nu: int = 0) -> jax.Array:
    """Value (``nu=0``) or derivative ``nu`` of the spline through ``(knots, y)`` at ``x``.

    jit/grad/vmap-safe in ``y`` and ``x``; beyond the end knots the end polynomials continue
    (as scipy's ``ext=0``; the density builders refuse data there). Concrete NaN/inf ``y`` or
    ``x``: ValueError; traced: NaN where ``x`` is NaN/inf, everywhere if ``y`` holds a NaN.

    Parameters
    ----------
    spline : CubicSpline
        From :func:`make_spline`.
    y : (..., n_knots) array
        Values at the knots [any unit]; the leading axes batch several splines.
    x : (...) array
        Evaluation points [units of the knots].
    nu : int
        Derivative order, 0 to 3.

    Returns
    -------
    array of shape ``y.shape[:-1] + x.shape``, dtype of ``y``
        The spline (or its derivative) [units of y per (units of x)**nu].
    """
    check_finite("spline_eval", "y", y)
    check_finite("spline_eval", "x", x)
    y = float_array(y)
    knots = jnp.asarray(spline.knots, dtype=y.dtype)
    if y.ndim == 0 or y.shape[-1] != knots.shape[0]:
        raise ValueError(
            f"y must have {knots.shape[0]} values on its last axis; got shape {y.shape}"
        )
    x = jnp.asarray(x, dtype=y.dtype)
    M = y @ jnp.asarray(spline.d2_map, dtype=y.dtype).T
    i, h, a, b = _piece(knots, x, jnp)
    cy0, cy1, cm0, cm1 = _coeffs(a, b, h, nu, jnp)
    take = lambda v, j: jnp.take(v, j, axis=-1)
    return cy0 * take(y, i) + cy1 * take(y, i + 1) + cm0 * take(M, i) + cm1 * take(M, i + 1)


def spline_integral(spline: CubicSpline, y: ArrayLike, a: ArrayLike, b: ArrayLike) -> jax.Array:
    """Integral of the spline through ``(knots, y)`` from ``a`` to ``b``.

    Parameters
    ----------
    spline : CubicSpline
        From :func:`make_spline`.
    y : (..., n_knots) array
        Values at the knots [any unit].
    a, b : (...) arrays or scalars
        Limits of integration [units of the knots], broadcastable with each other. Concrete
        NaN/inf ``y``, ``a`` or ``b``: ValueError; traced: NaN.

    Returns
    -------
    array of shape ``y.shape[:-1] + broadcast(a, b).shape``, dtype of ``y``
        The integral [units of y times units of x].
    """
    for name, v in (("y", y), ("a", a), ("b", b)):
        check_finite("spline_integral", name, v)
    y = float_array(y)
    knots = jnp.asarray(spline.knots, dtype=y.dtype)
    if y.ndim == 0 or y.shape[-1] != knots.shape[0]:
        raise ValueError(
            f"y must have {knots.shape[0]} values on its last axis; got shape {y.shape}"
        )
    d2_map = jnp.asarray(spline.d2_map, dtype=y.dtype)
    cum = _cumulative_at_knots(knots, d2_map, jnp)  # jnp: the spline may be a jit argument
    M = y @ d2_map.T
    C = y @ cum.T

    def prim(x):
        x = jnp.asarray(x, dtype=y.dtype)
        i, h, aa, bb = _piece(knots, x, jnp)
        cy0, cy1, cm0, cm1 = _coeffs(aa, bb, h, -1, jnp)
        take = lambda v, j: jnp.take(v, j, axis=-1)
        return (
            take(C, i)
            + cy0 * take(y, i)
            + cy1 * take(y, i + 1)
            + cm0 * take(M, i)
            + cm1 * take(M, i + 1)
        )

    return prim(b) - prim(a)
