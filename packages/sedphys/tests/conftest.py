import pathlib
import sys

import jax
import pytest

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(pathlib.Path(__file__).parent))  # reference_sed


@pytest.fixture(scope="session")
def ssp():
    from jaxstro import sedphys as sp

    return sp.load_ssp()


@pytest.fixture(scope="session")
def dpl_spec():
    from jaxstro import sedphys as sp

    return sp.ParamSpec(
        {
            "log_peak_sfr": sp.Uniform(-1.0, 3.0),
            "tau_gyr": sp.Uniform(0.5, 13.0),
            "alpha": sp.LogUniform(0.1, 100.0),
            "beta": sp.LogUniform(0.1, 100.0),
            "logzsol": sp.Uniform(-1.5, 0.3),
            "tau_bc": sp.Uniform(0.0, 3.0),
            "tau_diff": sp.Uniform(0.0, 2.0),
            "dust_slope": sp.Fixed(-0.7),
            "redshift": sp.Fixed(0.1),
        }
    )


TRUTH = {
    "log_peak_sfr": 1.0,
    "tau_gyr": 5.0,
    "alpha": 3.0,
    "beta": 3.0,
    "logzsol": -0.3,
    "tau_bc": 0.7,
    "tau_diff": 0.3,
}
UGRIZ = tuple(f"sdss2010-{b}" for b in "ugriz")
