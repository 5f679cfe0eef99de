"""Wavenumber grids: evenly spaced in ln(nu) (ESLOG) or linearly (ESL)."""

from __future__ import annotations

import numpy as np

__all__ = ["wavenumber_grid", "UNITS"]

#: nu [cm^-1] = factor / wavelength for wavelength units; "cm-1" is wavenumber itself
UNITS = {"cm-1": None, "AA": 1e8, "nm": 1e7, "um": 1e4}


def wavenumber_grid(start, stop, n, *, unit="cm-1", mode="eslog"):
    """A spectral grid; ``nu`` is always ascending wavenumber [cm^-1].

    Parameters
    ----------
    start, stop : ends of the range in ``unit`` (either order).
    n : number of points (>= 2).
    unit : "cm-1" (wavenumber) or a vacuum wavelength unit: "AA", "nm", "um".
    mode : "eslog" - evenly spaced in ln(nu) (= evenly spaced in ln(wavelength)); the grid
        MODIT and PreMODIT need - or "esl" - evenly spaced in the given unit.

    Returns
    -------
    nu : (n,) ascending wavenumber [cm^-1].
    wavelength : (n,) the same points in ``unit`` (for "cm-1", equal to ``nu``); for
        wavelength units it is descending, point for point with ``nu``.
    resolving_power : for "eslog" the constant R = 1 / d(ln nu); for "esl" the smallest
        nu / d(nu) on the grid.
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
