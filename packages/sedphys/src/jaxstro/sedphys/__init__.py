"""jaxstro.sedphys: Galaxy SED physics: SSP grids, star-formation histories, dust, photometry.

Not yet implemented: this package holds only its skeleton; the functionality
arrives with issue #4. Importing it works so that the namespace and the
packaging can be tested.
"""

from jaxstro.sedphys._version import __version__

__all__ = ["__version__"]
