import os
import pathlib
import sys

import jax

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
# helper modules beside the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
settings.register_profile("fuzz", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def eslog(lo_cm1, hi_cm1, n):
    """ESLOG grid [cm^-1] (independent of jaxstro.opacity)."""
    return np.exp(np.linspace(np.log(lo_cm1), np.log(hi_cm1), n))


@pytest.fixture(scope="session")
def grid():
    """1,500 ESLOG points near 4350 cm^-1 (R ~ 2.2e5, one step ~ 1.36 km/s)."""
    return eslog(4340.0, 4370.0, 1500)


@pytest.fixture(scope="session")
def spectrum(grid):
    """Sloped continuum with Gaussian absorption lines on ``grid``."""
    x = (grid - grid.mean()) / (grid[-1] - grid[0])
    f = 1.0 + 0.2 * x
    for c, d, w in [(4350.0, 0.5, 0.02), (4355.3, 0.3, 0.05), (4361.0, 0.7, 0.01)]:
        f = f - d * np.exp(-0.5 * ((grid - c) / w) ** 2)
    return f


@pytest.fixture(scope="session")
def exojax_fixture():
    return dict(np.load(FIXTURES / "exojax_sop.npz"))
