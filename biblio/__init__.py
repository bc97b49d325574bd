"""biblio: who leads AI research and who collaborates with whom, recomputed from OpenAlex.

One import serves a notebook::

    import biblio
    data = biblio.open_dataset("demo")          # a name under the cache, or a folder
    data.output(2024, countries_only=True)      # a year's rows, names beside codes
    ax = biblio.plot.plot_flows(data, year=2024)
    biblio.plot.figure_data(ax).write_csv("flows.csv")

:func:`open_dataset` returns a :class:`biblio.notebook.DatasetTables`; :mod:`biblio.plot` (like
:mod:`biblio.network`) loads matplotlib, seaborn and igraph only when first used, so
``import biblio`` stays light. The metric functions are in :mod:`biblio.metrics`.

>>> import biblio
>>> biblio.open_dataset.__name__, "plot" in biblio.__all__
('open_dataset', True)
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("biblio")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from collections.abc import Sequence

    from biblio import plot
    from biblio.notebook import DatasetTables

__all__ = ["__version__", "open_dataset", "plot"]


def open_dataset(
    dataset: str | Path = "demo",
    *,
    cache: str | Path | None = None,
    years: tuple[int, int] | None = None,
    units: Sequence[str] | None = None,
    threshold: int = 50,
    groups: str | Path | None = None,
) -> DatasetTables:
    """Every table of a dataset, for a notebook: a name under ``cache`` or a folder.

    ``demo`` (synthetic demonstration data) is built on first use, offline. ``cache`` defaults
    to ``$BIBLIO_CACHE``, else ``cache/``; ``years``, ``units``, ``threshold`` and ``groups``
    are the options of ``biblio metrics``. The tables are computed on first use. See
    :class:`biblio.notebook.DatasetTables`.
    """
    from biblio.notebook import load

    return load(dataset, cache=cache, years=years, units=units, threshold=threshold, groups=groups)


def __getattr__(name: str) -> Any:
    # biblio.plot on first use: it loads matplotlib and seaborn.
    if name == "plot":
        return importlib.import_module("biblio.plot")
    raise AttributeError(f"module 'biblio' has no attribute {name!r}")
