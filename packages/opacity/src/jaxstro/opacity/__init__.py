"""jaxstro.opacity: molecular cross sections (LPF, MODIT, PreMODIT), CIA, Rayleigh opacity.

Not yet implemented: this package holds only its skeleton; the functionality
arrives with issue #3. Importing it works so that the namespace and the
packaging can be tested.
"""

from jaxstro.opacity._version import __version__

__all__ = ["__version__"]
