"""Collision-induced absorption tables: HITRAN ``.cia`` and Borysow-style ``@TEMPERATURES``."""

from __future__ import annotations

import os

import numpy as np

from jaxstro.linedb._containers import CIATable
from jaxstro.linedb._io import DataFileError, check_file, check_last_line, line_error, read_text

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
        and temperatures are sorted ascending (``@TEMPERATURES`` may span several lines).
        A file that ends mid-line (no final line end and a last line shorter than the one
        before) is reported as truncated.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataFileError
        Naming the file and (where one is at fault) the line: a corrupt bz2 file, a
        malformed block header or data row (not a number, NaN or inf, a missing or extra
        column), a truncated block or file, no block, blocks of different pairs, a repeated
        wavenumber or temperature; a Borysow table with an unknown or repeated ``@``
        section, lacking ``@TEMPERATURES`` / ``@DATA``, or with rows of the wrong width.
        ``DataFileError`` is a ``ValueError``.
    """
    path = check_file(path, "CIA file")
    text = read_text(path)
    if "@DATA" in text:
        return _read_borysow(text, path)
    return _read_hitran_cia(text, path)


def _numbers(tokens, path, k, what):
    try:
        vals = [float(v) for v in tokens]
    except ValueError:
        raise line_error(path, k, f"malformed {what}: {' '.join(tokens)!r}") from None
    if not all(np.isfinite(vals)):
        raise line_error(path, k, f"{what} holds NaN or inf: {' '.join(tokens)!r}")
    return vals


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _read_hitran_cia(text, path) -> CIATable:
    check_last_line(text, path)
    lines = text.split("\n")
    blocks, i, pair = [], 0, None
    while i < len(lines):
        head = lines[i].split()
        if not head:
            i += 1
            continue
        try:
            if _is_number(head[0]):
                raise ValueError("a data row where a block header is expected")
            pair_i, n, temp = head[0], int(head[3]), float(head[4])
            float(head[1]), float(head[2])
        except (IndexError, ValueError) as exc:
            raise line_error(
                path, i + 1, f"malformed CIA block header (pair, nu_min, nu_max, rows, T): {exc}"
            ) from exc
        if n <= 0 or not (np.isfinite(temp) and temp > 0):
            raise line_error(path, i + 1, f"CIA block header announces {n} rows at T = {temp} K")
        if pair is not None and pair_i != pair:
            raise line_error(path, i + 1, f"a {pair_i} block in a {pair} file")
        pair = pair_i
        rows = lines[i + 1 : i + 1 + n]
        if len(rows) < n or (len(rows) == n and i + 1 + n == len(lines) and not rows[-1]):
            got = len([r for r in rows if r.strip()])
            raise DataFileError(
                f"{path}: block at line {i + 1} ({temp} K) announces {n} rows but "
                f"only {got} follow (truncated file)"
            )
        width, arr = None, np.empty((n, 2))
        for j, r in enumerate(rows):
            tok = r.split()
            width = width or len(tok)
            if len(tok) != width or width not in (2, 3):
                raise line_error(
                    path,
                    i + 2 + j,
                    f"{len(tok)} columns in a CIA block whose rows have "
                    f"{width if width in (2, 3) else 2} (wavenumber, coefficient)",
                )
            arr[j] = _numbers(tok[:2], path, i + 2 + j, "CIA data row")
        x, y = arr[:, 0], arr[:, 1]
        srt = np.argsort(x, kind="stable")  # a block listed in descending wavenumber
        x, y = x[srt], y[srt]
        if np.any(np.diff(x) <= 0):
            j = int(srt[np.flatnonzero(np.diff(x) <= 0)[0] + 1])
            raise line_error(path, i + 2 + j, f"the block at line {i + 1} repeats a wavenumber")
        blocks.append((temp, x, y, i + 1))
        i += 1 + n
    if not blocks:
        raise DataFileError(f"{path} holds no CIA blocks")
    nu = np.unique(np.concatenate([b[1] for b in blocks]))
    temps = np.array([b[0] for b in blocks])
    if np.unique(temps).size != temps.size:
        raise DataFileError(f"{path}: two CIA blocks at the same temperature {sorted(temps)}")
    order = np.argsort(temps, kind="stable")
    coeff = np.zeros((len(blocks), nu.size))
    for k, (_, x, y, _) in enumerate(blocks):
        inside = (nu >= x[0]) & (nu <= x[-1])
        coeff[k, inside] = np.interp(nu[inside], x, np.maximum(y, 0.0))
    return CIATable(nu_cm1=nu, t_k=temps[order], coeff=coeff[order], pair=str(pair))


_SECTIONS = ("SPECIES", "TEMPERATURES", "DATA")


def _read_borysow(text, path) -> CIATable:
    check_last_line(text, path)
    sec, species, temps, rows, row_lines, seen = None, None, [], [], [], set()
    for k, ln in enumerate(text.split("\n"), start=1):
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("@"):
            name = s[1:].strip().upper()
            if name not in _SECTIONS:
                raise line_error(
                    path, k, f"unknown section {s!r} (expected @{', @'.join(_SECTIONS)})"
                )
            if name in seen:
                raise line_error(path, k, f"section {s!r} appears twice")
            seen.add(name)
            sec = name
            continue
        if sec is None:
            raise line_error(path, k, "text before the first @SPECIES/@TEMPERATURES/@DATA section")
        if sec == "SPECIES":
            if species is not None:
                raise line_error(path, k, "@SPECIES holds one line (the two species)")
            species = "-".join(s.split())
        elif sec == "TEMPERATURES":
            temps.extend(_numbers(s.split(), path, k, "temperature"))
        else:
            rows.append(_numbers(s.split(), path, k, "@DATA row"))
            row_lines.append(k)
    if not temps or not rows:
        raise DataFileError(f"{path}: missing @TEMPERATURES or @DATA section")
    temps = np.array(temps)
    if np.any(temps <= 0):
        raise DataFileError(f"{path}: @TEMPERATURES holds a temperature <= 0: {temps.tolist()}")
    for r, k in zip(rows, row_lines, strict=True):
        if len(r) != temps.size + 1:
            raise line_error(
                path,
                k,
                f"@DATA rows must have {temps.size + 1} columns (wavenumber + one per "
                f"temperature); this one has {len(r)}",
            )
    arr = np.array(rows)
    row_lines = np.array(row_lines)
    # the container is ascending in both axes: sort rows and temperature columns
    srt = np.argsort(arr[:, 0], kind="stable")
    arr, row_lines = arr[srt], row_lines[srt]
    t_order = np.argsort(temps, kind="stable")
    rep = np.flatnonzero(np.diff(arr[:, 0]) <= 0)
    if rep.size:
        raise line_error(path, row_lines[rep[0] + 1], "repeated wavenumber in the table")
    if np.any(np.diff(temps[t_order]) <= 0):
        raise DataFileError(f"{path}: repeated temperature in the table {temps.tolist()}")
    return CIATable(
        nu_cm1=arr[:, 0],
        t_k=temps[t_order],
        coeff=arr[:, 1:][:, t_order].T / LOSCHMIDT_CM3**2,
        pair=species or "unknown",
    )
