"""Timing helpers for the benchmarks: medians of repeated warm runs, JSON output.

The benchmarks run as scripts (``python benchmarks/bench_x.py``), so this folder is first on
``sys.path`` and they import ``from _timing import ...`` without changing ``sys.path``.
"""

from __future__ import annotations

import json
import os
import pathlib
import time

import jax


def median_time(fn, *args, repeat: int = 30, warmup: int = 3) -> float:
    """Median wall time [s] of ``fn(*args)`` (outputs blocked on) over ``repeat`` warm runs."""
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def write_report(name: str, report: dict) -> pathlib.Path:
    outdir = pathlib.Path(os.environ.get("JAXSTRO_BENCHDIR", "build/bench"))
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True))
    print(f"BENCH {name} " + json.dumps(report, sort_keys=True))
    return path
