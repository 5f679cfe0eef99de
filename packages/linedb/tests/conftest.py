import os

import pytest
from hypothesis import settings

# issue 10 convention: a bounded, derandomised run in CI; `nox -s fuzz` sets HYPOTHESIS_PROFILE
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
settings.register_profile("fuzz", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One cache folder for the whole session (the first parse of each file fills it)."""
    return tmp_path_factory.mktemp("linedb-cache")
