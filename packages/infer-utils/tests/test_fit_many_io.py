"""fit_many(..., out_dir=...): Parquet parts per chunk, manifest, resume, broken parts.

References: the in-memory ``fit_many`` result of the same call (the parts must give the same
numbers, bit for bit: the same compiled program on the same inputs); pyarrow reading a part
directly; the set of chunks each run computes, recorded by wrapping ``_fit_chunk`` (the
function that queues one chunk on the devices).
"""

import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pyarrow.parquet as pq
import pytest

from jaxstro.infer_utils import _catalog_io, _fit_many, fit_many, read_fit_parts

N_OBJ, CHUNK = 7, 2  # 4 chunks, the last one padded
STARTS = [0, 2, 4, 6]
BOUNDS = {"sigma": (1e-3, 10.0)}
INIT = {"mu": 0.0, "sigma": 1.0}


def normal_sample_logp(p, d):
    """Normal log likelihood of a sample y (flat prior): MAP mu = mean, sigma = rms deviation."""
    z = (d["y"] - p["mu"]) / p["sigma"]
    return jnp.sum(-0.5 * z**2 - jnp.log(p["sigma"]))


def _data(seed=1):
    rng = np.random.default_rng(seed)
    y = rng.normal(rng.normal(size=(N_OBJ, 1)), rng.uniform(0.5, 2.0, (N_OBJ, 1)), (N_OBJ, 10))
    y[3, 2] = np.nan  # a failed object travels through the parts too
    return {"y": y}


def _run(out_dir=None, data=None, method="map", **kw):
    data = _data() if data is None else data
    kw = dict(bounds=BOUNDS, chunk_size=CHUNK, progress=False, out_dir=out_dir, **kw)
    return fit_many(normal_sample_logp, data, INIT, method, **kw)


def assert_same(a, b):
    """Every per-object field identical (NaN where NaN), metadata equal."""
    assert a.method == b.method and a.names == b.names and a.chunk_size == b.chunk_size
    for field in ("log_density", "converged", "iterations", "failed", "grad_norm", "cov"):
        x, y = getattr(a, field), getattr(b, field)
        if x is None or y is None:
            assert x is None and y is None, field
            continue
        assert x.dtype == y.dtype and x.shape == y.shape, field
        np.testing.assert_array_equal(x, y, err_msg=field)
    for k in a.params:
        assert a.params[k].dtype == b.params[k].dtype
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)


@pytest.fixture(scope="module")
def reference():
    return _run()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The reference call with an out_dir: (out_dir, result, chunk starts computed)."""
    out_dir, calls = tmp_path_factory.mktemp("finished"), []
    original = _fit_many._fit_chunk

    def wrapped(run_chunk, chunk, key):
        calls.append(int(chunk[2][0]))
        return original(run_chunk, chunk, key)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fit_many, "_fit_chunk", wrapped)
        res = _run(out_dir)
    return out_dir, res, calls


@pytest.fixture(scope="module")
def finished(first_run):
    return first_run[0]


@pytest.fixture
def out_dir(finished, tmp_path):
    """A copy of the finished out_dir, to damage (no compile needed to make it)."""
    return shutil.copytree(finished, tmp_path / "run")


@pytest.fixture
def record(monkeypatch):
    """The chunk starts each fit_many call queues; ``record.fail_at``: raise at that start."""

    class Record(list):
        fail_at = None

    calls = Record()
    original = _fit_many._fit_chunk

    def wrapped(run_chunk, chunk, key):
        start = int(chunk[2][0])  # the rows of the chunk: its first object
        if start == calls.fail_at:
            raise RuntimeError(f"simulated kill at chunk {start}")
        calls.append(start)
        return original(run_chunk, chunk, key)

    monkeypatch.setattr(_fit_many, "_fit_chunk", wrapped)
    return calls


def _manifest(out_dir):
    return json.loads((out_dir / "_manifest.json").read_text())


def test_parts_equal_in_memory_result(reference, first_run):
    tmp_path, res, computed = first_run
    assert computed == STARTS
    assert_same(res, reference)
    assert_same(read_fit_parts(tmp_path), reference)
    assert sorted(os.listdir(tmp_path)) == [
        "_manifest.json",
        *(f"part-{i:05d}.parquet" for i in range(4)),
    ]  # no temporary files left
    manifest = _manifest(tmp_path)
    assert manifest["run"]["method"] == "map" and manifest["run"]["n_objects"] == N_OBJ
    assert sorted(int(s) for s in manifest["chunks"]) == STARTS
    # a part read by pyarrow alone: one row per object, named scalar parameter columns
    table = pq.read_table(tmp_path / "part-00002.parquet")
    np.testing.assert_array_equal(table.column("object").to_numpy(), [4, 5])
    np.testing.assert_array_equal(
        table.column("params.sigma").to_numpy(), reference.params["sigma"][4:6]
    )
    np.testing.assert_array_equal(table.column("failed").to_numpy(), reference.failed[4:6])
    whole = pq.read_table(tmp_path)  # the directory as one dataset (manifest skipped)
    np.testing.assert_array_equal(np.sort(whole.column("object").to_numpy()), np.arange(N_OBJ))
    last = pq.read_table(tmp_path / "part-00003.parquet")
    assert last.num_rows == 1  # the padded row is not written
    assert reference.failed[3] and not np.delete(reference.failed, 3).any()


def test_all_done_rerun_computes_and_compiles_nothing(reference, finished, out_dir, record):
    assert_same(read_fit_parts(finished), reference)
    events = []

    def listen(event, duration, **kwargs):
        events.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        res = _run(out_dir)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert record == [] and not [e for e in events if e.endswith("backend_compile_duration")]
    assert_same(res, reference)


def test_resume_recomputes_only_the_deleted_chunk(reference, out_dir, record):
    manifest = _manifest(out_dir)
    del manifest["chunks"]["2"]  # killed after chunk 1 was queued, before it was written
    (out_dir / "_manifest.json").write_text(json.dumps(manifest))
    (out_dir / "part-00001.parquet").unlink()
    res = _run(out_dir)
    assert record == [2]
    assert_same(res, reference)


def test_part_written_but_not_in_manifest_is_kept(reference, out_dir, record):
    # killed between the part's os.replace and the manifest's: the part is whole, keep it
    manifest = _manifest(out_dir)
    entry = manifest["chunks"].pop("4")
    (out_dir / "_manifest.json").write_text(json.dumps(manifest))
    res = _run(out_dir)
    assert record == [] and _manifest(out_dir)["chunks"]["4"] == entry
    assert_same(res, reference)


def test_killed_run_resumes_without_recomputing(reference, tmp_path, record):
    record.fail_at = 4  # the run dies when it queues the third chunk
    with pytest.raises(RuntimeError, match="simulated kill at chunk 4"):
        _run(tmp_path)
    first = list(record)
    assert first == [0, 2]  # chunk 2 was already queued: finished and written before dying
    assert sorted(int(s) for s in _manifest(tmp_path)["chunks"]) == [0, 2]
    with pytest.raises(ValueError, match="2 of 4 chunks are missing"):
        read_fit_parts(tmp_path)  # never a half result
    record.fail_at = None
    del record[:]
    res = _run(tmp_path)
    assert record == [4, 6]
    assert sorted(first + record) == STARTS  # no chunk twice, none missing
    assert_same(res, reference)


def test_broken_parts_are_detected_and_recomputed(reference, out_dir, record):
    # three ways a part can be wrong; each is found, removed and recomputed
    parts = [out_dir / f"part-{i:05d}.parquet" for i in range(4)]
    raw = parts[1].read_bytes()
    parts[1].write_bytes(raw[: len(raw) // 2])  # cut short (a full disk, an interrupted copy)
    parts[2].write_bytes(parts[0].read_bytes())  # whole and readable, but another chunk's
    raw, mid = parts[3].read_bytes(), len(parts[3].read_bytes()) // 2
    flipped = raw[:mid] + bytes(b ^ 0xFF for b in raw[mid : mid + 8]) + raw[mid + 8 :]
    parts[3].write_bytes(flipped)  # same size, 8 bytes flipped: SHA-256 differs
    with pytest.raises(ValueError, match="3 of 4 chunks are missing or broken"):
        read_fit_parts(out_dir)  # never a half result
    with pytest.warns(RuntimeWarning, match="recomputing") as warned:
        res = _run(out_dir)
    messages = sorted(str(w.message) for w in warned if "recomputing" in str(w.message))
    assert [m.split(": ")[0].rsplit("/", 1)[1] for m in messages] == [p.name for p in parts[1:]]
    assert "truncated" in messages[0]
    assert "another chunk" in messages[1] or "truncated" in messages[1]
    assert "SHA-256" in messages[2] or "unreadable" in messages[2]
    assert record == [2, 4, 6]
    assert_same(res, reference)
    assert_same(read_fit_parts(out_dir), reference)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(data=_data(seed=2)), "data_sha256"),
        (dict(init_per_object=True, init_scale=2.0), "init_sha256"),
        (dict(method="laplace"), "method: 'map' on disk, 'laplace' now"),
        (dict(chunk_size=3), "chunk_size: 2 on disk, 3 now"),
        (dict(gtol=1e-6), "gtol"),
    ],
)
def test_other_run_in_same_out_dir_refused(out_dir, record, change, match):
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    kw = dict(bounds=BOUNDS, chunk_size=CHUNK, progress=False, out_dir=out_dir)
    change = dict(change)
    data, method, init = change.pop("data", _data()), change.pop("method", "map"), INIT
    if "init_scale" in change:
        scale = change.pop("init_scale")
        init = {k: np.full(N_OBJ, v) * scale + 0.5 for k, v in INIT.items()}
    kw.update(change)
    with pytest.raises(ValueError, match=f"out_dir '{out_dir}' holds parts of a different"):
        fit_many(normal_sample_logp, data, init, method, **kw)
    with pytest.raises(ValueError, match=match):
        fit_many(normal_sample_logp, data, init, method, **kw)
    assert record == []
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before  # nothing touched


def test_draws_and_nested_params_round_trip(tmp_path):
    # the store alone (no fit): per-object arrays of any shape, nested dicts, dtypes kept
    rng = np.random.default_rng(0)
    n = 5
    out = {
        "params": {"a": rng.normal(size=n), "b": {"c": rng.normal(size=(n, 2, 3))}},
        "draws": {"a": rng.normal(size=(n, 4)), "b": {"c": rng.normal(size=(n, 4, 2, 3))}},
        "elbo": rng.normal(size=n).astype(np.float32),
        "log_density": rng.normal(size=n),
        "converged": rng.random(n) < 0.5,
        "iterations": rng.integers(0, 9, n).astype(np.int32),
        "failed": rng.random(n) < 0.5,
        "grad_norm": rng.random(n),
    }
    run = dict(method="pathfinder", n_objects=n, chunk_size=3)
    fp = _catalog_io.fingerprint({"y": np.arange(n)}, out["params"])
    store = _catalog_io.PartStore.open(tmp_path, run=run, fingerprints=fp, info={"names": []})
    for start in (3, 0):  # any order
        rows = slice(start, start + 3)
        store.write_part(start, jax.tree_util.tree_map(lambda v, rows=rows: v[rows], out))
    res = read_fit_parts(tmp_path)
    flat_in, flat_out = (
        jax.tree_util.tree_leaves(out["draws"]),
        jax.tree_util.tree_leaves(res.draws),
    )
    for x, y in zip(flat_in, flat_out, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(res.params["b"]["c"], out["params"]["b"]["c"])
    assert res.elbo.dtype == np.float32 and res.iterations.dtype == np.int32
    np.testing.assert_array_equal(res.converged, out["converged"])
    cols = pq.read_table(tmp_path / "part-00000.parquet").column_names
    assert "params.b.c[5]" in cols and "draws.b.c" in cols  # 6 scalar columns; one list column


def test_read_fit_parts_bad_input(tmp_path):
    with pytest.raises(ValueError, match=f"out_dir '{tmp_path}' has no _manifest.json"):
        read_fit_parts(tmp_path)
    (tmp_path / "part-00000.parquet").write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="holds part files but no _manifest.json"):
        _run(tmp_path)
    afile = tmp_path / "a_file"
    afile.write_text("")
    with pytest.raises(ValueError, match="out_dir must be a directory"):
        _run(afile)
