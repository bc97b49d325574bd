"""biblio: who leads AI research and who collaborates with whom, recomputed from OpenAlex.

The notebook API is the metric functions in :mod:`biblio.metrics`, :func:`biblio.io.open_dataset`
and the plots in :mod:`biblio.plot` (which, like :mod:`biblio.network`, loads only when imported).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("biblio")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
