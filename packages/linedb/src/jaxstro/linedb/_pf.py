"""Partition functions: ExoMol ``.pf`` tables and HITRAN TIPS (through radis/hapi)."""

from __future__ import annotations

import functools
import os
import pathlib

import numpy as np

__all__ = ["tips_table", "read_exomol_pf"]


@functools.lru_cache(maxsize=64)
def tips_table(molecule_id: int, isotope_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Tabulate TIPS Q(T) for a HITRAN (molecule, isotopologue): 1 K steps to 1000 K, then 10 K.

    Returns (T [K], Q), both of shape (n_T,); raises ValueError if TIPS lacks the species.

    Linear interpolation of this table reproduces TIPS to better than 1e-4 relative (TIPS
    itself is tabulated at 1 K and interpolated). Uses radis' ``PartFuncTIPS`` (hapi).
    """
    from radis.levels.partfunc import PartFuncTIPS

    pf = PartFuncTIPS(molecule_id, isotope_id, verbose=False)

    def ok(t):
        try:
            return np.isfinite(pf.at(float(t)))
        except Exception:  # radis raises its own OutOfBoundError
            return False

    lo, hi = 1000.0, 20000.0
    if not ok(lo):
        raise ValueError(
            f"TIPS has no partition function for molecule {molecule_id}, "
            f"isotopologue {isotope_id} at 1000 K"
        )
    while hi - lo > 1.0:  # bisection for the table's upper end
        mid = np.floor(0.5 * (lo + hi))
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    t = np.concatenate([np.arange(1.0, 1000.0), np.arange(1000.0, lo, 10.0), [lo]])
    q = np.array([pf.at(float(v)) for v in t])
    return t, q


def read_exomol_pf(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(T [K], Q), both (n_T,), from an ExoMol ``.pf`` file (radis' reader), validated.

    Raises ValueError (not DataFileError) if the file does not parse, T is not increasing
    or Q is not finite and positive.
    """
    from radis.api.exomolapi import read_pf

    try:
        df = read_pf(pathlib.Path(path))
        t = np.asarray(df["T"], dtype=np.float64)
        q = np.asarray(df["QT"], dtype=np.float64)
    except Exception as exc:
        raise ValueError(f"cannot parse partition-function file {path}: {exc}") from exc
    if t.size < 2 or not np.all(np.diff(t) > 0) or not np.all(np.isfinite(q)) or np.any(q <= 0):
        raise ValueError(
            f"partition-function file {path} is malformed (T not increasing or Q not positive)"
        )
    return t, q
