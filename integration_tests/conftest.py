import pathlib
import sys

import jax

jax.config.update("jax_enable_x64", True)
ROOT = pathlib.Path(__file__).resolve().parents[1]
# the independent float64 reference of the stream objective lives beside the splinedens tests
sys.path.insert(0, str(ROOT / "packages" / "splinedens" / "tests"))
