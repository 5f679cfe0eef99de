"""Partition functions: ExoMol ``.pf`` tables and HITRAN TIPS (through radis/hapi)."""

from __future__ import annotations

import functools
import os
import pathlib

import numpy as np

from jaxstro.linedb._io import DataFileError, line_error, read_table, read_text, require

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
    """(T [K], Q), both (n_T,), T ascending, from an ExoMol ``.pf`` file (plain or ``.bz2``).

    Rows may be in any order (they are sorted by T). Raises ``DataFileError`` (a
    ``ValueError``) naming the file and line if a row does not have two numbers, T is not
    finite and positive or repeats, Q is not finite and positive, the file is cut mid-line,
    or it has fewer than two rows.
    """
    path = pathlib.Path(path)
    vals, lines, _ = read_table(
        read_text(path), path, ncols=2, usecols=(0, 1), names=("T", "Q"), what="ExoMol .pf"
    )
    t, q = vals.T
    require(path, lines, ~(np.isfinite(t) & (t > 0)), "T {value!r} is not finite and > 0", t)
    require(path, lines, ~(np.isfinite(q) & (q > 0)), "Q {value!r} is not finite and > 0", q)
    order = np.argsort(t, kind="stable")
    rep = np.flatnonzero(np.diff(t[order]) == 0)
    if rep.size:
        k = int(order[rep[0] + 1])
        raise line_error(path, lines[k], f"temperature {t[k]:g} K appears twice")
    if t.size < 2:
        raise DataFileError(f"{path} holds {t.size} row; a partition-function table needs 2")
    return t[order], q[order]
