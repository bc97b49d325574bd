"""The report's figures: one :class:`~biblio.report.document.Figure` block per plot.

Each figure is drawn by :mod:`biblio.plot` (imported only when a report is built, so
``import biblio.report`` loads no matplotlib), titled with the finding the plot computed, and
captioned here with its definitions. The asymmetry figure shows the published flows
(:data:`biblio.report.published.PUBLISHED_FLOW_PAIRS`) first. To add a figure, add a
``(name, draw, caption)`` entry.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> from biblio.tables import MetricOptions, corpus_tables
>>> tables = corpus_tables(tiny_corpus(), MetricOptions(units=["CN", "US"]))
>>> figures = report_figures(tables, year=2024, threshold=0)
>>> [f.name for f in figures][:3], figures[0].png[:4]
(['citation_shares', 'citation_trend', 'flows'], b'\x89PNG')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from biblio.report.document import Figure
from biblio.report.published import PUBLISHED_FLOW_PAIRS

__all__ = ["report_figures"]


def report_figures(
    tables: Mapping[str, pl.DataFrame], *, year: int, threshold: int
) -> list[Figure]:
    """Every figure of the report for ``year``, rendered as PNG, in report order."""
    from biblio import plot

    out = tables["output"]
    top = plot.top_countries(out, year=year, n=10)
    trend_units = [*top[:5], *(["EU27"] if "EU27" in out["unit"].to_list() else [])]
    specs: list[tuple[str, Callable[[], Any], str]] = [
        (
            "citation_shares",
            lambda: plot.plot_citation_shares(tables["citation_shares"], year=year),
            f"Share of the citations received in {year} (OpenAlex counts_by_year) by AI works "
            f"published up to {year}. Full counting credits every unit of a work with all its "
            "citations (shares sum to more than 100 %); fractional counting splits them by "
            "authorship (shares sum to 100 %). The ten countries with the largest fractional "
            "share, and EU27.",
        ),
        (
            "citation_trend",
            lambda: plot.plot_citation_trend(tables["citation_shares"], units=trend_units),
            "Fractional share of the citations received each year, for the five countries with "
            f"the most AI works in {year} and EU27. The window reaches back only to the first year "
            "of the dataset, so early years count fewer citing years.",
        ),
        (
            "flows",
            lambda: plot.plot_flows(tables["flows"], year=year, units=top),
            f"Flow share F(u→v) = works of u with a co-author in v / works of u, {year}, for the "
            "ten countries with the most AI works (read along a row; full counting).",
        ),
        (
            "asymmetry",
            lambda: plot.plot_asymmetry(
                tables["asymmetry"], year=year, first=PUBLISHED_FLOW_PAIRS, units=top
            )[0],
            "Asymmetry A(u,v) = F(u→v) / F(v→u) equals works(v) / works(u): a size effect. "
            "Salton's cosine and affinity (observed co-authored works / expected under "
            "independence) adjust for size; affinity above 1 means more co-authorship than sizes "
            "predict. The published pairs first, then the pairs of the ten largest countries "
            "with the highest Salton cosine.",
        ),
        (
            "network",
            lambda: plot.plot_network(tables["network_nodes"], tables["network_edges"], year=year),
            f"Country co-authorship network, {year} (the 35 countries with the most AI works). "
            "Node area ∝ AI works (full counting), edge width ∝ co-authored works, colour = "
            "Leiden community (modularity, fixed seed); igraph Kamada–Kawai layout from a "
            "fixed start.",
        ),
        (
            "institutions_above",
            lambda: plot.plot_institutions_above(tables["institutions_above"], year=year),
            f"Institutions with more than {threshold} AI works in {year}, per unit; institutions "
            "are rolled up to their top-level parent (lineage) and a work counts once per "
            "institution. Groups (grey) overlap their member countries.",
        ),
        (
            "researchers",
            lambda: plot.plot_researchers(tables["researchers"], year=year),
            "Active AI researchers: authors with an OpenAlex id and at least one AI work in the "
            "year, placed in the countries of their latest work; fractional counting splits an "
            "author over those countries.",
        ),
        (
            "coverage",
            lambda: plot.plot_coverage(tables["coverage"]),
            "Works whose authorships name no country are left out of every country figure; "
            "authorships with no country are left out of fractional counts.",
        ),
    ]
    rendered = []
    for name, draw, caption in specs:
        ax = draw()
        fig = ax.figure
        # A multi-panel figure (asymmetry) carries its finding in the figure's title.
        title = ax.get_title(loc="left") or fig.get_suptitle()
        rendered.append(Figure(name, plot.png_bytes(fig), " ".join(title.split()), caption))
    return rendered
