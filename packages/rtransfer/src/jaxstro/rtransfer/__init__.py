"""jaxstro.rtransfer: Layered-atmosphere radiative transfer (emission, transmission) in JAX.

Not yet implemented: this package holds only its skeleton; the functionality
arrives with a later issue. Importing it works so that the namespace and the
packaging can be tested.
"""

from jaxstro.rtransfer._version import __version__

__all__ = ["__version__"]
