"""Sample line data shipped with jaxstro-linedb (offline; small and compressed).

=================  ==========================================================================
name               content
=================  ==========================================================================
``co_hitemp``      12,992 CO lines, 4100-4400 cm^-1, HITEMP 2019 (Li et al. 2015), .par.bz2
``co_exomol``      ExoMol Li2015 CO cut down (259 transitions near 4329 cm^-1), folder
``h2o_exomol``     ExoMol H2O (2018) cut down, wavenumber-split transition file, folder
``h2h2_cia``       H2-H2 CIA, Borysow tables in HITRAN .cia layout, 20 T, 60-7000 K
``h2h2_cia_dat``   the same tables in Borysow's @TEMPERATURES layout (cm^-1 amagat^-2)
``h2h2_cia_test``  HITRAN 2011 H2-H2 CIA, one 200 K block, 4300-4400 cm^-1 (format fixture)
=================  ==========================================================================
"""

from __future__ import annotations

import importlib.resources
import pathlib

__all__ = ["sample_path", "SAMPLES"]

SAMPLES: dict[str, str] = {
    "co_hitemp": "CO/05_HITEMP_SAMPLE.par.bz2",
    "co_exomol": "CO/12C-16O/SAMPLE",
    "h2o_exomol": "H2O/1H2-16O/SAMPLE",
    "h2h2_cia": "cia/H2-H2_Borysow.cia.bz2",
    "h2h2_cia_dat": "cia/CIA_Borysow_H2H2_0060-7000K_0.6-500um.dat.bz2",
    "h2h2_cia_test": "cia/H2-H2_TEST.cia",
}
"""Sample name -> path inside the package's ``data`` folder (see the table above)."""


def sample_path(name: str) -> pathlib.Path:
    """Path of a packaged sample (a file or an ExoMol dataset folder).

    Parameters
    ----------
    name : str
        A key of ``SAMPLES``, e.g. "co_hitemp" or "co_exomol".

    Returns
    -------
    pathlib.Path
        The sample file (for ``read_hitran`` / ``read_cia``) or dataset folder (for
        ``read_exomol``).

    Raises
    ------
    ValueError
        If ``name`` is not a key of ``SAMPLES``.
    """
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; available: {sorted(SAMPLES)}")
    root = importlib.resources.files("jaxstro.linedb") / "data"
    return pathlib.Path(str(root / SAMPLES[name]))
