"""HDF5 cache of parsed line data, keyed by the source files and the reader's settings.

A cache file holds the arrays of one parsed result plus a JSON key (absolute paths, sizes,
modification times, reader name and version, options). It is written to a temporary file
and moved into place with ``os.replace`` (atomic), so readers never see a half-written
cache. A cache that fails to open, lacks arrays or has another key is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import warnings
from collections.abc import Iterable

import h5py
import numpy as np

from jaxstro.linedb._io import create_temp

__all__ = ["cache_dir", "source_key", "load_cached", "store_cached"]

CACHE_FORMAT = 4  # 4: every array in one checksummed byte dataset, one JSON attribute


def cache_dir(cache: bool | str | os.PathLike | None) -> pathlib.Path | None:
    """Folder of the cache: a path, or ``$JAXSTRO_CACHE`` / ``~/.cache/jaxstro/linedb``."""
    if cache is False or cache is None:
        return None
    if cache is True:
        base = os.environ.get("JAXSTRO_CACHE")
        folder = (
            pathlib.Path(base) if base else pathlib.Path.home() / ".cache" / "jaxstro" / "linedb"
        )
    elif isinstance(cache, str | os.PathLike):
        folder = pathlib.Path(cache)
    else:
        raise TypeError(f"cache must be True, False or a folder path; got {cache!r}")
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(
            f"the cache folder {str(folder)!r} is an existing file, not a folder: pass a "
            "folder (created if missing), True for the default cache, or False for none"
        )
    return folder


def source_key(
    files: Iterable[str | os.PathLike], reader: str, version: int, options: dict
) -> dict:
    entries = []
    # abspath + stat, not Path.resolve(): resolving symlinks cost 0.1 ms a file, a fifth of a
    # cached load of a small list
    for f in sorted(os.path.abspath(p) for p in files):
        st = os.stat(f)
        entries.append([f, st.st_size, st.st_mtime_ns])
    return {
        "format": CACHE_FORMAT,
        "reader": reader,
        "version": version,
        "files": entries,
        "options": options,
    }


def _path_for(folder: pathlib.Path, key: dict) -> pathlib.Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return folder / f"{key['reader']}-{digest}.h5"


def load_cached(folder: pathlib.Path | None, key: dict) -> dict | None:
    """The cached arrays for ``key``, or None (missing, other key, or corrupt: then a warning)."""
    if folder is None:
        return None
    path = _path_for(folder, key)
    if not path.exists():
        return None
    if path.is_dir():
        raise IsADirectoryError(
            f"the cache file {str(path)!r} is a folder, not a linedb cache file: remove it or "
            "pass another cache folder (or cache=False)"
        )
    try:
        with h5py.File(path, "r") as h5:
            index = json.loads(h5.attrs["index"])
            if index["key"] != json.loads(json.dumps(key)):
                return None
            # h5py costs ~0.2 ms per dataset read and per attribute, which dominated cached
            # loads of small line lists (1.9 ms for 7 datasets + 3 attributes with the 259-line
            # ExoMol CO sample): all arrays live in one uint8 dataset (fletcher32-checksummed,
            # so corruption is detected) described by one JSON attribute
            blob = h5["blob"][()]
        out = {}
        for name, dtype, shape, offset, nbytes in index["layout"]:
            out[name] = blob[offset : offset + nbytes].view(np.dtype(dtype)).reshape(shape)
        out["__attrs__"] = index["meta"]
        return out
    except (OSError, KeyError, ValueError) as exc:
        warnings.warn(f"cache file {path} is corrupt ({exc}); rebuilding it", stacklevel=3)
        return None


def store_cached(folder: pathlib.Path | None, key: dict, arrays: dict, meta: dict) -> None:
    """Write ``arrays`` and JSON ``meta`` under ``key`` atomically (temp file + os.replace).

    The file gets the permissions of an ordinary new file (0666 minus the umask). A folder
    that cannot be written gives a warning, not an error.
    """
    if folder is None:
        return
    path = _path_for(folder, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = create_temp(folder, path.name + ".", ".tmp")  # umask-honouring, not 0600
    except OSError as exc:  # a read-only shared cache: the parsed result is still returned
        warnings.warn(
            f"cannot write the cache file {path} ({exc}); continuing without caching",
            stacklevel=3,
        )
        return
    os.close(fd)
    try:
        layout, chunks, offset = [], [], 0
        for name, arr in arrays.items():
            arr = np.ascontiguousarray(arr)
            if arr.dtype.kind in "US":
                arr = arr.astype("S")
            raw = arr.reshape(-1).view(np.uint8)
            pad = (-raw.size) % 8  # keep every array 8-byte aligned inside the blob
            layout.append([name, arr.dtype.str, list(arr.shape), offset, raw.size])
            chunks += [raw, np.zeros(pad, np.uint8)]
            offset += raw.size + pad
        blob = np.concatenate(chunks) if chunks else np.zeros(0, np.uint8)
        with h5py.File(tmp, "w") as h5:
            h5.create_dataset("blob", data=blob, fletcher32=True, chunks=(max(blob.size, 1),))
            h5.attrs["index"] = json.dumps(
                {"key": json.loads(json.dumps(key, sort_keys=True)), "meta": meta, "layout": layout}
            )
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
