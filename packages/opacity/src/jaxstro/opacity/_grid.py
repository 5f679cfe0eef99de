"""Wavenumber grids: evenly spaced in ln(nu) (ESLOG) or linearly (ESL)."""

from __future__ import annotations

import numpy as np

__all__ = ["wavenumber_grid", "UNITS"]

UNITS: dict[str, float | None] = {"cm-1": None, "AA": 1e8, "nm": 1e7, "um": 1e4}
"""Spectral units of ``wavenumber_grid``: ``nu [cm^-1] = factor / wavelength`` for the
vacuum wavelength units "AA", "nm", "um"; "cm-1" (factor None) is wavenumber itself."""


def wavenumber_grid(
    start: float, stop: float, n: int, *, unit: str = "cm-1", mode: str = "eslog"
) -> tuple[np.ndarray, np.ndarray, float]:
    """A spectral grid; ``nu`` is always ascending wavenumber [cm^-1].

    Parameters
    ----------
    start, stop : float
        Ends of the range in ``unit`` [cm^-1, AA, nm or um] (either order), ``> 0``.
    n : int
        Number of points, ``>= 2``.
    unit : str
        "cm-1" (wavenumber) or a vacuum wavelength unit: "AA", "nm", "um" (keys of
        ``UNITS``).
    mode : str
        "eslog": evenly spaced in ln(nu) (= evenly spaced in ln(wavelength)), the grid MODIT
        and PreMODIT need; "esl": evenly spaced in the given unit.

    Returns
    -------
    nu : np.ndarray
        (n,) ascending wavenumber [cm^-1], float64.
    wavelength : np.ndarray
        (n,) the same points in ``unit`` (for "cm-1", equal to ``nu``); for wavelength units
        it is descending, point for point with ``nu``.
    resolving_power : float
        For "eslog" the constant R = 1 / d(ln nu); for "esl" the smallest nu / d(nu) on the
        grid (dimensionless).

    Raises
    ------
    ValueError
        If ``unit`` or ``mode`` is unknown, ``n`` is not an integer >= 2, or ``start`` and
        ``stop`` are not distinct positive finite numbers.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {list(UNITS)}; got {unit!r}")
    if mode not in ("eslog", "esl"):
        raise ValueError(f"mode must be 'eslog' or 'esl'; got {mode!r}")
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2; got {n!r}")
    lo, hi = sorted((float(start), float(stop)))
    if not (np.isfinite(lo) and lo > 0 and hi > lo):
        raise ValueError(f"start and stop must be distinct positive numbers; got {start}, {stop}")
    n = int(n)
    factor = UNITS[unit]
    if mode == "eslog":
        x = np.exp(np.linspace(np.log(lo), np.log(hi), n))
    else:
        x = np.linspace(lo, hi, n)
    if factor is None:
        nu, wav = x, x
    else:
        wav = x[::-1]
        nu = factor / wav
    if mode == "eslog":
        r = 1.0 / np.log(nu[1] / nu[0]) if n > 1 else np.inf
        nu = np.exp(np.log(nu[0]) + np.arange(n) / r)  # exactly uniform in ln(nu)
        wav = nu if factor is None else factor / nu
    else:
        r = float(np.min(nu[1:] / np.diff(nu)))
    return nu, wav, float(r)
