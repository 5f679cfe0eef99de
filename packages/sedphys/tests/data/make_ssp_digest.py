"""Write ssp_digest.json: SHA-256, dtype and shape of every dataset of the original SSP grid.

Run once beside the data it describes (the repository's ../shared checkout), from the repo root:

    python packages/sedphys/tests/data/make_ssp_digest.py \
        ../shared/data/ssp/ssp_bc03_miles_kroupa.h5

test_ssp.py checks the packaged grid against these digests, so it needs no ../shared.
"""

import hashlib
import json
import pathlib
import sys

import h5py
import numpy as np


def digest(path) -> dict:
    out = {}
    with h5py.File(path, "r") as h5:
        for name in sorted(h5):
            a = np.ascontiguousarray(h5[name][()])
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)
            out[name] = {
                "dtype": a.dtype.str,
                "shape": list(a.shape),
                "sha256": hashlib.sha256(a.tobytes()).hexdigest(),
            }
    return out


if __name__ == "__main__":
    src = pathlib.Path(sys.argv[1])
    doc = {
        "source": "shared/data/ssp/ssp_bc03_miles_kroupa.h5 (see shared/data/README.md)",
        "datasets": digest(src),
    }
    dst = pathlib.Path(__file__).with_name("ssp_digest.json")
    dst.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {dst}")
