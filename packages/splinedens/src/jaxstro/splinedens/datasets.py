"""Datasets shipped with jaxstro-splinedens."""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import io
from typing import NamedTuple

import numpy as np

__all__ = ["GD1Catalog", "load_gd1", "gd1_knots", "GD1_WINDOW_PHI1", "GD1_WINDOW_PHI2"]

GD1_WINDOW_PHI1 = (-100.0, 20.0)
GD1_WINDOW_PHI2 = (-7.0, 5.0)
_GD1_FILE = "gd1-gaiadr3-blog.fits.gz"
# sha256 of the decompressed FITS file (identical to shared/data/gd1/gd1-gaiadr3-blog.fits)
_GD1_SHA256 = "dde0880ac5fb2119e397f1b8fb85aa4399a8535cc808b4c690ac74092f6871c2"


class GD1Catalog(NamedTuple):
    phi1: np.ndarray  # (N,) deg, Koposov et al. (2010) GD-1 frame
    phi2: np.ndarray  # (N,) deg
    table: object  # astropy.table.Table with every column of the catalogue (selected rows)


def load_gd1(*, phi2_min: float | None = -7.0) -> GD1Catalog:
    """Gaia DR3 stars around the GD-1 stream (3,369 rows; 2,960 with phi2 > -7).

    Pre-selected distant, metal-poor main-sequence stars with proper motions on the stream
    track, with Pan-STARRS1 photometry (selection by A. Price-Whelan). ``phi2_min`` applies
    the standard cut ``gd1_phi2 > phi2_min`` (None keeps every row). The packaged file is
    checked against its SHA-256, so a corrupt or truncated copy raises instead of loading.

    Parameters
    ----------
    phi2_min : float or None
        Keep stars with ``gd1_phi2 > phi2_min`` [deg]; None keeps every row.

    Returns
    -------
    GD1Catalog
        ``phi1``, ``phi2`` (N,) float64 positions [deg] in the GD-1 frame of Koposov et al.
        (2010) and the astropy ``table`` of the selected rows.

    Sources: Gaia Collaboration (2023), A&A 674, A1; Chambers et al. (2016), PS1.
    """
    from astropy.table import Table

    ref = importlib.resources.files("jaxstro.splinedens") / "data" / _GD1_FILE
    try:
        raw = gzip.decompress(ref.read_bytes())
    except (OSError, EOFError) as exc:
        raise OSError(f"packaged GD-1 catalogue {_GD1_FILE} is corrupt: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != _GD1_SHA256:
        raise OSError(
            f"packaged GD-1 catalogue {_GD1_FILE} is corrupt (sha256 {digest}); "
            "reinstall jaxstro-splinedens"
        )
    tbl = Table.read(io.BytesIO(raw), format="fits")
    if phi2_min is not None:
        tbl = tbl[np.asarray(tbl["gd1_phi2"]) > phi2_min]
    return GD1Catalog(
        phi1=np.asarray(tbl["gd1_phi1"], dtype=np.float64),
        phi2=np.asarray(tbl["gd1_phi2"], dtype=np.float64),
        table=tbl,
    )


def gd1_knots() -> dict[str, np.ndarray]:
    """Spline knots [deg in phi1] of the reference GD-1 stream analysis (Price-Whelan 2022).

    Returns
    -------
    dict
        ``amp_knots`` (31,) stream log-amplitude knots on [-110, 30]; ``track_knots`` (17,)
        track mean and log-width knots on [-110, 30]; ``bg_knots`` (7,) background knots on
        [-120, 40]. Fresh arrays, ready for
        ``prepare_stream_model(phi1, phi2, **gd1_knots())``.
    """
    return {
        "amp_knots": np.linspace(-110.0, 30.0, 31),
        "track_knots": np.linspace(-110.0, 30.0, 17),
        "bg_knots": np.linspace(-120.0, 40.0, 7),
    }
