"""Resumable on-disk output of ``fit_many``: one Parquet part per chunk plus a manifest.

Layout of ``out_dir``::

    _manifest.json         settings, fingerprints of data and init, column layout, finished chunks
    part-00000.parquet    chunk 0: objects [0, chunk_size), one row per object, column "object"
    part-00001.parquet    ...

Every file is written to a temporary name in ``out_dir`` and moved into place with
``os.replace`` (atomic on POSIX), so a killed job leaves whole files or none. Each part also
carries the run's fingerprint and its object range in its Parquet metadata, so a part written
just before a kill (the manifest not yet updated) is recognised and kept. A part whose bytes
differ from the manifest's SHA-256, that pyarrow cannot read, or whose rows are not its
chunk's objects is recomputed, never loaded.

The pieces (``PartStore``, ``fingerprint``) take no JAX objects and run on any process: the
Dask executor (issue 14) writes parts from workers with ``PartStore.write_part`` and keeps the
manifest on the client.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
import numpy as np

__all__ = ["PartStore", "fingerprint", "read_fit_parts"]

MANIFEST = "_manifest.json"  # "_": skipped by pyarrow / Spark when reading the directory
_FORMAT = 1
_META_KEY = b"jaxstro.fit_many"
_SPLIT_ENTRIES = ("params",)  # per-object arrays written as one scalar column per element


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:  # pragma: no cover  (pyarrow is in the test extra)
        raise ImportError(
            "fit_many(..., out_dir=...) and read_fit_parts need pyarrow: "
            "pip install 'jaxstro-infer-utils[catalog]'"
        ) from err
    return pa, pq


def _hash_tree(tree) -> str:
    """SHA-256 of a pytree of arrays: structure, and every leaf's dtype, shape and bytes."""
    h = hashlib.sha256()
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    h.update(str(treedef).encode())
    for leaf in leaves:
        a = np.ascontiguousarray(leaf)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.view(np.uint8).reshape(-1) if a.size else b"")
    return h.hexdigest()


def fingerprint(data: Any, init: Any) -> dict[str, str]:
    """``{"data_sha256", "init_sha256"}`` of the (checked, per-object) data and starts."""
    return {"data_sha256": _hash_tree(data), "init_sha256": _hash_tree(init)}


def _atomic_write(directory: Path, name: str, write) -> Path:
    """``write(tmp_path)`` then ``os.replace`` onto ``directory / name``."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return directory / name


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _key_json(k) -> list:
    tu = jax.tree_util
    if isinstance(k, tu.DictKey):
        return ["dict", k.key if isinstance(k.key, int | str) else str(k.key)]
    if isinstance(k, tu.SequenceKey):
        return ["seq", k.idx]
    if isinstance(k, tu.GetAttrKey):
        return ["attr", k.name]
    return ["other", str(k)]


def _base_name(path_json) -> str:
    return ".".join(str(k[1]) for k in path_json)


def _layout(out_one: Mapping[str, Any]) -> list[dict]:
    """Column layout of a chunk's output, from one object's slice ``{entry: pytree}``."""
    specs = []
    for entry in sorted(out_one):
        for path, leaf in jax.tree_util.tree_flatten_with_path(out_one[entry])[0]:
            leaf = np.asarray(leaf)
            path_json = [_key_json(k) for k in path]
            name = ".".join([entry, _base_name(path_json)]) if path_json else entry
            spec = dict(entry=entry, path=path_json, shape=list(leaf.shape), dtype=leaf.dtype.str)
            if entry in _SPLIT_ENTRIES and leaf.ndim:
                spec["columns"] = [f"{name}[{j}]" for j in range(leaf.size)]
            else:
                spec["column"] = name
            specs.append(spec)
    return specs


def _to_table(out: Mapping[str, Any], layout: list[dict], start: int, meta: dict):
    pa, _ = _pyarrow()
    n = len(np.asarray(out["failed"]))
    cols = {"object": pa.array(np.arange(start, start + n, dtype=np.int64))}
    for spec in layout:
        leaf = np.asarray(_get(out[spec["entry"]], spec["path"]))
        flat = leaf.reshape(n, -1)
        if "columns" in spec:
            for j, name in enumerate(spec["columns"]):
                cols[name] = pa.array(np.ascontiguousarray(flat[:, j]))
        elif not spec["shape"]:
            cols[spec["column"]] = pa.array(leaf)
        else:
            values = pa.array(np.ascontiguousarray(flat).reshape(-1))
            cols[spec["column"]] = pa.FixedSizeListArray.from_arrays(values, flat.shape[1])
    table = pa.table(cols)
    return table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})


def _get(tree, path_json):
    for kind, key in path_json:
        tree = getattr(tree, key) if kind == "attr" else tree[key]
    return tree


def _columns_to_leaves(table, layout: list[dict]) -> list[np.ndarray]:
    n = table.num_rows
    leaves = []
    for spec in layout:
        shape, dtype = tuple(spec["shape"]), np.dtype(spec["dtype"])
        if "columns" in spec:
            cols = [table.column(c).to_numpy() for c in spec["columns"]]
            leaf = np.stack(cols, axis=1) if cols else np.zeros((n, 0))
        elif not shape:
            leaf = table.column(spec["column"]).to_numpy()
        else:
            arr = table.column(spec["column"]).combine_chunks()
            leaf = arr.flatten().to_numpy(zero_copy_only=False)
        leaves.append(np.asarray(leaf, dtype=dtype).reshape((n, *shape)))
    return leaves


def _unflatten(layout_part: list[dict], leaves: list[np.ndarray], like: Any):
    """One entry (params or draws) as a pytree: ``like``'s structure, or nested dicts."""
    if like is not None:
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(like), leaves)
    if len(leaves) == 1 and not layout_part[0]["path"]:
        return leaves[0]
    tree: dict = {}
    for spec, leaf in zip(layout_part, leaves, strict=True):
        kinds = {k[0] for k in spec["path"]}
        if kinds != {"dict"}:
            raise ValueError(
                f"{spec['entry']} is not a (nested) dict of arrays (path {spec['path']}); "
                "pass like= (one object's init) to rebuild its structure"
            )
        node = tree
        for _, key in spec["path"][:-1]:
            node = node.setdefault(key, {})
        node[spec["path"][-1][1]] = leaf
    return tree


class PartStore:
    """The parts and manifest of one ``fit_many`` run in ``out_dir`` (module docstring).

    ``PartStore.open`` creates the directory and manifest, or checks that an existing manifest
    describes the same run (ValueError naming ``out_dir`` and what differs); ``finished()``
    lists the chunks whose parts are whole; ``write_part`` writes one chunk atomically;
    ``read`` merges all parts in object order.
    """

    def __init__(self, out_dir: Path, manifest: dict):
        self.out_dir = out_dir
        self.manifest = manifest

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, out_dir, *, run: dict, fingerprints: dict, info: dict | None = None):
        """``run``: settings that change results (method, n_objects, chunk_size, ...), checked
        against an existing manifest with ``fingerprints``; ``info``: recorded, not checked."""
        _pyarrow()
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise ValueError(f"out_dir must be a directory; got the file {str(out_dir)!r}")
        out_dir.mkdir(parents=True, exist_ok=True)
        ident = {"format": _FORMAT, "run": run, "fingerprints": fingerprints}
        ident = json.loads(json.dumps(ident))  # tuples -> lists, as read back
        path = out_dir / MANIFEST
        if path.exists():
            try:
                manifest = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                raise ValueError(
                    f"out_dir {str(out_dir)!r}: {MANIFEST} is unreadable ({err}); "
                    "delete it to start over"
                ) from err
            old = {k: manifest.get(k) for k in ident}
            if old != ident:
                diffs = _diff(old, ident)
                raise ValueError(
                    f"out_dir {str(out_dir)!r} holds parts of a different fit_many run "
                    f"({'; '.join(diffs)}); use a new out_dir or delete this one"
                )
        else:
            manifest = dict(ident, layout=None, chunks={})
            if any(out_dir.glob("part-*.parquet")):
                raise ValueError(
                    f"out_dir {str(out_dir)!r} holds part files but no {MANIFEST}; "
                    "use a new out_dir or delete the parts"
                )
        manifest.update(info or {})
        store = cls(out_dir, manifest)
        store._write_manifest()
        return store

    # -- chunks -----------------------------------------------------------------------------
    @property
    def chunk_size(self) -> int:
        return int(self.manifest["run"]["chunk_size"])

    @property
    def n_objects(self) -> int:
        return int(self.manifest["run"]["n_objects"])

    def chunk_starts(self) -> list[int]:
        return list(range(0, self.n_objects, self.chunk_size))

    def part_name(self, start: int) -> str:
        return f"part-{start // self.chunk_size:05d}.parquet"

    def _meta(self, start: int, stop: int) -> dict:
        return {"fingerprints": self.manifest["fingerprints"], "start": start, "stop": stop}

    def _check_part(self, start: int) -> str | None:
        """None if the part of the chunk at ``start`` is whole, else why not."""
        _, pq = _pyarrow()
        stop = min(start + self.chunk_size, self.n_objects)
        path = self.out_dir / self.part_name(start)
        if not path.exists():
            return "missing"
        entry = self.manifest["chunks"].get(str(start))
        size = path.stat().st_size
        if entry is not None and entry["bytes"] != size:
            return f"{size} bytes where the manifest recorded {entry['bytes']} (truncated?)"
        try:
            table = pq.read_table(path)
        except Exception as err:  # noqa: BLE001  (any read failure: recompute)
            return f"unreadable ({type(err).__name__}: {err})"
        meta = json.loads((table.schema.metadata or {}).get(_META_KEY, b"null"))
        if meta != self._meta(start, stop):
            return "written by another run or for another chunk"
        objects = table.column("object").to_numpy() if "object" in table.column_names else None
        if objects is None or not np.array_equal(objects, np.arange(start, stop)):
            return f"rows are not objects [{start}, {stop})"
        if entry is not None and entry["sha256"] != _sha256_file(path):
            return "bytes differ from the manifest's SHA-256"
        if entry is None:  # written just before a kill, before the manifest: adopt it
            self.manifest["chunks"][str(start)] = self._entry(start, stop, path)
            self._write_manifest()
        return None

    def finished(self) -> list[int]:
        """Starts of the chunks whose parts are whole; broken parts are removed (warning)."""
        done = []
        for start in self.chunk_starts():
            why = self._check_part(start)
            if why is None:
                done.append(start)
                continue
            if why != "missing":
                warnings.warn(
                    f"{self.out_dir / self.part_name(start)}: {why}; recomputing that chunk",
                    RuntimeWarning,
                    stacklevel=3,
                )
                os.remove(self.out_dir / self.part_name(start))
            if self.manifest["chunks"].pop(str(start), None) is not None:
                self._write_manifest()
        return done

    def _entry(self, start, stop, path):
        return {
            "file": path.name,
            "start": start,
            "stop": stop,
            "bytes": path.stat().st_size,
            "sha256": _sha256_file(path),
        }

    # -- writing ----------------------------------------------------------------------------
    def write_part(self, start: int, out: Mapping[str, Any]) -> None:
        """Write one chunk's output (numpy, padded rows dropped) and record it."""
        _, pq = _pyarrow()
        stop = min(start + self.chunk_size, self.n_objects)
        if len(np.asarray(out["failed"])) != stop - start:
            raise ValueError(
                f"chunk at {start} must hold {stop - start} objects; "
                f"got {len(np.asarray(out['failed']))}"
            )
        if self.manifest["layout"] is None:
            self.manifest["layout"] = _layout(jax.tree_util.tree_map(lambda v: v[0], out))
        table = _to_table(out, self.manifest["layout"], start, self._meta(start, stop))
        path = _atomic_write(
            self.out_dir, self.part_name(start), lambda tmp: pq.write_table(table, tmp)
        )
        self.manifest["chunks"][str(start)] = self._entry(start, stop, path)
        self._write_manifest()

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=1)

        def write(tmp):
            with open(tmp, "w") as f:
                f.write(text)

        _atomic_write(self.out_dir, MANIFEST, write)

    # -- reading ----------------------------------------------------------------------------
    def read(self, like: Any = None):
        """Merge all parts in object order: ``(out dict of numpy arrays, manifest)``."""
        _, pq = _pyarrow()
        missing = [s for s in self.chunk_starts() if self._check_part(s) is not None]
        if missing:
            raise ValueError(
                f"out_dir {str(self.out_dir)!r}: {len(missing)} of {len(self.chunk_starts())} "
                f"chunks are missing or broken (objects from {missing[:5]}); run fit_many with "
                "this out_dir again to finish them"
            )
        layout = self.manifest["layout"]
        parts = [
            _columns_to_leaves(pq.read_table(self.out_dir / self.part_name(s)), layout)
            for s in self.chunk_starts()
        ]
        leaves = [np.concatenate(col, axis=0) for col in zip(*parts, strict=True)]
        out: dict[str, Any] = {}
        for entry in dict.fromkeys(spec["entry"] for spec in layout):
            idx = [i for i, spec in enumerate(layout) if spec["entry"] == entry]
            sub_like = like if entry in ("params", "draws") else None
            out[entry] = _unflatten([layout[i] for i in idx], [leaves[i] for i in idx], sub_like)
        return out


def _diff(old: dict, new: dict, prefix: str = "") -> list[str]:
    diffs = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _diff(a, b, f"{prefix}{k}.")
        elif a != b:
            diffs.append(f"{prefix}{k}: {a!r} on disk, {b!r} now")
    return diffs


def read_fit_parts(out_dir, *, like: Any = None):
    """Merge the Parquet parts of ``fit_many(..., out_dir=out_dir)`` into a ``FitManyResult``.

    Parameters
    ----------
    out_dir : path
        The run's directory (``_manifest.json`` and ``part-NNNNN.parquet``).
    like : pytree, optional
        One object's ``init``: the structure of ``params`` (and ``draws``). By default the
        parameters come back as (nested) dicts of arrays, as they were written; other pytrees
        (NamedTuples, dataclasses, lists) need ``like``.

    Returns
    -------
    FitManyResult
        As ``fit_many`` returned it, in object order; ``wall_time_s`` is NaN (not recorded).

    Raises
    ------
    ValueError
        No manifest in ``out_dir``, or a chunk missing or broken (not loaded; rerun
        ``fit_many`` with the same ``out_dir`` to finish it).
    """
    from jaxstro.infer_utils._fit_many import FitManyResult

    out_dir = Path(out_dir)
    path = out_dir / MANIFEST
    if not path.exists():
        raise ValueError(f"out_dir {str(out_dir)!r} has no {MANIFEST}: not a fit_many output")
    manifest = json.loads(path.read_text())
    store = PartStore(out_dir, manifest)
    out = store.read(like)
    run = manifest["run"]
    return FitManyResult._from_columns(
        out,
        method=run["method"],
        names=tuple(manifest["names"]),
        chunk_size=int(run["chunk_size"]),
        num_devices=int(manifest.get("num_devices", 0)),
        wall_time_s=float("nan"),
    )
