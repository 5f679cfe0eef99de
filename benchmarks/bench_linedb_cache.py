"""linedb: first (parsing) load vs cached (HDF5) load of the HITEMP CO sample and the ExoMol CO
sample. Medians over repeated runs; each "first" load runs in a fresh interpreter with an empty
cache folder, so it pays the whole parse (and the partition-function tables); the cached loads
then run in this process on the cache that load wrote.

    python benchmarks/bench_linedb_cache.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import warnings

from _timing import write_report

from jaxstro import linedb as ld

_FIRST_LOAD = """
import sys, time, warnings
warnings.simplefilter("ignore")
from jaxstro import linedb as ld
reader, path, cache = getattr(ld, sys.argv[1]), sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
reader(path, cache=cache)
print(time.perf_counter() - t0)
"""


def timed(reader, path, cache):
    t0 = time.perf_counter()
    reader(path, cache=cache)
    return time.perf_counter() - t0


def timed_first(reader, path, cache):
    """Parse time of a cold load: a fresh interpreter (nothing cached in memory), empty cache."""
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_LOAD, reader.__name__, str(path), cache],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


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
                firsts.append(timed_first(reader, path, tmp))
                cached += [timed(reader, path, tmp) for _ in range(5)]
        first, warm = statistics.median(firsts), statistics.median(cached)
        report[name] = {"first_s": first, "cached_s": warm, "speedup": first / warm}
    write_report("linedb_cache", report)


if __name__ == "__main__":
    main()
