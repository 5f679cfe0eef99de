"""File helpers: existence checks, bz2 decompression with clear errors, line validation."""

from __future__ import annotations

import bz2
import os
import pathlib

__all__ = ["check_file", "read_text", "DataFileError"]


class DataFileError(ValueError):
    """A data file is missing pieces, truncated, corrupt or malformed."""


def check_file(path: str | os.PathLike, what: str) -> pathlib.Path:
    p = pathlib.Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        raise DataFileError(f"{what} {str(p)!r} is not a file")
    return p


def read_text(path: pathlib.Path) -> str:
    """Whole text of a plain or ``.bz2`` file; truncated/corrupt bz2 raises DataFileError."""
    raw = path.read_bytes()
    if path.suffix == ".bz2":
        try:
            raw = bz2.decompress(raw)
        except (OSError, EOFError, ValueError) as exc:
            raise DataFileError(f"{path} is a truncated or corrupt bz2 file: {exc}") from exc
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path} is not a text file ({exc})") from exc


def write_temp_copy(text: str, suffix: str, folder: str | os.PathLike) -> pathlib.Path:
    p = pathlib.Path(folder) / f"data{suffix}"
    p.write_text(text)
    return p
