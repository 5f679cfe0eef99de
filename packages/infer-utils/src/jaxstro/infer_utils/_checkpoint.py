"""Atomic checkpoints of pytrees (numpy .npz + JSON metadata)."""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import zipfile
from typing import Any

import jax
import numpy as np

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointMismatchError"]

_FORMAT = "jaxstro-checkpoint-1"


class CheckpointMismatchError(ValueError):
    """A checkpoint exists but belongs to a different run (settings or shapes differ)."""


def save_checkpoint(path: str | os.PathLike, tree: Any, meta: dict) -> None:
    """Write ``tree`` (a pytree of arrays) and JSON-serialisable ``meta`` to ``path`` atomically.

    The file is written to a temporary name in the same directory and moved into place with
    ``os.replace``, so a crash never leaves a half-written checkpoint behind.

    Parameters
    ----------
    path : str or path
        Destination file (parent folders are created).
    tree : pytree of arrays
        What to store (e.g. sampler states).
    meta : dict
        JSON-serialisable metadata checked again by :func:`load_checkpoint`.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    leaves = jax.tree_util.tree_leaves(tree)
    arrays = {f"leaf_{i:04d}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    header = {"format": _FORMAT, "n_leaves": len(leaves), "meta": meta}
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_checkpoint(
    path: str | os.PathLike, template: Any, expected_meta: dict | None = None
) -> tuple[Any, dict]:
    """Read a checkpoint written by :func:`save_checkpoint` into the structure of ``template``.

    Raises CheckpointMismatchError if the number, shapes or dtypes of the stored arrays differ
    from ``template`` or if any key of ``expected_meta`` differs from the stored metadata;
    ValueError if the file is not a readable checkpoint.

    Parameters
    ----------
    path : str or path
        File written by :func:`save_checkpoint`.
    template : pytree of arrays
        Structure, shapes and dtypes the stored arrays must have.
    expected_meta : dict or None
        Metadata entries that must match the stored ones.

    Returns
    -------
    tree : pytree
        The stored arrays in the structure of ``template``.
    meta : dict
        The stored metadata.
    """
    path = pathlib.Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["__header__"]).decode())
            if header.get("format") != _FORMAT:
                raise ValueError(f"{path} is not a {_FORMAT} file")
            leaves = [data[f"leaf_{i:04d}"] for i in range(header["n_leaves"])]
    except (
        OSError,
        KeyError,
        ValueError,
        json.JSONDecodeError,
        EOFError,
        zipfile.BadZipFile,
    ) as exc:
        raise ValueError(f"checkpoint {path} is unreadable or truncated: {exc}") from exc
    meta = header["meta"]
    for k, v in (expected_meta or {}).items():
        if meta.get(k) != v:
            raise CheckpointMismatchError(
                f"checkpoint {path} was written by a different run: {k}={meta.get(k)!r}, "
                f"this run has {v!r}; delete the file or pass another checkpoint path"
            )
    t_leaves, treedef = jax.tree_util.tree_flatten(template)
    if len(t_leaves) != len(leaves):
        raise CheckpointMismatchError(
            f"checkpoint {path} holds {len(leaves)} arrays, this run expects {len(t_leaves)}"
        )
    for i, (a, t) in enumerate(zip(leaves, t_leaves, strict=True)):
        if a.shape != np.shape(t) or a.dtype != np.asarray(t).dtype:
            raise CheckpointMismatchError(
                f"checkpoint {path} array {i} has shape {a.shape} {a.dtype}, "
                f"this run expects {np.shape(t)} {np.asarray(t).dtype}"
            )
    return jax.tree_util.tree_unflatten(treedef, leaves), meta
