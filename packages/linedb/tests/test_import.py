import importlib.metadata

import jaxstro.linedb


def test_version_matches_distribution_metadata():
    assert jaxstro.linedb.__version__ == importlib.metadata.version("jaxstro-linedb")


def test_namespace_is_shared():
    import jaxstro

    # PEP 420 namespace package: no __init__.py, so no __file__
    assert getattr(jaxstro, "__file__", None) is None
