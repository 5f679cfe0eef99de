"""linedb: first (parsing) load vs cached (HDF5) load of the HITEMP CO sample and the ExoMol CO
sample. Medians over repeated runs; each "first" load uses an empty cache folder and a cleared
in-process TIPS table, so it pays the whole parse.

    python benchmarks/bench_linedb_cache.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import write_report

from jaxstro import linedb as ld
from jaxstro.linedb import _pf


def timed(reader, path, cache):
    t0 = time.perf_counter()
    reader(path, cache=cache)
    return time.perf_counter() - t0


def main():
    warnings.simplefilter("ignore")
    report = {}
    for name, reader in [
        ("co_hitemp", ld.read_hitran),
        ("co_exomol", ld.read_exomol),
        ("h2o_exomol", ld.read_exomol),
    ]:
        path = ld.datasets.sample_path(name)
        firsts, cached = [], []
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                _pf.tips_table.cache_clear()
                firsts.append(timed(reader, path, tmp))
                cached += [timed(reader, path, tmp) for _ in range(5)]
        first, warm = statistics.median(firsts), statistics.median(cached)
        report[name] = {"first_s": first, "cached_s": warm, "speedup": first / warm}
    write_report("linedb_cache", report)


if __name__ == "__main__":
    main()
