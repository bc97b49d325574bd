r"""The report's figures: one :class:`~biblio.report.document.Figure` block per plot.

Each figure is drawn by :mod:`biblio.plot` (imported only when a report is built, so
``import biblio.report`` loads no matplotlib) with the report's source line (dataset, definition
of AI, date; the plot adds the counting) and, on a synthetic dataset, the synthetic mark in the
image. The block carries the finding the plot computed as its title, its caption (definitions,
baselines, windows), alt text with the figure's key values and the data it drew, as CSV. The
asymmetry figure shows the published flows (:data:`biblio.report.published.PUBLISHED_FLOW_PAIRS`)
first. To add a figure, add a ``(name, draw, caption)`` entry.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> from biblio.tables import MetricOptions, corpus_tables
>>> tables = corpus_tables(tiny_corpus(), MetricOptions(units=["CN", "US"]))
>>> figures = report_figures(tables, year=2024, threshold=0)
>>> [f.name for f in figures][:3], figures[0].png[:4], figures[0].data.splitlines()[0]
(['citation_shares', 'citation_trend', 'citation_impact'], b'\x89PNG', 'unit,name,year,window,counting,citations,share')
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from biblio.report.document import Figure
from biblio.report.published import PUBLISHED_FLOW_PAIRS

__all__ = ["FIGURE_NAMES", "TREND_FIGURES", "report_figures"]

#: The report's figures, in report order.
FIGURE_NAMES = (
    "citation_shares",
    "citation_trend",
    "citation_impact",
    "flows",
    "asymmetry",
    "network",
    "institutions_above",
    "researchers",
    "coverage",
)
#: The figures that draw years other than the report's: every other figure needs the tables of
#: the report's year alone (see :data:`biblio.report.build.REPORT_TRENDS`).
TREND_FIGURES = ("citation_trend", "coverage")


def report_figures(
    tables: Mapping[str, pl.DataFrame],
    *,
    year: int,
    threshold: int,
    source: str | None = None,
    synthetic: bool = False,
    names: Sequence[str] = FIGURE_NAMES,
    years: Sequence[int] | None = None,
) -> list[Figure]:
    """The figures ``names`` (default: every one) of the report for ``year``, in report order.

    Rendered as PNG. ``source`` is the source line printed in each image (see
    :func:`biblio.report.definitions.source_line`); ``synthetic`` marks every image; ``years``
    are the dataset's years (default: the coverage table's).
    """
    from biblio import plot

    out = tables["output"]
    top = plot.top_countries(out, year=year, n=10)
    years = sorted(tables["coverage"]["year"].to_list() if years is None else years)
    trend = tables["citation_trend"]
    window = int(trend["cited_years"].max() or 0) if trend.height else 0  # type: ignore[arg-type]
    kw: dict[str, Any] = {"source": source, "synthetic": synthetic}
    specs: list[tuple[str, Callable[[], Any], str]] = [
        (
            "citation_shares",
            lambda: plot.plot_citation_shares(tables, year=year, **kw),
            f"Share of the citations made in {year} (OpenAlex counts_by_year) to AI works "
            f"published {years[0]}–{year}, fractional counting: each work's citations are split "
            "over its authors' countries, so the countries' shares sum to 100 % (the Tables "
            "give full counting too). Each bar is labelled with its share and the citations it "
            "rests on. The ten countries with the largest share, and EU27 (grey: a group).",
        ),
        (
            "citation_trend",
            lambda: plot.plot_citation_trend(tables, year=year, **kw),
            f"Each year Y, the share of the citations made in Y to the AI works published in "
            f"the {window} years Y−{window - 1}…Y (fractional counting): the same window every "
            "year, so the years can be compared. Years whose window would reach before the "
            "dataset's first year, or whose citations OpenAlex's counts_by_year no longer holds "
            "(it keeps the last ten citing years), are not drawn; the figure names them and the "
            "data lists them. The five countries with the largest share in the last year, and "
            "EU27.",
        ),
        (
            "citation_impact",
            lambda: plot.plot_citation_impact(tables, year=year, **kw),
            f"Relative citation impact: a country's share of the citations to date of the AI "
            f"works of {year} divided by its share of those works (fractional counting). 1 (the "
            "dashed line) is the world's average; 2 means twice as cited per work. Impact is "
            "read apart from size. Citations to date of recent works are few and move a lot; "
            "each label gives the fractional works the figure rests on. The fifteen countries "
            "with the most AI works, and EU27.",
        ),
        (
            "flows",
            lambda: plot.plot_flows(tables, year=year, units=top, **kw),
            f"Flow share F(u→v): the share of the row country's AI works of {year} with at "
            "least one co-author in the column country (full counting; read along a row). A "
            "cell shows 0 only when no work is co-authored and <0.1 when the share is smaller "
            "than 0.1 %. The ten countries with the most AI works; the data give the "
            "co-authored works behind every cell.",
        ),
        (
            "asymmetry",
            lambda: plot.plot_asymmetry(
                tables, year=year, first=PUBLISHED_FLOW_PAIRS, units=top, **kw
            ),
            "Each row is a pair of countries u → v with the AI works they shared (full "
            "counting). Points, on a log scale with the baseline 1 dashed: affinity = shared "
            "works ÷ the number expected if partners were chosen regardless of country (above "
            "1: more co-authorship than the two sizes predict); leadership asymmetry = shared "
            "works led from u ÷ led from v (the lead is the corresponding author, else the "
            "first author with a country; above 1: u leads more); size ratio F(u→v) ÷ F(v→u), "
            "which equals works(v) ÷ works(u) and so measures size, not reliance. At the right, "
            "Salton's cosine (shared works ÷ √(works(u)·works(v)), from 0 to 1, on a linear "
            "scale) as a diamond, beside a bar at the value it would have if partners were "
            "chosen regardless of country (√(works(u)·works(v)) ÷ the works that name a "
            "country): a diamond right of its bar means more co-authorship than the two sizes "
            "predict; its value is printed. The published pairs first, then the pairs of the "
            "ten largest countries with the highest Salton's cosine.",
        ),
        (
            "network",
            lambda: plot.plot_network(tables, year=year, n=20, min_works=3, **kw),
            f"Country co-authorship network, {year} (full counting). Drawn: the 20 countries "
            "with the most AI works and the links of at least 3 co-authored works, the heaviest "
            "on top; node area ∝ AI works, line width ∝ co-authored works, colour = community "
            "(Leiden algorithm, modularity, fixed seed, found on the network of every country). "
            "Layout: igraph's Kamada–Kawai (a spring layout) from a fixed start. Partners and "
            "co-authored works are counted over every country.",
        ),
        (
            "institutions_above",
            lambda: plot.plot_institutions_above(tables, year=year, **kw),
            f"Institutions with more than {threshold} AI works in {year}, per unit (full "
            "counting: a work counts once per institution). Institutions are rolled up to their "
            "top-level parent (OpenAlex lineage). Each bar is labelled with the institutions "
            "above the threshold of all those with at least one AI work. Groups (grey) overlap "
            "their member countries.",
        ),
        (
            "researchers",
            lambda: plot.plot_researchers(tables, year=year, **kw),
            "Active AI researchers: authors with an OpenAlex id and at least one AI work in the "
            "year, placed in the countries of their latest work; fractional counting splits an "
            "author over those countries (the Tables give full counting too). Authors whose "
            "latest work names no country are not counted (see Coverage).",
        ),
        (
            "coverage",
            lambda: plot.plot_coverage(tables, year=year, **kw),
            "Works whose authorships name no country are left out of every country figure; "
            "authorships with no country are left out of fractional counts.",
        ),
    ]
    rendered = []
    for name, draw, caption in specs:
        if name not in names:
            continue
        ax = draw()
        rendered.append(
            Figure(
                name,
                plot.png_bytes(ax.figure),
                plot.title_of(ax),
                caption,
                alt=plot.alt_text(ax),
                data=plot.figure_data(ax).write_csv(),
            )
        )
    return rendered
