"""Figures of the metric tables, seaborn style: ``plot_x(data, *, year, units=None,
counting=…, ax=None) -> Axes``.

The only package that imports matplotlib and seaborn (with the non-interactive Agg backend,
except inside a Jupyter kernel, whose inline backend shows the figures), so ``import biblio``
stays light. ``data`` is every table (a mapping, e.g. :func:`biblio.open_dataset`'s object) or
the one table a figure reads; ``units`` defaults to the largest countries; ``counting`` is
``"fractional"`` or ``"full"`` (a figure defined with one counting only accepts that one). Each
figure answers one question, is titled with its finding (with its counting and the counts it
rests on), names countries, and, given ``source=`` (or data that carry a source line), prints
its source in the image, with a mark across it when the data are synthetic. The frame a figure
drew is :func:`figure_data` of its Axes, :func:`alt_text` describes it with its key values and
:func:`title_of` gives its title. A figure a function creates is titled across its whole width
(``suptitle``); Axes passed in get the title as their own.
:func:`png_bytes` renders a figure at 200 dpi with no timestamp or version in the file, so the
same tables always give byte-identical PNGs.

Examples
--------
>>> import polars as pl
>>> cites = pl.DataFrame({"unit": ["CN", "US"], "year": [2024, 2024],
...     "window": ["received"] * 2, "citations_full": [6, 5], "citations_frac": [5.5, 4.5],
...     "share_full": [0.6, 0.5], "share_frac": [0.55, 0.45]})
>>> ax = plot_citation_shares(cites, year=2024, counting="full", source="demo")
>>> figure_data(ax).select("unit", "citations", "share").rows()
[('CN', 6, 0.6), ('US', 5, 0.5)]
>>> png_bytes(ax.figure)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import polars as pl

from biblio.plot._base import DPI, alt_text, figure_data, png_bytes, title_of
from biblio.plot.citations import plot_citation_impact, plot_citation_shares, plot_citation_trend
from biblio.plot.collaboration import cell_text, plot_asymmetry, plot_flows
from biblio.plot.network import plot_network
from biblio.plot.people import plot_coverage, plot_institutions_above, plot_researchers

__all__ = [
    "DPI",
    "alt_text",
    "cell_text",
    "figure_data",
    "plot_asymmetry",
    "plot_citation_impact",
    "plot_citation_shares",
    "plot_citation_trend",
    "plot_coverage",
    "plot_flows",
    "plot_institutions_above",
    "plot_network",
    "plot_researchers",
    "png_bytes",
    "title_of",
    "top_countries",
]


def top_countries(output: pl.DataFrame, *, year: int, n: int = 10) -> list[str]:
    """The ``n`` countries (no groups) with the most AI works in ``year`` (ties by code).

    >>> out = pl.DataFrame({"unit": ["EU27", "CN", "US", "GB"], "year": [2024] * 4,
    ...                     "works_full": [90, 80, 50, 50]})
    >>> top_countries(out, year=2024, n=2)
    ['CN', 'GB']
    """
    from biblio.plot._base import countries_only

    rows = countries_only(output.filter((pl.col("year") == year) & (pl.col("works_full") > 0)))
    return rows.sort(["works_full", "unit"], descending=[True, False])["unit"].head(n).to_list()
