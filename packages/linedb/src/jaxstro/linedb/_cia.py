"""Collision-induced absorption tables: HITRAN ``.cia`` and Borysow-style ``@TEMPERATURES``."""

from __future__ import annotations

import os

import numpy as np

from jaxstro.linedb._containers import CIATable
from jaxstro.linedb._io import DataFileError, check_file, read_text

__all__ = ["read_cia", "LOSCHMIDT_CM3"]

LOSCHMIDT_CM3: float = 2.6867811e19
"""Loschmidt number [cm^-3]: the number density of an ideal gas at 273.15 K and 1 atm
(1 amagat)."""


def read_cia(path: str | os.PathLike) -> CIATable:
    """Read collision-induced absorption coefficients [cm^5 molecule^-2].

    Two layouts are accepted: HITRAN ``.cia`` (one header line per temperature block, blocks
    possibly on different wavenumber grids; they are merged onto the union grid, zero outside a
    block's own range) and the Borysow-style table with ``@SPECIES``, ``@TEMPERATURES`` and
    ``@DATA`` sections in cm^-1 amagat^-2 (converted by dividing by the Loschmidt number squared).
    A block with fewer rows than its header announces is reported as truncated.

    Parameters
    ----------
    path : str or os.PathLike
        The table, plain or bz2-compressed; a file containing ``@DATA`` is read as the
        Borysow layout, any other as HITRAN ``.cia``.

    Returns
    -------
    CIATable
        ``nu_cm1`` (n_nu,) [cm^-1], ``t_k`` (n_T,) ascending [K], ``coeff`` (n_T, n_nu)
        [cm^5 molecule^-2] and the collision ``pair`` (e.g. "H2-H2"; "unknown" for a
        Borysow table without ``@SPECIES``). HITRAN layout: ``nu_cm1`` is the sorted union of
        the blocks' grids and negative coefficients are clipped to 0. Borysow layout: rows
        are kept in file order (``nu_cm1`` ascending if the file's is), temperatures in the
        order of ``@TEMPERATURES``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataFileError
        If the file is a corrupt bz2 file, a block header or data row is malformed, a block
        is truncated, no block is found, or a Borysow table lacks ``@TEMPERATURES`` /
        ``@DATA`` or has rows of the wrong width.
    ValueError
        If a number in a Borysow table does not parse (``DataFileError`` is a subclass of
        ``ValueError``, so ``except ValueError`` catches every malformed-file error).
    """
    path = check_file(path, "CIA file")
    text = read_text(path)
    if "@DATA" in text:
        return _read_borysow(text, path)
    return _read_hitran_cia(text, path)


def _read_hitran_cia(text, path) -> CIATable:
    lines = text.splitlines()
    blocks, i, pair = [], 0, None
    while i < len(lines):
        head = lines[i].split()
        if not head:
            i += 1
            continue
        try:
            pair_i, n, temp = head[0], int(head[3]), float(head[4])
        except (IndexError, ValueError) as exc:
            raise DataFileError(f"{path}, line {i + 1}: malformed CIA block header") from exc
        pair = pair or pair_i
        rows = lines[i + 1 : i + 1 + n]
        if len(rows) < n:
            raise DataFileError(
                f"{path}: block at line {i + 1} ({temp} K) announces {n} rows but "
                f"only {len(rows)} follow (truncated file)"
            )
        try:
            arr = np.array([[float(v) for v in r.split()[:2]] for r in rows])
        except ValueError as exc:
            raise DataFileError(f"{path}: malformed data row in the block at line {i + 1}") from exc
        if arr.shape != (n, 2):
            raise DataFileError(f"{path}: block at line {i + 1} has rows without two columns")
        x, y = arr[:, 0], arr[:, 1]
        srt = np.argsort(x, kind="stable")  # a block listed in descending wavenumber
        x, y = x[srt], y[srt]
        if np.any(np.diff(x) <= 0):
            raise DataFileError(f"{path}: block at line {i + 1} repeats a wavenumber")
        blocks.append((temp, x, y))
        i += 1 + n
    if not blocks:
        raise DataFileError(f"{path} holds no CIA blocks")
    nu = np.unique(np.concatenate([b[1] for b in blocks]))
    temps = np.array([b[0] for b in blocks])
    if np.unique(temps).size != temps.size:
        raise DataFileError(f"{path}: two CIA blocks at the same temperature {sorted(temps)}")
    order = np.argsort(temps, kind="stable")
    coeff = np.zeros((len(blocks), nu.size))
    for k, (_, x, y) in enumerate(blocks):
        inside = (nu >= x[0]) & (nu <= x[-1])
        coeff[k, inside] = np.interp(nu[inside], x, np.maximum(y, 0.0))
    return CIATable(nu_cm1=nu, t_k=temps[order], coeff=coeff[order], pair=str(pair))


def _read_borysow(text, path) -> CIATable:
    sec, species, temps, rows = None, None, None, []
    for ln in text.splitlines():
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("@"):
            sec = s[1:].upper()
            continue
        if sec == "SPECIES":
            species = "-".join(s.split())
        elif sec == "TEMPERATURES":
            temps = np.array([float(v) for v in s.split()])
        elif sec == "DATA":
            rows.append([float(v) for v in s.split()])
    if temps is None or not rows:
        raise DataFileError(f"{path}: missing @TEMPERATURES or @DATA section")
    widths = {len(r) for r in rows}
    if widths != {temps.size + 1}:
        raise DataFileError(
            f"{path}: @DATA rows must have {temps.size + 1} columns "
            f"(wavenumber + one per temperature); found {sorted(widths)}"
        )
    arr = np.array(rows)
    # the container is ascending in both axes: sort rows and temperature columns
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    t_order = np.argsort(temps, kind="stable")
    if np.any(np.diff(arr[:, 0]) <= 0) or np.any(np.diff(temps[t_order]) <= 0):
        raise DataFileError(f"{path}: repeated wavenumber or temperature in the table")
    return CIATable(
        nu_cm1=arr[:, 0],
        t_k=temps[t_order],
        coeff=arr[:, 1:][:, t_order].T / LOSCHMIDT_CM3**2,
        pair=species or "unknown",
    )
