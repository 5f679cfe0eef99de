import pytest


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One cache folder for the whole session (the first parse of each file fills it)."""
    return tmp_path_factory.mktemp("linedb-cache")
