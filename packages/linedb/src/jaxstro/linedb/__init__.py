"""jaxstro.linedb: Read ExoMol, HITRAN/HITEMP and CIA line databases into JAX-ready line lists.

Not yet implemented: this package holds only its skeleton; the functionality
arrives with issue #3. Importing it works so that the namespace and the
packaging can be tested.
"""

from jaxstro.linedb._version import __version__

__all__ = ["__version__"]
