"""Temperature-pressure profiles: power law, Guillot (2010), free (knots), isothermal; clipping."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.rtransfer._checks import (
    as_float,
    check_positive,
    float_dtype,
    is_traced,
    nan_unless_positive,
)

__all__ = [
    "powerlaw_temperature",
    "guillot_temperature",
    "isothermal_temperature",
    "free_temperature",
    "clip_temperature",
]

_INV_SQRT3 = 1.0 / math.sqrt(3.0)


def powerlaw_temperature(p_bar: ArrayLike, t0_k: ArrayLike, alpha: ArrayLike) -> jax.Array:
    """Power-law profile T = T0 (P / 1 bar)^alpha [K].

    Parameters
    ----------
    p_bar : ArrayLike
        (...) pressures [bar], > 0.
    t0_k : ArrayLike
        Temperature at 1 bar [K], > 0.
    alpha : ArrayLike
        Power-law index.

    Returns
    -------
    jax.Array
        (...) temperatures [K].
    """
    check_positive("p_bar", p_bar, " [bar]")
    check_positive("t0_k", t0_k, " [K]")
    dt = float_dtype(p_bar, t0_k, alpha)
    p, t0, alpha = as_float(p_bar, dt), as_float(t0_k, dt), as_float(alpha, dt)
    return nan_unless_positive(t0 * jnp.exp(alpha * jnp.log(p)), p, t0)


def guillot_temperature(
    p_bar: ArrayLike,
    gravity_cgs: ArrayLike,
    kappa_ir_cm2_g: ArrayLike,
    gamma: ArrayLike,
    t_int_k: ArrayLike,
    t_irr_k: ArrayLike,
    *,
    f: float = 0.25,
) -> jax.Array:
    """Guillot (2010) analytic irradiated profile, his Eq. (29) [K].

    T^4 = 3/4 T_int^4 (2/3 + tau) + 3/4 f T_irr^4
    [2/3 + 1/(gamma sqrt3) + (gamma/sqrt3 - 1/(gamma sqrt3)) exp(-gamma tau sqrt3)],
    with tau = kappa_ir P / g (P in dyn cm^-2).

    Parameters
    ----------
    p_bar : ArrayLike
        (...) pressures [bar], > 0.
    gravity_cgs : ArrayLike
        Gravity [cm s^-2], > 0.
    kappa_ir_cm2_g : ArrayLike
        Thermal (infrared) mean opacity [cm^2 g^-1], > 0.
    gamma : ArrayLike
        kappa_visible / kappa_ir, > 0 (gamma > 1 gives a thermal inversion).
    t_int_k : ArrayLike
        Intrinsic temperature [K], >= 0.
    t_irr_k : ArrayLike
        Irradiation temperature [K], >= 0.
    f : float
        Redistribution factor: 1 substellar point, 1/2 dayside average, 1/4 (default)
        planet-wide average.

    Returns
    -------
    jax.Array
        (...) temperatures [K].

    References
    ----------
    Guillot (2010), A&A 520, A27, Eq. (29).
    """
    check_positive("p_bar", p_bar, " [bar]")
    check_positive("gravity_cgs", gravity_cgs, " [cm s^-2]")
    check_positive("kappa_ir_cm2_g", kappa_ir_cm2_g, " [cm^2 g^-1]")
    check_positive("gamma", gamma)
    check_positive("t_int_k", t_int_k, " [K]", allow_zero=True)
    check_positive("t_irr_k", t_irr_k, " [K]", allow_zero=True)
    dt = float_dtype(p_bar, gravity_cgs, kappa_ir_cm2_g, gamma, t_int_k, t_irr_k)
    p, g, k, gm, ti, tr = (
        as_float(v, dt) for v in (p_bar, gravity_cgs, kappa_ir_cm2_g, gamma, t_int_k, t_irr_k)
    )
    tau = p * 1.0e6 * k / g
    fac = 2.0 / 3.0 + _INV_SQRT3 * (1.0 / gm + (gm - 1.0 / gm) * jnp.exp(-gm * tau / _INV_SQRT3))
    t4 = 0.75 * ti**4 * (2.0 / 3.0 + tau) + 0.75 * f * tr**4 * fac
    return t4**0.25


def isothermal_temperature(p_bar: ArrayLike, t_k: ArrayLike) -> jax.Array:
    """Isothermal profile: ``t_k`` at every pressure [K].

    Parameters
    ----------
    p_bar : ArrayLike
        (...) pressures [bar] (only the shape is used).
    t_k : ArrayLike
        Scalar temperature [K], > 0.

    Returns
    -------
    jax.Array
        (...) temperatures [K].
    """
    check_positive("t_k", t_k, " [K]")
    dt = float_dtype(p_bar, t_k)
    return jnp.broadcast_to(as_float(t_k, dt), jnp.shape(p_bar))


def free_temperature(
    p_bar: ArrayLike,
    p_knots_bar: ArrayLike,
    t_knots_k: ArrayLike,
    *,
    method: str = "cubic",
) -> jax.Array:
    """Free profile: temperatures at pressure knots, interpolated in log P.

    ``method="cubic"`` (default) is a natural cubic spline in log10 P (twice continuously
    differentiable in P; the spline is a linear map of the knot temperatures, so gradients with
    respect to them are exact and smooth). ``"linear"`` interpolates linearly in log10 P.
    Outside ``[p_knots_bar[0], p_knots_bar[-1]]`` the profile is held at the end values
    (documented extension, not an error).

    Parameters
    ----------
    p_bar : ArrayLike
        (...) pressures [bar], > 0.
    p_knots_bar : ArrayLike
        (n_knots,) knot pressures [bar], positive and strictly increasing, n_knots >= 2.
    t_knots_k : ArrayLike
        (n_knots,) knot temperatures [K] (values are not checked: clip with
        ``clip_temperature`` if a sampler can propose negative ones).
    method : str
        "cubic" or "linear".

    Returns
    -------
    jax.Array
        (...) temperatures [K].

    Raises
    ------
    ValueError
        If the knots are not positive and strictly increasing, shapes disagree or the method
        is unknown.
    """
    if method not in ("cubic", "linear"):
        raise ValueError(f"method must be 'cubic' or 'linear'; got {method!r}")
    pk = jnp.asarray(p_knots_bar)
    tk = jnp.asarray(t_knots_k)
    if pk.ndim != 1 or pk.shape[0] < 2 or tk.shape != pk.shape:
        raise ValueError(
            "p_knots_bar and t_knots_k must be 1-D arrays of the same length >= 2; got shapes "
            f"{pk.shape} and {tk.shape}"
        )
    if not is_traced(pk):
        v = np.asarray(pk, dtype=np.float64)
        if not (np.all(np.isfinite(v)) and np.all(v > 0) and np.all(np.diff(v) > 0)):
            raise ValueError(
                f"p_knots_bar must be finite, positive and strictly increasing [bar]; got {v}"
            )
    check_positive("p_bar", p_bar, " [bar]")
    dt = float_dtype(p_bar, pk, tk)
    x = jnp.log10(as_float(p_bar, dt))
    xk = jnp.log10(pk.astype(dt))
    yk = tk.astype(dt)
    xc = jnp.clip(x, xk[0], xk[-1])
    n = xk.shape[0]
    i = jnp.clip(jnp.searchsorted(xk, xc, side="right") - 1, 0, n - 2)
    h = xk[1:] - xk[:-1]
    w = (xc - xk[i]) / h[i]
    if method == "linear" or n == 2:
        return (1 - w) * yk[i] + w * yk[i + 1]
    m = _natural_spline_second_derivatives(xk, yk)
    a, b = 1.0 - w, w
    hi = h[i]
    return a * yk[i] + b * yk[i + 1] + ((a**3 - a) * m[i] + (b**3 - b) * m[i + 1]) * hi**2 / 6.0


def _natural_spline_second_derivatives(x, y):
    """Second derivatives at the knots of the natural cubic spline (small dense solve)."""
    n = x.shape[0]
    h = x[1:] - x[:-1]
    rhs = 6.0 * ((y[2:] - y[1:-1]) / h[1:] - (y[1:-1] - y[:-2]) / h[:-1])
    diag = 2.0 * (h[:-1] + h[1:])
    a = jnp.diag(diag) + jnp.diag(h[1:-1], 1) + jnp.diag(h[1:-1], -1)
    inner = jnp.linalg.solve(a, rhs) if n > 3 else rhs / diag
    zero = jnp.zeros((1,), dtype=y.dtype)
    return jnp.concatenate([zero, inner, zero])


def clip_temperature(
    t_k: ArrayLike,
    t_min_k: float,
    t_max_k: float,
    *,
    method: str = "soft",
    width_k: float | None = None,
) -> jax.Array:
    """Keep temperatures inside ``(t_min_k, t_max_k)`` without killing gradients.

    ``method="soft"`` (default):
    ``t_min + w softplus((T - t_min)/w) - w softplus((T - t_max)/w)``, which equals T to within
    ``w log 2`` inside the range, tends to the bounds outside it, stays inside
    ``[t_min, t_max]`` (strictly, up to rounding) and has a strictly positive derivative
    (until (T - t_max) / w ~ 700, computed without cancellation), so an optimiser or
    sampler that wanders outside still feels a gradient back. ``w`` defaults to 1 % of the
    range. ``method="hard"`` is ``jnp.clip`` (zero gradient outside, like ExoJAX's
    ``clip_temperature``).

    Parameters
    ----------
    t_k : ArrayLike
        (...) temperatures [K].
    t_min_k, t_max_k : float
        Bounds [K], ``0 <= t_min_k < t_max_k``.
    method : str
        "soft" or "hard".
    width_k : float or None
        Softness w [K] of the soft clip (default ``0.01 (t_max_k - t_min_k)``).

    Returns
    -------
    jax.Array
        (...) clipped temperatures [K].

    Raises
    ------
    ValueError
        If the bounds are not ordered, the width is not positive or the method is unknown.
    """
    if method not in ("soft", "hard"):
        raise ValueError(f"method must be 'soft' or 'hard'; got {method!r}")
    lo, hi = float(t_min_k), float(t_max_k)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo < hi):
        raise ValueError(
            f"need finite 0 <= t_min_k < t_max_k [K]; got t_min_k={lo:g}, t_max_k={hi:g}"
        )
    t = as_float(t_k)
    if method == "hard":
        return jnp.clip(t, lo, hi)
    w = 0.01 * (hi - lo) if width_k is None else float(width_k)
    if not (np.isfinite(w) and w > 0):
        raise ValueError(f"width_k must be finite and > 0 [K]; got {width_k!r}")
    return _soft_clip(t, lo, hi, w)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _soft_clip(t, lo, hi, w):
    # the final clamp only removes rounding (the sum overshot t_max by 4.5e-13 K at 1500 K, so
    # a cross-section calculator valid up to exactly t_max returned NaN); the derivative is the
    # analytic one of the JVP below
    soft = lo + w * jax.nn.softplus((t - lo) / w) - w * jax.nn.softplus((t - hi) / w)
    return jnp.clip(soft, lo, hi)


@_soft_clip.defjvp
def _soft_clip_jvp(lo, hi, w, primals, tangents):
    (t,), (dt,) = primals, tangents
    a, b = (t - lo) / w, (t - hi) / w
    # sigmoid(a) - sigmoid(b) without cancellation: > 0 until (T - t_max) / w ~ 700
    d = jax.nn.sigmoid(a) * jax.nn.sigmoid(-b) * (-jnp.expm1(b - a))
    return _soft_clip(t, lo, hi, w), d * dt
