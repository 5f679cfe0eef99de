import pathlib
import sys

import jax

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
# helper modules beside the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def co_lines():
    from jaxstro.linedb import datasets, read_hitran

    return read_hitran(datasets.sample_path("co_hitemp"))


@pytest.fixture(scope="session")
def band_grid():
    """The issue's accuracy grid: 22920-23000 Angstrom, 3,500 ESLOG points."""
    from jaxstro.opacity import wavenumber_grid

    nu, _, _ = wavenumber_grid(22920.0, 23000.0, 3500, unit="AA")
    return nu


def subset(lines, index):
    """A LineList with only the lines at ``index``."""
    n = lines.n_lines
    per_line = {
        f: np.asarray(getattr(lines, f))[index]
        for f in lines._fields
        if isinstance(getattr(lines, f), np.ndarray)
        and getattr(lines, f).shape[:1] == (n,)
        and f not in ("pf_t_k", "pf_q", "pf_isotopes", "broadener_fractions")
    }
    return lines._replace(**per_line)
