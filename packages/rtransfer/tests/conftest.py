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


@pytest.fixture(scope="session")
def seed_atmosphere():
    """The seed atmosphere: 100 layers 1e-8..1e2 bar (ExoJAX grid), power-law T, 400 points
    4000-4100 cm^-1 with four Lorentzian 'lines' on a weak continuum (column optical depths
    2.6 to 3e4)."""
    from reference import seed_atmosphere

    return seed_atmosphere()


@pytest.fixture(scope="session")
def exojax_fixture():
    return dict(np.load(FIXTURES / "exojax_rt.npz"))
