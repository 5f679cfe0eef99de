import os
import pathlib
import sys

import jax
from hypothesis import settings

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
# helper modules beside the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# property-based tests (tests/test_fuzz_*.py): a bounded, reproducible run in CI, a deeper
# random one in ``nox -s fuzz`` (HYPOTHESIS_PROFILE=fuzz)
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
settings.register_profile("fuzz", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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


@pytest.fixture(scope="session")
def tiny_lines(co_lines):
    """The CO lines within 3 cm^-1 of a 100-point ESLOG grid on 4340-4342 cm^-1 (fast
    calculators for the input-policy and fuzz tests), and that grid."""
    from jaxstro.opacity import wavenumber_grid

    nu, _, _ = wavenumber_grid(4340.0, 4342.0, 100)
    near = np.flatnonzero((co_lines.nu_cm1 > 4337.0) & (co_lines.nu_cm1 < 4345.0))
    return subset(co_lines, near), nu


TINY_ROBUST = (500.0, 2000.0)


@pytest.fixture(scope="session")
def tiny_calcs(tiny_lines):
    """{method: (float64 calculator, float32 calculator)} on ``tiny_lines``."""
    from jaxstro.opacity import make_calculator

    lines, nu = tiny_lines
    out = {}
    for method in ("lpf", "modit", "premodit"):
        opts = {"margin_cm1": 3.0}
        if method == "premodit":
            opts["robust_range"] = TINY_ROBUST
        out[method] = tuple(
            make_calculator(lines, nu, method=method, dtype=dt, **opts)
            for dt in (np.float64, np.float32)
        )
    return out
