import pathlib
import sys

import jax
import pytest

from jaxstro import sedphys as sp

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(pathlib.Path(__file__).parent))  # reference_sed


@pytest.fixture(scope="session")
def ssp():
    return sp.load_ssp()


@pytest.fixture(scope="session")
def dpl_spec():
    return sp.default_spec(redshift=0.1)


# the package's standard setup (one definition, shared with the examples and benchmarks)
TRUTH = sp.default_truth()
UGRIZ = sp.SDSS_UGRIZ
