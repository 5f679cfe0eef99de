import os
import pathlib
import sys

import jax
import pytest
from hypothesis import settings

from jaxstro import sedphys as sp

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(pathlib.Path(__file__).parent))  # reference_sed

# property-based tests (tests/test_fuzz_*.py): a bounded, reproducible run in CI, a deeper
# random one in ``nox -s fuzz`` (HYPOTHESIS_PROFILE=fuzz)
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
settings.register_profile("fuzz", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def ssp():
    return sp.load_ssp()


@pytest.fixture(scope="session")
def dpl_spec():
    return sp.default_spec(redshift=0.1)


# the package's standard setup (one definition, shared with the examples and benchmarks)
TRUTH = sp.default_truth()
UGRIZ = sp.SDSS_UGRIZ


def wide_spec(names):
    """Wide priors inside each parameter's physical domain (redshift fixed at 0.1)."""
    wide = {
        "logzsol": sp.Uniform(-2.0, 0.5),
        "age_gyr": sp.Uniform(0.01, 12.0),
        "av": sp.Uniform(0.0, 5.0),
        "tau_gyr": sp.Uniform(0.01, 20.0),
        "t0_gyr": sp.Uniform(0.01, 20.0),
        "sigma_ln_t": sp.Uniform(0.01, 5.0),
    }
    return sp.ParamSpec(
        {
            n: sp.Fixed(0.1) if n == "redshift" else wide.get(n, sp.Uniform(-5.0, 20.0))
            for n in names
        }
    )
