import importlib.metadata

import jaxstro.specops


def test_version_matches_distribution_metadata():
    assert jaxstro.specops.__version__ == importlib.metadata.version("jaxstro-specops")


def test_namespace_is_shared():
    import jaxstro

    # PEP 420 namespace package: no __init__.py, so no __file__
    assert getattr(jaxstro, "__file__", None) is None
