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
        Naming the argument: ``unit`` or ``mode`` is unknown; ``n`` is not an integer >= 2
        (NaN, inf and bool included); ``start`` or ``stop`` is not a positive finite number;
        they are equal; or the grid cannot be represented as ``n`` distinct finite float64
        wavenumbers (a range narrower than the float64 spacing, an overflow).
    """
    if not isinstance(unit, str) or unit not in UNITS:
        raise ValueError(f"unit must be one of {list(UNITS)}; got {unit!r}")
    if not isinstance(mode, str) or mode not in ("eslog", "esl"):
        raise ValueError(f"mode must be 'eslog' or 'esl'; got {mode!r}")
    n = _count(n)
    lo, hi = sorted((_end("start", start, unit), _end("stop", stop, unit)))
    if not hi > lo:
        raise ValueError(
            f"start and stop must be distinct (the range is empty); got start={start!r}, "
            f"stop={stop!r} [{unit}]"
        )
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
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
    # the ends are fine but the points are not representable as n distinct finite values
    # (a range narrower than n float64 steps, or wavenumbers beyond float64's range)
    finite = np.all(np.isfinite(nu)) and np.all(np.isfinite(wav)) and np.isfinite(r)
    if not (finite and np.all(np.diff(nu) > 0) and r > 0):
        raise ValueError(
            f"start={start!r}, stop={stop!r} [{unit}] with n={n} do not give {n} distinct "
            "finite float64 wavenumbers; widen the range or use fewer points"
        )
    return nu, wav, float(r)


def _count(n) -> int:
    """``n`` as an int >= 2 (an integral float is accepted; bool, NaN, inf are not)."""
    ok = isinstance(n, (int, np.integer, float, np.floating)) and not isinstance(n, bool)
    if ok:
        ok = bool(np.isfinite(n)) and int(n) == n and n >= 2
    if not ok:
        raise ValueError(f"n must be an integer >= 2 (number of points); got {n!r}")
    return int(n)


def _end(name: str, value, unit: str) -> float:
    """An end of the range as a positive finite float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a positive finite number [{unit}]; got {value!r}"
        ) from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive finite number [{unit}]; got {value!r}")
    return v
