import pathlib
import sys

import jax

# the pipelines run in float64 (the caller's choice; the library never switches x64 on)
jax.config.update("jax_enable_x64", True)
# helper modules beside these tests (pytest runs with --import-mode=importlib), as in the
# packages' own test folders
sys.path.insert(0, str(pathlib.Path(__file__).parent))
