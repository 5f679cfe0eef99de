"""Exponential integrals E1, E2, E3 for x >= 0: loop-free, accurate to float64 rounding,
with exact derivatives (E_n' = -E_{n-1}, E_1' = -exp(-x)/x) as custom JVPs.

x < 2: the power series of E1 (25 terms) and the recurrence E_{n+1} = (exp(-x) - x E_n) / n.
x >= 2: the continued fraction of E_n (Abramowitz & Stegun 5.1.22), evaluated backward with a
fixed depth (60 levels). Agreement with scipy.special.expn: < 1e-14 relative.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

__all__ = ["expint_e1", "expint_e2", "expint_e3", "two_e3_pair", "slab_log_transmission"]

_EULER = 0.5772156649015329
_N_SERIES = 30
_N_CF = 60
# series coefficients (-1)^(k+1) / (k k!)
_SERIES = tuple((-1.0) ** (k + 1) / (k * math.factorial(k)) for k in range(1, _N_SERIES + 1))


def _e1_small(x):
    """E1 for 0 < x < 1 (series)."""
    s = 0.0
    for c in reversed(_SERIES):
        s = (s + c) * x
    return -_EULER - jnp.log(x) + s


def _en_cf(n, x):
    """E_n for x >= 1 (backward continued fraction)."""
    t = x + n + 2.0 * _N_CF
    for k in range(_N_CF, 0, -1):
        t = x + n + 2.0 * (k - 1) - k * (n + k - 1) / t
    return jnp.exp(-x) / t


def _e123(x):
    """(E1, E2, E3) at x >= 0 (E1(0) = inf)."""
    small = x < 2.0
    xs = jnp.where(small & (x > 0), x, 0.5)
    xl = jnp.where(small, 2.0, x)
    ex = jnp.exp(-xs)
    e1s = _e1_small(xs)
    x_e1 = jnp.where(x > 0, xs * e1s, 0.0)
    e2s = ex - x_e1
    e3s = 0.5 * (ex - xs * e2s)
    e1s = jnp.where(x > 0, e1s, jnp.inf)
    e2s = jnp.where(x > 0, e2s, 1.0)
    e3s = jnp.where(x > 0, e3s, 0.5)
    e1 = jnp.where(small, e1s, _en_cf(1, xl))
    e2 = jnp.where(small, e2s, _en_cf(2, xl))
    e3 = jnp.where(small, e3s, _en_cf(3, xl))
    return e1, e2, e3


@jax.custom_jvp
def expint_e1(x):
    """E1(x) for x >= 0 [dimensionless] (inf at 0)."""
    return _e123(x)[0]


@expint_e1.defjvp
def _e1_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = expint_e1(x)
    xs = jnp.where(x > 0, x, 1.0)
    return y, jnp.where(x > 0, -jnp.exp(-xs) / xs, -jnp.inf) * dx


@jax.custom_jvp
def expint_e2(x):
    """E2(x) for x >= 0."""
    return _e123(x)[1]


@expint_e2.defjvp
def _e2_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return expint_e2(x), -expint_e1(x) * dx


@jax.custom_jvp
def expint_e3(x):
    """E3(x) for x >= 0."""
    return _e123(x)[2]


@expint_e3.defjvp
def _e3_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return expint_e3(x), -expint_e2(x) * dx


@jax.custom_jvp
def two_e3_pair(x):
    """(T, A) = (2 E3(x), 1 - 2 E3(x)) for x >= 0, each without cancellation.

    T is the diffuse (flux) transmission of a slab of vertical optical depth x, A = 1 - T its
    absorption. For x < 1, A = -expm1(-x) + x exp(-x) - x^2 E1(x) (no cancellation as x -> 0);
    for x >= 1, T from the continued fraction and A = 1 - T.
    """
    e1, _, e3 = _e123(x)
    small = x < 1.0
    xs = jnp.where(small, x, 0.5)
    x2e1 = jnp.where(xs > 0, xs**2 * jnp.where(xs > 0, e1, 1.0), 0.0)
    a_small = -jnp.expm1(-xs) + xs * jnp.exp(-xs) - x2e1
    t = jnp.where(small, 1.0 - a_small, 2.0 * e3)
    a = jnp.where(small, a_small, 1.0 - 2.0 * e3)
    return t, a


@two_e3_pair.defjvp
def _two_e3_pair_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    t, a = two_e3_pair(x)
    d = 2.0 * expint_e2(x) * dx
    return (t, a), (-d, d)


def _e2_e3_ratio(x):
    """E2(x) / E3(x) for x >= 0, finite where both underflow (continued-fraction form)."""
    small = x < 2.0
    xl = jnp.where(small, 2.0, x)
    # E_n = exp(-x) / t_n  ->  E2 / E3 = t_3 / t_2
    t2 = _cf_denominator(2, xl)
    t3 = _cf_denominator(3, xl)
    _, e2, e3 = _e123(jnp.where(small, x, 0.5))
    return jnp.where(small, e2 / e3, t3 / t2)


def _cf_denominator(n, x):
    t = x + n + 2.0 * _N_CF
    for k in range(_N_CF, 0, -1):
        t = x + n + 2.0 * (k - 1) - k * (n + k - 1) / t
    return t


@jax.custom_jvp
def slab_log_transmission(x):
    """(log T, A) with T = 2 E3(x) the flux transmission of a slab of optical depth x >= 0 and
    A = 1 - T its absorption; log T = log 2 - x - log t_3(x) for x >= 2 never underflows."""
    t, a = two_e3_pair(x)
    small = x < 2.0
    xl = jnp.where(small, 2.0, x)
    log_t_large = math.log(2.0) - xl - jnp.log(_cf_denominator(3, xl))
    log_t = jnp.where(small, jnp.log1p(-jnp.where(small, a, 0.0)), log_t_large)
    return log_t, a


@slab_log_transmission.defjvp
def _slab_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    log_t, a = slab_log_transmission(x)
    return (log_t, a), (-_e2_e3_ratio(x) * dx, 2.0 * expint_e2(x) * dx)
