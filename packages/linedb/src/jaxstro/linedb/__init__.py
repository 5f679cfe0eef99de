"""jaxstro.linedb: read the line databases astronomers download into JAX-ready containers.

ExoMol (``read_exomol``), HITRAN/HITEMP ``.par`` (``read_hitran``) and collision-induced
absorption tables (``read_cia``) become :class:`LineList` / :class:`CIATable`. Parsing uses
radis; parsed results are cached as HDF5 keyed by the source files (written atomically).
Download helpers fail with a clear message offline. Samples ship in ``datasets``.
"""

from jaxstro.linedb import datasets
from jaxstro.linedb._cia import LOSCHMIDT_CM3, read_cia
from jaxstro.linedb._containers import C2_CM_K, T_REF_K, CIATable, LineList
from jaxstro.linedb._download import (
    DownloadError,
    download,
    exomol_url,
    hitemp_url,
    hitran_cia_url,
)
from jaxstro.linedb._exomol import exomol_files, read_exomol
from jaxstro.linedb._hitran import HITRAN_BROADENERS, read_hitran
from jaxstro.linedb._io import DataFileError
from jaxstro.linedb._version import __version__

__all__ = [
    "C2_CM_K",
    "CIATable",
    "DataFileError",
    "DownloadError",
    "HITRAN_BROADENERS",
    "LOSCHMIDT_CM3",
    "LineList",
    "T_REF_K",
    "__version__",
    "datasets",
    "download",
    "exomol_files",
    "exomol_url",
    "hitemp_url",
    "hitran_cia_url",
    "read_cia",
    "read_exomol",
    "read_hitran",
]
