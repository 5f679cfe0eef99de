"""High-pass filters, cross correlation and the Brogi & Line (2019) log-likelihood for
high-resolution ground-based spectra."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.specops._checks import is_traced
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


def _poly_projector(n: int, degree: int) -> np.ndarray:
    """(n, degree + 1) orthonormal basis of the Legendre polynomials up to ``degree`` on the
    pixel index mapped to [-1, 1] (float64; least-squares fit = Q Q^T y)."""
    x = np.linspace(-1.0, 1.0, n)
    q, _ = np.linalg.qr(np.polynomial.legendre.legvander(x, degree))
    return q


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
    if method not in FILTERS:
        raise ValueError(f"method must be one of {FILTERS}; got {method!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    n = y.shape[-1] if y.ndim else 0
    if n < 2:
        raise ValueError(f"spectrum must have >= 2 pixels along its last axis; got {y.shape}")
    if method == "polynomial":
        if int(degree) != degree or not 0 <= degree < n:
            raise ValueError(f"degree must be an integer in [0, {n - 1}]; got {degree!r}")
        q = jnp.asarray(_poly_projector(n, int(degree)), y.dtype)
        trend = (y @ q) @ q.T
    else:
        if int(window) != window or window % 2 == 0 or not 3 <= window <= n:
            raise ValueError(f"window must be an odd integer in [3, {n}]; got {window!r}")
        trend = _running_median(y, int(window))
    return y / trend if mode == "divide" else y - trend


def _check_pair(data, model):
    data, model = as_float(data), as_float(model)
    if data.ndim < 1 or data.shape[-1] < 2:
        raise ValueError(f"data must have >= 2 pixels along its last axis; got {data.shape}")
    if model.shape[-1:] != data.shape[-1:]:
        raise ValueError(
            f"model must have the same number of pixels as data ({data.shape[-1]}); got "
            f"shape {model.shape}"
        )
    return data, model


def _moments(data, model):
    n = data.shape[-1]
    f = data - jnp.mean(data, axis=-1, keepdims=True)
    g = model - jnp.mean(model, axis=-1, keepdims=True)
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
        (...) correlation coefficients in [-1, 1].

    Raises
    ------
    ValueError
        If the last axes differ or hold < 2 pixels.
    """
    data, model = _check_pair(data, model)
    sf2, sg2, r, _ = _moments(data, model)
    return r / jnp.sqrt(sf2 * sg2)


def ccf_to_loglike(
    ccf: ArrayLike, sf2: ArrayLike, sg2: ArrayLike, n_pix: int, *, scale: ArrayLike = 1.0
) -> jax.Array:
    """Brogi & Line (2019) mapping from a cross-correlation value to a log-likelihood.

    ``log L = -N / 2 log(s_f^2 + a^2 s_g^2 - 2 a sqrt(s_f^2 s_g^2) C)`` (their eq. 9, with
    the model scaled by ``a``; the noise is marginalised, up to a constant).

    Parameters
    ----------
    ccf : ArrayLike
        (...) correlation coefficients ``C``.
    sf2, sg2 : ArrayLike
        (...) data and model variances (mean-subtracted, divided by N).
    n_pix : int
        Pixels per spectrum ``N``.
    scale : ArrayLike
        Model scale factor ``a`` (default 1).

    Returns
    -------
    jax.Array
        (...) log-likelihoods.
    """
    c = as_float(ccf)
    a = jnp.asarray(scale, c.dtype)
    return -0.5 * n_pix * jnp.log(sf2 + a * a * sg2 - 2.0 * a * jnp.sqrt(sf2 * sg2) * c)


def brogi_line_loglike(
    data: ArrayLike, model: ArrayLike, *, scale: ArrayLike = 1.0, per_spectrum: bool = False
) -> jax.Array:
    """Brogi & Line (2019) log-likelihood of a model given high-pass filtered data.

    ``log L = -N / 2 log(s_f^2 - 2 a R + a^2 s_g^2)`` per spectrum (order x exposure), summed
    over the leading axes unless ``per_spectrum``.

    Parameters
    ----------
    data : ArrayLike
        (..., n_pix) filtered observed spectra.
    model : ArrayLike
        (..., n_pix) model, shifted and filtered like the data (broadcasts).
    scale : ArrayLike
        Model scale factor ``a`` (default 1).
    per_spectrum : bool
        Return one value per spectrum instead of the sum.

    Returns
    -------
    jax.Array
        Scalar total (or (...) per spectrum) log-likelihood.

    Raises
    ------
    ValueError
        If the last axes differ or hold < 2 pixels.

    References
    ----------
    Brogi, M. & Line, M. R. (2019), AJ 157, 114.
    """
    data, model = _check_pair(data, model)
    sf2, sg2, r, n = _moments(data, model)
    a = jnp.asarray(scale, jnp.result_type(sf2))
    logl = -0.5 * n * jnp.log(sf2 - 2.0 * a * r + a * a * sg2)
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
