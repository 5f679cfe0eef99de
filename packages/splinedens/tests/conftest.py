import pathlib
import sys

import jax

# Tests run in float64 (the library itself never switches x64 on).
jax.config.update("jax_enable_x64", True)
# helper modules beside the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, str(pathlib.Path(__file__).parent))
