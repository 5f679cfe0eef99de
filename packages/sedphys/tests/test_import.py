import importlib.metadata

import jaxstro.sedphys


def test_version_matches_distribution_metadata():
    assert jaxstro.sedphys.__version__ == importlib.metadata.version("jaxstro-sedphys")


def test_namespace_is_shared():
    import jaxstro

    # PEP 420 namespace package: no __init__.py, so no __file__
    assert getattr(jaxstro, "__file__", None) is None
