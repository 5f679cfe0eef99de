"""jaxstro.specops: Spectral operators: rotation, instrumental profile, radial velocity, resampling.

Not yet implemented: this package holds only its skeleton; the functionality
arrives with a later issue. Importing it works so that the namespace and the
packaging can be tested.
"""

from jaxstro.specops._version import __version__

__all__ = ["__version__"]
