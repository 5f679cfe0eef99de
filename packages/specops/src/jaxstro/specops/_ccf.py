"""High-pass filters, cross correlation and the Brogi & Line (2019) log-likelihood for
high-resolution ground-based spectra."""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.specops._checks import is_traced, nan_if_invalid, stand_in
from jaxstro.specops._kernels import as_float
from jaxstro.specops._resample import Resampler

__all__ = [
    "high_pass",
    "cross_correlation",
    "ccf_to_loglike",
    "brogi_line_loglike",
    "cross_correlation_function",
]

FILTERS = ("polynomial", "median")
MODES = ("divide", "subtract")


@functools.lru_cache(maxsize=32)
def _poly_projector(n: int, degree: int) -> np.ndarray:
    """(n, degree + 1) orthonormal basis of the Legendre polynomials up to ``degree`` on the
    pixel index mapped to [-1, 1] (float64; least-squares fit = Q Q^T y)."""
    x = np.linspace(-1.0, 1.0, n)
    q, _ = np.linalg.qr(np.polynomial.legendre.legvander(x, degree))
    q.setflags(write=False)
    return q


def _check_int(value, name: str, lo: int, hi: int, *, odd: bool = False) -> int:
    """``value`` as an int in [lo, hi] (odd if asked), else ValueError naming ``name``."""
    what = f"an odd integer in [{lo}, {hi}]" if odd else f"an integer in [{lo}, {hi}]"
    try:
        ok = float(value) == int(value) and not isinstance(value, bool)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if ok:
        v = int(value)
        ok = lo <= v <= hi and (v % 2 == 1 or not odd)
    if not ok:
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return v


def _check_finite(x, name: str) -> None:
    """Concrete arrays must be finite (NaN marks a masked pixel: remove or fill those first)."""
    if not is_traced(x) and not bool(np.all(np.isfinite(np.asarray(x)))):
        bad = int(np.sum(~np.isfinite(np.asarray(x))))
        raise ValueError(
            f"{name} holds {bad} non-finite value(s) (NaN/inf); accepted: finite values "
            "(remove or fill masked pixels first)"
        )


def _running_median(y: jax.Array, window: int) -> jax.Array:
    half = window // 2
    width = [(0, 0)] * (y.ndim - 1) + [(half, half)]
    padded = jnp.pad(y, width, mode="edge")
    n = y.shape[-1]
    offsets = jnp.arange(window)

    def one(i):
        return jnp.median(jnp.take(padded, i + offsets, axis=-1), axis=-1)

    out = jax.lax.map(one, jnp.arange(n), batch_size=min(n, 2048))  # (n, ...)
    return jnp.moveaxis(out, 0, -1)


def high_pass(
    spectrum: ArrayLike,
    *,
    method: str = "polynomial",
    degree: int = 2,
    window: int = 101,
    mode: str = "divide",
) -> jax.Array:
    """Remove the slowly varying part of a spectrum (continuum, blaze, telluric trends).

    Parameters
    ----------
    spectrum : ArrayLike
        (..., n_pix) spectra (one per order/exposure along the leading axes).
    method : str
        "polynomial": least-squares Legendre polynomial of ``degree`` in the pixel index (a
        fixed linear map; cheap at any length). "median": running median over ``window``
        pixels (odd; the ends repeat the edge values), memory O(n_pix x window / chunk).
    degree : int
        Polynomial degree (method "polynomial"), ``0 <= degree < n_pix``.
    window : int
        Odd running-median width [pixels] (method "median"), ``3 <= window <= n_pix``.
    mode : str
        "divide" (default): ``spectrum / trend``; "subtract": ``spectrum - trend``.

    Returns
    -------
    jax.Array
        (..., n_pix) filtered spectra, in the input dtype; differentiable in ``spectrum``.

    Raises
    ------
    ValueError
        For an unknown method/mode or an out-of-range degree/window.
    """
    y = as_float(spectrum)
    _check_finite(y, "spectrum")
    if method not in FILTERS:
        raise ValueError(f"method must be one of {FILTERS}; got {method!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    n = y.shape[-1] if y.ndim else 0
    if n < 2:
        raise ValueError(f"spectrum must have >= 2 pixels along its last axis; got {y.shape}")
    if method == "polynomial":
        q = _poly_projector(n, _check_int(degree, "degree", 0, n - 1))
        return _poly_filter(y, jnp.asarray(q, y.dtype), mode)
    else:
        if n < 3:
            raise ValueError(f"spectrum must have >= 3 pixels for method='median'; got {y.shape}")
        return _median_filter(y, _check_int(window, "window", 3, n, odd=True), mode)


@functools.partial(jax.jit, static_argnames="mode")
def _poly_filter(y, q, mode):
    trend = (y @ q) @ q.T
    return y / trend if mode == "divide" else y - trend


@functools.partial(jax.jit, static_argnames=("window", "mode"))
def _median_filter(y, window, mode):
    trend = _running_median(y, window)
    return y / trend if mode == "divide" else y - trend


def _check_pair(data, model):
    data, model = as_float(data), as_float(model)
    _check_finite(data, "data")
    _check_finite(model, "model")
    if data.ndim < 1 or data.shape[-1] < 2:
        raise ValueError(f"data must have >= 2 pixels along its last axis; got {data.shape}")
    if model.shape[-1:] != data.shape[-1:]:
        raise ValueError(
            f"model must have the same number of pixels as data ({data.shape[-1]}); got "
            f"shape {model.shape}"
        )
    return data, model


def _centre(x):
    """``x`` minus its mean along the last axis, the mean taken of ``x - x[..., :1]`` (exact
    for values within a factor 2 of the first): a continuum level far above the signal then
    does not round the signal away in the sum (float32 filtered spectra near 1, or a large
    offset in float64)."""
    y = x - jax.lax.stop_gradient(x[..., :1])
    return y - jnp.mean(y, axis=-1, keepdims=True)


def _moments(data, model):
    n = data.shape[-1]
    f = _centre(data)
    g = _centre(model)
    sf2 = jnp.sum(f * f, axis=-1) / n
    sg2 = jnp.sum(g * g, axis=-1) / n
    r = jnp.sum(f * g, axis=-1) / n
    return sf2, sg2, r, n


def cross_correlation(data: ArrayLike, model: ArrayLike) -> jax.Array:
    """Pearson cross-correlation coefficient of data and model along the last axis.

    ``C = R / sqrt(s_f^2 s_g^2)`` with mean-subtracted ``f = data``, ``g = model`` and
    ``s_f^2 = sum f^2 / N``, ``s_g^2 = sum g^2 / N``, ``R = sum f g / N`` (Brogi & Line 2019,
    eqs. 2-4).

    Parameters
    ----------
    data : ArrayLike
        (..., n_pix) observed (filtered) spectra.
    model : ArrayLike
        (..., n_pix) model on the same pixels (broadcasts against ``data``).

    Returns
    -------
    jax.Array
        (...) correlation coefficients in [-1, 1] (NaN where data or model is constant: the
        coefficient is undefined).

    Raises
    ------
    ValueError
        If the last axes differ or hold < 2 pixels, or concrete data or model are not finite.
    """
    data, model = _check_pair(data, model)
    sf2, sg2, r, _ = _moments(data, model)
    return r / jnp.sqrt(sf2 * sg2)


def _concrete_scalar_check(x, name: str, ok, accepted: str) -> None:
    if not is_traced(x):
        v = np.asarray(x, dtype=np.float64)
        if not bool(np.all(ok(v))):
            raise ValueError(f"{name}={v!r} is out of range; accepted: {accepted}")


def ccf_to_loglike(
    ccf: ArrayLike, sf2: ArrayLike, sg2: ArrayLike, n_pix: int, *, scale: ArrayLike = 1.0
) -> jax.Array:
    """Brogi & Line (2019) mapping from a cross-correlation value to a log-likelihood.

    ``log L = -N / 2 log(s_f^2 + a^2 s_g^2 - 2 a sqrt(s_f^2 s_g^2) C)`` (their eq. 9, with
    the model scaled by ``a``; the noise is marginalised, up to a constant).

    Parameters
    ----------
    ccf : ArrayLike
        (...) correlation coefficients ``C``, ``|C| <= 1`` (plus 16 rounding units of the
        dtype, for a ``C`` computed as exactly 1).
    sf2, sg2 : ArrayLike
        (...) data and model variances (mean-subtracted, divided by N; same units squared),
        ``>= 0``.
    n_pix : int
        Pixels per spectrum ``N >= 2``.
    scale : ArrayLike
        Finite model scale factor ``a`` (default 1).

    Returns
    -------
    jax.Array
        (...) log-likelihoods; NaN where traced inputs are out of range.

    Raises
    ------
    ValueError
        For concrete out-of-range (or non-finite) ``ccf``, ``sf2``, ``sg2``, ``scale`` or a
        non-integer ``n_pix < 2``.
    """
    n = _check_int(n_pix, "n_pix", 2, 2**62)
    c, sf2, sg2 = as_float(ccf), as_float(sf2), as_float(sg2)
    dtype = jnp.result_type(c, sf2, sg2, scale)
    c, sf2, sg2 = c.astype(dtype), sf2.astype(dtype), sg2.astype(dtype)
    tol = 1.0 + 16.0 * float(jnp.finfo(dtype).eps)
    _concrete_scalar_check(
        c, "ccf", lambda v: np.isfinite(v) & (np.abs(v) <= tol), f"finite, |ccf| <= {tol:.17g}"
    )
    for x, name in ((sf2, "sf2"), (sg2, "sg2")):
        _concrete_scalar_check(x, name, lambda v: np.isfinite(v) & (v >= 0), "finite, >= 0")
    _concrete_scalar_check(scale, "scale", np.isfinite, "finite")
    a = jnp.asarray(scale, dtype)
    shape = jnp.broadcast_shapes(c.shape, sf2.shape, sg2.shape, a.shape)
    c, sf2, sg2, a = (jnp.broadcast_to(x, shape) for x in (c, sf2, sg2, a))
    ok = (
        (jnp.abs(c) <= tol)
        & (sf2 >= 0)
        & (sg2 >= 0)
        & jnp.isfinite(c)
        & jnp.isfinite(sf2)
        & jnp.isfinite(sg2)
        & jnp.isfinite(a)
    )
    cs = jnp.clip(stand_in(ok, c, 0.0), -1.0, 1.0)
    f2, g2, aa = stand_in(ok, sf2, 1.0), stand_in(ok, sg2, 1.0), stand_in(ok, a, 1.0)
    arg = f2 + aa * aa * g2 - 2.0 * aa * jnp.sqrt(f2 * g2) * cs
    out = -0.5 * n * jnp.log(arg)
    return nan_if_invalid(ok, out, value=jnp.stack([c, sf2, sg2, a], axis=-1))


def brogi_line_loglike(
    data: ArrayLike, model: ArrayLike, *, scale: ArrayLike = 1.0, per_spectrum: bool = False
) -> jax.Array:
    """Brogi & Line (2019) log-likelihood of a model given high-pass filtered data.

    ``log L = -N / 2 log(s_f^2 - 2 a R + a^2 s_g^2)`` per spectrum (order x exposure), summed
    over the leading axes unless ``per_spectrum``. The bracket equals the mean squared
    residual ``sum (f - a g)^2 / N`` of the mean-subtracted data ``f`` and model ``g``, which is
    how it is evaluated (no cancellation between the three terms, never negative).

    Parameters
    ----------
    data : ArrayLike
        (..., n_pix) filtered observed spectra (finite).
    model : ArrayLike
        (..., n_pix) model, shifted and filtered like the data (broadcasts; finite).
    scale : ArrayLike
        Finite scalar model scale factor ``a`` (default 1).
    per_spectrum : bool
        Return one value per spectrum instead of the sum.

    Returns
    -------
    jax.Array
        Scalar total (or (...) per spectrum) log-likelihood (``+inf`` if data equal ``a``
        times the model exactly).

    Raises
    ------
    ValueError
        If the last axes differ or hold < 2 pixels, or concrete data, model or scale are
        not finite.

    References
    ----------
    Brogi, M. & Line, M. R. (2019), AJ 157, 114.
    """
    data, model = _check_pair(data, model)
    if np.ndim(scale) != 0:
        raise ValueError(f"scale must be a scalar; got shape {np.shape(scale)}")
    _concrete_scalar_check(scale, "scale", np.isfinite, "finite")
    dtype = jnp.result_type(data, model, scale)
    data, model = data.astype(dtype), model.astype(dtype)
    n = data.shape[-1]
    f = _centre(data)
    g = _centre(model)
    a = jnp.asarray(scale, dtype)
    resid = f - a * g
    logl = -0.5 * n * jnp.log(jnp.sum(resid * resid, axis=-1) / n)
    return logl if per_spectrum else jnp.sum(logl)


def cross_correlation_function(
    resampler: Resampler,
    data: ArrayLike,
    model: ArrayLike,
    rv_grid_kms: ArrayLike,
    *,
    filter: Callable[[jax.Array], jax.Array] | None = None,
) -> jax.Array:
    """Cross-correlation function of data with a model shifted over a grid of velocities.

    Parameters
    ----------
    resampler : Resampler
        From ``prepare_resampling(nu_model_cm1, nu_obs_cm1)``; its method is used to shift.
    data : ArrayLike
        (..., n_obs) filtered observed spectra.
    model : ArrayLike
        (n_model,) model on the model grid.
    rv_grid_kms : ArrayLike
        (n_rv,) trial radial velocities [km s^-1] within the resampler's range.
    filter : callable, optional
        Applied to each shifted model before correlating (e.g.
        ``functools.partial(high_pass, degree=2)``), to filter it like the data.

    Returns
    -------
    jax.Array
        (..., n_rv) correlation coefficients; NaN at traced out-of-range velocities.

    Raises
    ------
    ValueError
        If a concrete velocity is out of range or the shapes disagree.
    """
    if not isinstance(resampler, Resampler):
        raise ValueError(f"resampler must be a Resampler; got {type(resampler).__name__}")
    data = as_float(data)
    if data.shape[-1:] != resampler.nu_obs_cm1.shape:
        raise ValueError(
            f"data must have shape (..., {resampler.nu_obs_cm1.shape[0]}); got {data.shape}"
        )
    rv = as_float(rv_grid_kms)
    if rv.ndim != 1:
        raise ValueError(f"rv_grid_kms must be 1-D; got shape {rv.shape}")
    if not is_traced(rv):
        resampler._check_rv(rv, "rv_grid_kms")

    def at(v):
        m = resampler.apply(model, v)
        if filter is not None:
            m = filter(m)
        return cross_correlation(data, m)

    return jnp.moveaxis(jax.vmap(at)(rv), 0, -1)
