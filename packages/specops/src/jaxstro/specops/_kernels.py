"""Broadening kernels on a velocity grid: rigid rotation (quadratic limb darkening) and Gauss.

Rotation (Gray 2005, ch. 18, extended to the quadratic law): a disk of unit radius with
intensity ``I(mu) = 1 - u1 (1 - mu) - u2 (1 - mu)^2`` rotating rigidly, seen at projected
velocity ``x = v / vsini``. With ``s = sqrt(1 - x^2)`` the chord integral of I is

    G(x) = [2 (1 - u1 - u2) s + (pi / 2)(u1 + 2 u2) s^2 - (4 / 3) u2 s^3] / N,
    N    = pi (1 - u1 / 3 - u2 / 6),

normalised to unit area over ``-1 <= x <= 1``. Its antiderivative is closed form, so the
kernel's mass in each velocity bin is exact (``_rotation_cdf``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

_PI = math.pi
_HALF_PI = 0.5 * math.pi
_SQRT_HALF = math.sqrt(0.5)


def ld_coefficients(u1, u2):
    """(a1, a2, a3, norm): ``G(x) = (a1 s + a2 s^2 + a3 s^3) / norm`` for the quadratic law."""
    a1 = 2.0 * (1.0 - u1 - u2)
    a2 = _HALF_PI * (u1 + 2.0 * u2)
    a3 = -(4.0 / 3.0) * u2
    norm = _PI * (1.0 - u1 / 3.0 - u2 / 6.0)
    return a1, a2, a3, norm


def ld_ok(u1, u2):
    """The physical domain of the quadratic law (Kipping 2013, MNRAS 435, 2152): intensity
    non-negative and non-increasing from disk centre to limb:
    ``u1 >= 0``, ``u1 + 2 u2 >= 0``, ``u1 + u2 <= 1`` (NaN is outside)."""
    return (u1 >= 0) & (u1 + 2.0 * u2 >= 0) & (u1 + u2 <= 1)


def _cdf_terms(x):
    """Antiderivatives of s, s^2, s^3 at x clipped to [-1, 1] (zero at x = 0).

    Differentiable to any order: for |x| >= 1 the constants (+-pi/4, +-2/3, +-3 pi/16) are
    returned by ``where`` and the formula sees x = 0, so no infinite derivative of sqrt or
    arcsin at |x| = 1 meets a zero tangent (inf * 0 = NaN in the second derivatives that the
    custom JVP of ``_rotation_cdf`` differentiates)."""
    inside = x * x < 1.0
    xi = jnp.where(inside, x, 0.0)
    s = jnp.sqrt(1.0 - xi * xi)
    asin = jnp.arcsin(xi)
    sign = jnp.sign(x)
    p1 = jnp.where(inside, 0.5 * (xi * s + asin), sign * (_PI / 4.0))
    p2 = jnp.where(inside, xi - xi * xi * xi / 3.0, sign * (2.0 / 3.0))
    p3 = jnp.where(
        inside, 0.125 * (xi * s * (5.0 - 2.0 * xi * xi) + 3.0 * asin), sign * (3.0 * _PI / 16.0)
    )
    return p1, p2, p3


@jax.custom_jvp
def _rotation_cdf(x, a1, a2, a3):
    """Unnormalised cumulative rotation kernel ``int_0^x (a1 s + a2 s^2 + a3 s^3) dx'``,
    constant beyond |x| = 1. Custom JVP: the x-derivative is the kernel itself (the
    autodiff of arcsin and sqrt is infinite at |x| = 1)."""
    p1, p2, p3 = _cdf_terms(x)
    return a1 * p1 + a2 * p2 + a3 * p3


@_rotation_cdf.defjvp
def _rotation_cdf_jvp(primals, tangents):
    x, a1, a2, a3 = primals
    dx, da1, da2, da3 = tangents
    p1, p2, p3 = _cdf_terms(x)
    out = a1 * p1 + a2 * p2 + a3 * p3
    inside = x * x < 1.0
    s2 = jnp.where(inside, 1.0 - x * x, 0.0)
    s = jnp.sqrt(jnp.where(inside, s2, 1.0)) * inside
    g = a1 * s + a2 * s2 + a3 * s2 * s
    dout = jnp.where(inside, g * dx, 0.0) + da1 * p1 + da2 * p2 + da3 * p3
    return out, dout


def rotation_kernel_integrated(v_edges_kms, vsini_kms, u1, u2):
    """Exact mass of the rotation kernel in each velocity bin [v_edges[k], v_edges[k+1]].

    ``vsini_kms`` must be > 0 here (the caller handles 0 as a delta)."""
    a1, a2, a3, norm = ld_coefficients(u1, u2)
    c = _rotation_cdf(v_edges_kms / vsini_kms, a1, a2, a3)
    return jnp.diff(c) / norm


def rotation_kernel_sampled(v_kms, vsini_kms, u1, u2):
    """The rotation kernel sampled at the bin centres ``v_kms`` and normalised by its sum
    (ExoJAX's ``SopRotation`` convention)."""
    a1, a2, a3, _ = ld_coefficients(u1, u2)
    x = v_kms / vsini_kms
    inside = x * x < 1.0
    s2 = jnp.where(inside, 1.0 - x * x, 0.0)
    s = jnp.sqrt(jnp.where(inside, s2, 1.0)) * inside
    g = a1 * s + a2 * s2 + a3 * s2 * s
    return g / jnp.sum(g)


def gauss_kernel_integrated(v_edges_kms, sigma_kms):
    """Mass of a unit-area Gaussian of standard deviation ``sigma_kms`` in each bin,
    renormalised to the truncated window (exact erf differences)."""
    e = jax.scipy.special.erf(v_edges_kms * (_SQRT_HALF / sigma_kms))
    k = 0.5 * jnp.diff(e)
    return k / jnp.sum(k)


def gauss_kernel_sampled(v_kms, sigma_kms):
    """Gaussian sampled at ``v_kms`` and normalised by its sum (ExoJAX's ``ipgauss``)."""
    x = v_kms / sigma_kms
    k = jnp.exp(-0.5 * x * x)
    return k / jnp.sum(k)


def delta_kernel(n: int, dtype) -> jax.Array:
    """(n,) zeros with a one in the middle."""
    return jnp.zeros((n,), dtype).at[n // 2].set(1.0)


def as_float(x: ArrayLike, dtype=None) -> jax.Array:
    """``x`` as a floating JAX array (integers promoted to the default float)."""
    x = jnp.asarray(x)
    if dtype is not None:
        return x.astype(dtype)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x
