"""The seam between glassgrad and the array library.

Derivative rules and the engine never import NumPy: they receive array
functions from here (``backend().ns``).  Only the NumPy backend exists now; a
CuPy backend would provide the same names.
"""

from __future__ import annotations

from .numpy_backend import NumpyBackend

_BACKEND = NumpyBackend()


def backend() -> NumpyBackend:
    """The active array backend."""
    return _BACKEND


#: the array module of the active backend (``numpy`` by default)
xp = _BACKEND.xp
