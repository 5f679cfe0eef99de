"""Simple-stellar-population (SSP) grids: the HDF5 layout shared with DSPS."""

from __future__ import annotations

import importlib.resources
import os
from importlib.resources.abc import Traversable
from typing import NamedTuple

import h5py
import numpy as np

__all__ = ["SSPGrid", "load_ssp", "default_ssp_path"]

# L_nu of one solar mass formed, in L_sun/Hz, lies within these bounds for every SSP library
# we know (BC03, FSPS, MILES); a file in erg/s/Hz (x3.8e33) or per Angstrom falls outside.
_FLUX_RANGE = (1e-30, 1e-6)
_WAVE_RANGE_AA = (10.0, 1e8)


class SSPGrid(NamedTuple):
    """A tabulated SSP library (a pytree of arrays).

    Attributes
    ----------
    wave_aa : np.ndarray
        (n_wave,) rest-frame wavelength [Angstrom], strictly increasing.
    lg_age_gyr : np.ndarray
        (n_age,) log10 of the population age [log10 Gyr], strictly increasing.
    lgmet : np.ndarray
        (n_met,) log10 of the absolute metallicity Z (Z_sun = 0.02 for BC03), increasing.
    flux : np.ndarray
        (n_met, n_age, n_wave) L_nu per solar mass formed [L_sun / Hz / M_sun].
    surviving_mass_frac : np.ndarray
        (n_met, n_age) stellar mass left per solar mass formed (dimensionless, in (0, 1]).
    """

    wave_aa: np.ndarray
    lg_age_gyr: np.ndarray
    lgmet: np.ndarray
    flux: np.ndarray
    surviving_mass_frac: np.ndarray


def default_ssp_path() -> Traversable:
    """Path of the packaged BC03 (2016 update, MILES, Kroupa IMF) grid.

    Returns
    -------
    importlib.resources.abc.Traversable
        ``ssp_bc03_miles_kroupa.h5`` in the package's ``data`` folder (a ``pathlib.Path``
        for an ordinary install).
    """
    return importlib.resources.files("jaxstro.sedphys") / "data" / "ssp_bc03_miles_kroupa.h5"


def _strictly_increasing(name, x, path):
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or not np.all(np.diff(x) > 0):
        raise ValueError(
            f"SSP file {path}: {name} must be a finite, strictly increasing 1-D array; "
            f"got shape {x.shape} with values {x[:3]}...{x[-3:]}"
        )


def load_ssp(path: str | os.PathLike | Traversable | None = None) -> SSPGrid:
    """Read an SSP grid from HDF5 (``ssp_wave``, ``ssp_lg_age_gyr``, ``ssp_lgmet``, ``ssp_flux``,
    ``ssp_surviving_mass_frac``); the packaged BC03 grid when ``path`` is None.

    DSPS-format files load too: they have no ``ssp_surviving_mass_frac`` (then every formed
    solar mass is taken to survive, with a warning). Shapes, ordering and units are checked:
    wavelengths in Angstrom, fluxes in L_sun/Hz per solar mass formed (a file stating other
    units in its ``flux_units``/``wave_units`` attributes, or whose values are off by the
    L_sun or Angstrom-to-Hz factors, is rejected). The arrays are float64 numpy; cast with
    ``jax.tree.map`` for float32 work.

    Parameters
    ----------
    path : str, os.PathLike or None
        HDF5 file; None for ``default_ssp_path()``.

    Returns
    -------
    SSPGrid
        float64 numpy arrays: ``wave_aa`` [Angstrom], ``lg_age_gyr`` [log10 Gyr], ``lgmet``,
        ``flux`` [L_sun / Hz / M_sun], ``surviving_mass_frac``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not readable HDF5, lacks a dataset, states other units, has
        non-increasing axes, a flux of the wrong shape, negative or non-finite values, values
        outside the expected L_sun/Hz or Angstrom ranges, or surviving fractions outside
        (0, 1].

    Warns
    -----
    UserWarning
        If the file has no ``ssp_surviving_mass_frac`` (DSPS layout).
    """
    import warnings

    path = default_ssp_path() if path is None else path
    if not os.path.exists(str(path)):
        raise FileNotFoundError(f"load_ssp: path {str(path)!r} does not exist")
    try:
        with h5py.File(str(path), "r") as h5:
            missing = [
                k for k in ("ssp_wave", "ssp_lg_age_gyr", "ssp_lgmet", "ssp_flux") if k not in h5
            ]
            if missing:
                raise ValueError(
                    f"SSP file {path} lacks dataset(s) {missing}; expected ssp_wave, "
                    "ssp_lg_age_gyr, ssp_lgmet, ssp_flux (and ssp_surviving_mass_frac)"
                )
            wave = np.asarray(h5["ssp_wave"][()], np.float64)
            lg_age = np.asarray(h5["ssp_lg_age_gyr"][()], np.float64)
            lgmet = np.asarray(h5["ssp_lgmet"][()], np.float64)
            flux = np.asarray(h5["ssp_flux"][()], np.float64)
            smf = (
                np.asarray(h5["ssp_surviving_mass_frac"][()], np.float64)
                if "ssp_surviving_mass_frac" in h5
                else None
            )
            attrs = {k: str(v) for k, v in h5.attrs.items()}
    except OSError as exc:
        raise ValueError(f"SSP file {path} is not a readable HDF5 file ({exc})") from exc

    wave_units = attrs.get("wave_units", "Angstrom").lower()
    if not wave_units.startswith(("angstrom", "aa", "å")):
        raise ValueError(f"SSP file {path}: wave_units {attrs['wave_units']!r}; need Angstrom")
    flux_units = attrs.get("flux_units", "L_sun / Hz").replace(" ", "").lower()
    if not flux_units.startswith("l_sun/hz"):
        raise ValueError(
            f"SSP file {path}: flux_units {attrs['flux_units']!r}; need L_sun / Hz per M_sun formed"
        )
    for name, x in [("ssp_wave", wave), ("ssp_lg_age_gyr", lg_age), ("ssp_lgmet", lgmet)]:
        if name == "ssp_lgmet" and x.size == 1:
            continue
        _strictly_increasing(name, x, path)
    shape = (lgmet.size, lg_age.size, wave.size)
    if flux.shape != shape:
        raise ValueError(
            f"SSP file {path}: ssp_flux has shape {flux.shape}; expected (n_met, n_age, n_wave) "
            f"= {shape}"
        )
    if not (_WAVE_RANGE_AA[0] <= wave[0] and wave[-1] <= _WAVE_RANGE_AA[1]):
        raise ValueError(
            f"SSP file {path}: ssp_wave spans {wave[0]:g}-{wave[-1]:g}; expected Angstrom "
            f"within {_WAVE_RANGE_AA}"
        )
    if not np.all(np.isfinite(flux)) or np.any(flux < 0):
        raise ValueError(f"SSP file {path}: ssp_flux has negative or non-finite values")
    peak = flux.max()
    if not (_FLUX_RANGE[0] < peak < _FLUX_RANGE[1]):
        raise ValueError(
            f"SSP file {path}: ssp_flux peaks at {peak:.3g}, outside {_FLUX_RANGE} expected for "
            "L_sun/Hz per M_sun formed (erg/s/Hz or per-Angstrom units?)"
        )
    if smf is None:
        warnings.warn(
            f"SSP file {path} has no ssp_surviving_mass_frac (DSPS layout): surviving stellar "
            "mass is taken equal to the mass formed",
            stacklevel=2,
        )
        smf = np.ones(shape[:2])
    if smf.shape != shape[:2] or not np.all((smf > 0) & (smf <= 1.0 + 1e-6)):
        raise ValueError(
            f"SSP file {path}: ssp_surviving_mass_frac must have shape {shape[:2]} with values "
            f"in (0, 1]; got shape {smf.shape}"
        )
    return SSPGrid(wave, lg_age, lgmet, flux, smf)
