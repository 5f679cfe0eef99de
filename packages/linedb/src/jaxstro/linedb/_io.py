"""File helpers: existence checks, text decoding with clear errors, validated whitespace tables.

Every error about a file's content is a ``DataFileError`` naming the file and, where a line is
at fault, its 1-based line number.
"""

from __future__ import annotations

import bz2
import io
import os
import pathlib
import secrets
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DataFileError",
    "check_file",
    "read_text",
    "field_counts",
    "check_last_line",
    "read_table",
    "line_error",
    "create_temp",
]


class DataFileError(ValueError):
    """A data file is missing pieces, truncated, corrupt or malformed."""


def check_file(path: str | os.PathLike, what: str) -> pathlib.Path:
    p = pathlib.Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        raise DataFileError(f"{what} {str(p)!r} is not a file")
    return p


def create_temp(folder: str | os.PathLike, prefix: str, suffix: str) -> tuple[int, str]:
    """Create a new empty file with a unique name in ``folder``; return (fd, path).

    Unlike ``tempfile.mkstemp`` (always 0600) the file gets 0666 minus the process umask, the
    permissions an ordinary file gets, so a file renamed into place from it (a shared cache,
    a downloaded database file) is readable by whoever the umask allows.
    """
    for _ in range(100):
        name = os.path.join(os.fspath(folder), f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder}")  # pragma: no cover


def line_error(path, line: int, msg: str) -> DataFileError:
    """``DataFileError("<path>, line <line>: <msg>")``."""
    return DataFileError(f"{path}, line {int(line)}: {msg}")


def read_text(path: pathlib.Path) -> str:
    """Whole text of a plain or ``.bz2`` file with ``\\n`` line ends.

    Truncated/corrupt bz2, non-ASCII bytes and control characters (other than tab and the
    line ends) raise DataFileError (with the line number where one is at fault).
    """
    raw = path.read_bytes()
    if path.suffix == ".bz2":
        try:
            raw = bz2.decompress(raw)
        except (OSError, EOFError, ValueError) as exc:
            raise DataFileError(f"{path} is a truncated or corrupt bz2 file: {exc}") from exc
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    buf = np.frombuffer(raw, dtype=np.uint8)
    bad = (buf >= 127) | ((buf < 32) & (buf != 9) & (buf != 10))
    if np.any(bad):
        pos = int(np.flatnonzero(bad)[0])
        line = raw.count(b"\n", 0, pos) + 1
        raise line_error(
            path, line, f"byte 0x{raw[pos]:02x} is not printable ASCII (not a text data file)"
        )
    return raw.decode("ascii")


def field_counts(text: str) -> np.ndarray:
    """Number of whitespace-separated fields on each line of ``text`` (vectorised).

    ``text`` uses ``\\n`` line ends (``read_text``); a final line without one counts as a line.
    """
    buf = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    n_lines = nl.size + (1 if buf.size and buf[-1] != 10 else 0)
    if n_lines == 0:
        return np.zeros(0, dtype=np.int64)
    sep = (buf == 32) | (buf == 9) | (buf == 10)
    start = ~sep
    start[1:] &= sep[:-1]
    starts = np.flatnonzero(start)
    return np.bincount(np.searchsorted(nl, starts), minlength=n_lines)


def check_last_line(text: str, path, *, strict: bool = False) -> None:
    """DataFileError if the file was cut mid-line.

    ``strict``: the last line must end with a line end (machine-written files such as
    ExoMol's always do). Otherwise a last line without one must not be shorter than the line
    before it (rows written with one fixed-width format, as in HITRAN CIA files, which may lack
    the final line end).
    """
    if not text or text.endswith("\n"):
        return
    body, _, last = text.rpartition("\n")
    if not last.strip():
        return
    if strict:
        raise line_error(
            path,
            text.count("\n") + 1,
            "the file ends in the middle of this line (no line end): truncated file (add the "
            "line end if the file was edited by hand)",
        )
    prev = body.rstrip("\n").rpartition("\n")[2] if body.strip() else ""
    if prev.strip() and len(last) < len(prev):
        raise line_error(
            path,
            text.count("\n") + 1,
            "the file ends in the middle of this line (no line end and shorter than the line "
            "before): truncated file",
        )


def _locate_bad_number(text, path, usecols, names):
    for k, line in enumerate(text.split("\n"), start=1):
        tok = line.split()
        if not tok:
            continue
        for c in usecols:
            try:
                float(tok[c])
            except ValueError:
                raise line_error(
                    path, k, f"{names[c]} (column {c + 1}) {tok[c]!r} is not a number"
                ) from None
    return None


def read_table(
    text: str,
    path,
    *,
    ncols: int | Sequence[int],
    usecols: Sequence[int],
    names: Sequence[str],
    what: str,
    strict_end: bool = True,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated float64 columns of a whitespace-separated table.

    Parameters
    ----------
    text : str
        File content (``read_text``); blank lines are skipped.
    path : path-like
        The file, for messages.
    ncols : int or sequence of int
        The number of columns every row must have, or the allowed counts: then the most
        common count in the file is the layout and every row must have it.
    usecols : sequence of int
        Columns to convert to float64 (they must all parse; NaN/inf are returned as read).
    names : sequence of str
        Column names (for messages), at least ``max(usecols) + 1`` of them.
    what : str
        Kind of file, e.g. "ExoMol .trans", for messages.
    strict_end : bool
        The file must end with a line end (``check_last_line``).

    Returns
    -------
    values : np.ndarray
        (n_rows, len(usecols)) float64.
    lines : np.ndarray
        (n_rows,) 1-based line number of each row.
    ncols : int
        The column count of the rows.

    Raises
    ------
    DataFileError
        Naming the file and line: a row with another number of columns, a field that is not a
        number, a file cut mid-line, or no rows at all.
    """
    counts = field_counts(text)
    rows = counts > 0
    if not np.any(rows):
        raise DataFileError(f"{path} holds no data rows (empty {what} file)")
    if isinstance(ncols, int):
        want = ncols
    else:
        want = int(np.bincount(counts[rows]).argmax())
        if want not in ncols:
            raise DataFileError(
                f"{path}: {what} rows have {want} columns; expected {' or '.join(map(str, ncols))}"
            )
    off = np.flatnonzero(rows & (counts != want))
    if off.size:
        k = int(off[0])
        raise line_error(
            path,
            k + 1,
            f"{counts[k]} columns where the {what} rows have {want} "
            f"({', '.join(names[:want])}{', ...' if len(names) < want else ''}): "
            "a missing or extra column, or a garbage line",
        )
    check_last_line(text, path, strict=strict_end)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.loadtxt(
                io.StringIO(text),
                dtype=np.float64,
                comments=None,
                usecols=tuple(usecols),
                ndmin=2,
            )
    except ValueError as exc:
        _locate_bad_number(text, path, usecols, names)
        raise DataFileError(f"{path}: malformed {what} file ({exc})") from exc
    lines = np.flatnonzero(rows) + 1
    if values.shape[0] != lines.size:  # pragma: no cover - loadtxt and the counts disagree
        raise DataFileError(f"{path}: could not split the {what} file into rows")
    return values, lines, want


def require(path, lines: np.ndarray, bad: np.ndarray, msg: str, values=None) -> None:
    """Raise ``line_error`` at the first ``bad`` row (``msg`` may use ``{value}``)."""
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        v = None if values is None else values[k].item()
        raise line_error(path, lines[k], msg.format(value=v))
