"""One entry point for the three cross-section methods."""

from __future__ import annotations

from typing import Any

from jax.typing import ArrayLike

from jaxstro.linedb import LineList
from jaxstro.opacity._lpf import LPFCalculator, prepare_lpf
from jaxstro.opacity._modit import MODITCalculator, prepare_modit
from jaxstro.opacity._premodit import PreMODITCalculator, prepare_premodit

__all__ = ["make_calculator", "METHODS"]

METHODS = {"lpf": prepare_lpf, "modit": prepare_modit, "premodit": prepare_premodit}


def make_calculator(
    lines: LineList, nu_grid: ArrayLike, method: str = "premodit", **options: Any
) -> LPFCalculator | MODITCalculator | PreMODITCalculator:
    """Prepare a cross-section calculator for ``lines`` on ``nu_grid`` (done once).

    Parameters
    ----------
    lines : jaxstro.linedb.LineList
        Lines with strengths at ``lines.t_ref_k``; HITRAN strengths carry the isotopic
        abundance, ExoMol ones do not (``lines.abundance`` is 1 there): the calculators use
        ``strength_ref * abundance``, i.e. cross sections per molecule of the *mixture* for
        HITRAN and per molecule of the isotopologue for ExoMol.
    nu_grid : ArrayLike
        (n,) strictly increasing wavenumbers [cm^-1]; MODIT and PreMODIT need an ESLOG
        grid (``wavenumber_grid`` with ``mode="eslog"``).
    method : str
        "lpf", "modit" or "premodit":

        * "lpf": direct line-by-line sum (exact to the Voigt function's 1e-8); cost and
          memory grow with lines x grid points. Options: ``chunk`` (lines per block, 256),
          ``pressure_shift``.
        * "modit": per-line strengths and widths at run time, spread over Lorentz-width
          classes (``gamma_resolution``, step in ln gamma, 0.2) and convolved with analytic
          Voigt kernels by FFT. Options: ``gamma_resolution``, ``oversample``,
          ``t_min_k`` (coldest temperature the automatic ``oversample`` resolves, 300 K),
          ``isotopologue_doppler``, ``pressure_shift``.
        * "premodit": precomputed, sparse line-shape density; no per-line work at run time.
          Options: ``robust_range`` ((300, 3000) K: strengths exact at both ends, within
          ``elower_tolerance`` (1e-3) in between; evaluation outside raises),
          ``elower_tolerance``, ``gamma_resolution`` (0.2), ``n_resolution`` (0.2),
          ``oversample``, ``isotopologue_doppler``. No pressure shift.
    **options
        The method's options above, and for every method ``margin_cm1``: lines centred up to
        this far [cm^-1] outside the grid contribute (full Voigt wings, no cut-off); 25;
        ``dtype``: float dtype of the prepared tables, by default that of ``nu_grid`` when it
        is a floating JAX/numpy array (float64 needs ``jax_enable_x64``), else JAX's default
        float.

    Returns
    -------
    LPFCalculator or MODITCalculator or PreMODITCalculator
        A pytree with ``xsvector(t_k, p_bar) -> (n,)`` and
        ``xsmatrix(t_layers, p_layers) -> (n_layers, n)`` cross sections [cm^2/molecule],
        jit-, vmap- and grad-safe in temperature [K] and pressure [bar]. Out of range (T
        outside the partition-function table, or for PreMODIT outside ``robust_range``;
        P <= 0; NaN or inf): concrete values raise ``ValueError``, traced values give NaN,
        and ``calc.with_checks()`` raises from inside jit too (the package's out-of-range
        policy).

    Raises
    ------
    TypeError
        ``lines`` is not a ``jaxstro.linedb.LineList``, or an option the method does not
        take.
    ValueError
        Unknown ``method``, an empty line list or none within ``margin_cm1`` of the grid, a
        ``nu_grid`` that is not strictly increasing
        (or, for MODIT/PreMODIT, not ESLOG), or an option out of its range.

    Notes
    -----
    Common to MODIT and PreMODIT: lines on the grid (or within a buffer of a few Doppler
    cores of it) are convolved on a grid refined ``oversample`` times so that the narrowest
    Doppler width spans >= 3 steps (None = automatic); lines farther out, whose wings reach
    in, are convolved on a 4x coarser grid and interpolated. The Doppler width
    uses the strength-weighted mean isotopologue mass unless ``isotopologue_doppler=True``
    (one Doppler class per isotopologue, costs one FFT column each).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}; got {method!r}")
    return METHODS[method](lines, nu_grid, **options)
