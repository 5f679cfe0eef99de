"""Small helpers shared by the example scripts (argument parsing, figure folder, RESULT line).

Every example imports them the same way, ``from _common import ...``: Python puts a script's
folder first on ``sys.path`` (``python examples/x.py``) and Jupyter starts a notebook in its
own folder, so no example changes ``sys.path`` itself. The benchmarks find
``benchmarks/_timing.py`` the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="skip long sampling and figures (CI smoke run)"
    )
    parser.add_argument(
        "--figdir",
        default=os.environ.get("JAXSTRO_FIGDIR", "build/examples"),
        help="folder for the figures (default: build/examples)",
    )
    # ignore unknown arguments so the scripts also run inside Jupyter kernels
    args, _ = parser.parse_known_args()
    return args


def figure_path(figdir: str, name: str) -> pathlib.Path:
    path = pathlib.Path(figdir)
    path.mkdir(parents=True, exist_ok=True)
    return path / name


def print_result(result: dict) -> None:
    """The last line of every example: its key numbers as JSON."""
    print("RESULT " + json.dumps(result, sort_keys=True))
