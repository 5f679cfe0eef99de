import os
import pathlib
import sys

import jax
from hypothesis import settings

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
# helper modules beside the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, str(pathlib.Path(__file__).parent))

# property-based tests (tests/test_fuzz_*.py): a bounded, reproducible run in CI, a deeper
# random one in ``nox -s fuzz`` (HYPOTHESIS_PROFILE=fuzz)
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
settings.register_profile("fuzz", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
