"""ESLOG grids (evenly spaced in ln nu) and their velocity step."""

from __future__ import annotations

import math

import numpy as np
from jax.typing import ArrayLike

__all__ = ["C_KMS", "eslog_resolution", "velocity_step_kms", "fwhm_to_sigma"]

C_KMS = 299792.458
"""Speed of light [km s^-1] (exact, SI)."""

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
fwhm_to_sigma = 1.0 / _FWHM_PER_SIGMA

VELOCITY_STEPS = ("log", "exojax")


def _as_grid(nu_grid_cm1: ArrayLike, name: str) -> np.ndarray:
    """A concrete, 1-D, finite, positive, strictly increasing grid as float64 numpy."""
    try:
        nu = np.asarray(nu_grid_cm1, dtype=np.float64)
    except Exception as exc:  # a tracer cannot become numpy
        raise ValueError(
            f"{name} must be a concrete array (prepare operators outside jit); got "
            f"{type(nu_grid_cm1).__name__}"
        ) from exc
    if nu.ndim != 1 or nu.size < 2:
        raise ValueError(
            f"{name} must be a 1-D array of >= 2 wavenumbers [cm^-1]; got shape {nu.shape}"
        )
    if not np.all(np.isfinite(nu)) or np.any(nu <= 0):
        raise ValueError(
            f"{name} must hold finite positive wavenumbers [cm^-1]; got min {nu.min()!r}"
        )
    if not np.all(np.diff(nu) > 0):
        raise ValueError(f"{name} must be strictly increasing [cm^-1] (ascending wavenumber)")
    return nu


def eslog_resolution(nu_grid_cm1: ArrayLike, *, rtol: float = 1e-5) -> float:
    """Resolution ``R = 1 / d(ln nu)`` of an ESLOG grid, after checking that it is one.

    Parameters
    ----------
    nu_grid_cm1 : ArrayLike
        (n_grid,) ascending wavenumbers [cm^-1], evenly spaced in ln(nu) (e.g. from
        ``jaxstro.opacity.wavenumber_grid(..., mode="eslog")``).
    rtol : float
        Accepted relative scatter of the steps in ln(nu) (plus the rounding of the grid's
        own dtype).

    Returns
    -------
    float
        ``(n_grid - 1) / ln(nu[-1] / nu[0])`` (dimensionless), the same number as ExoJAX's
        ``resolution_eslog``.

    Raises
    ------
    ValueError
        If ``nu_grid_cm1`` is not 1-D, positive and increasing, or not evenly spaced in
        ln(nu).
    """
    nu = _as_grid(nu_grid_cm1, "nu_grid_cm1")
    dln = np.diff(np.log(nu))
    mean = math.log(nu[-1] / nu[0]) / (nu.size - 1)
    eps = (
        float(np.finfo(np.asarray(nu_grid_cm1).dtype).eps)
        if np.issubdtype(np.asarray(nu_grid_cm1).dtype, np.floating)
        else 0.0
    )
    dev = float(np.max(np.abs(dln - mean)))
    if dev > rtol * mean + 4.0 * eps:
        raise ValueError(
            "nu_grid_cm1 must be an ESLOG grid (evenly spaced in ln nu); its steps in ln nu "
            f"scatter by {dev / mean:.3g} of their mean {mean:.6g} (accepted: {rtol:g})"
        )
    return 1.0 / mean


def velocity_step_kms(resolution: float, convention: str = "log") -> float:
    """Velocity [km s^-1] of one step of an ESLOG grid of resolution ``R``.

    Parameters
    ----------
    resolution : float
        ``R = 1 / d(ln nu)``.
    convention : str
        "log" (default): ``c / R = c d(ln nu)``, the velocity whose Doppler factor is
        exp(d ln nu) to first order and the relativistic rapidity to third order;
        "exojax": ``c log1p(1 / R)``, ExoJAX's ``delta_velocity_from_resolution``. They
        differ by ``1 / (2 R)`` relative.

    Returns
    -------
    float
        The step [km s^-1].
    """
    if convention == "log":
        return C_KMS / resolution
    if convention == "exojax":
        return C_KMS * math.log1p(1.0 / resolution)
    raise ValueError(f"velocity_step must be one of {VELOCITY_STEPS}; got {convention!r}")
