"""The section "Published figures beside ours": each published figure beside this dataset's.

For every row of :func:`biblio.report.published.read_published_figures`, the table shows the
published value, this dataset's figure for the same unit, year and metric (``not in this
dataset`` when the dataset lacks the year or the unit), our definition and the coverage of that
year; the sources are numbered notes under the table. It never says pass or fail: the published
definitions are unknown and the data source differs.

Examples
--------
>>> import polars as pl
>>> from biblio.report.published import PublishedFigure
>>> tables = {"coverage": pl.DataFrame({"year": [2024], "works": [10], "attributed": [8],
...     "unattributed": [2], "institutions_missing_country": [0]})}
>>> fig = PublishedFigure("world", 2024, "output", 9.0, "≈", "a press release")
>>> from biblio.summary import Definitions
>>> section = published_section(tables, Definitions(), published=[fig])
>>> section.blocks[1].rows[0][:5], section.blocks[2].lines
(('AI publications', 'world', '2024', '≈ 9', '8'), ('[1] a press release',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from biblio.report._frames import cell
from biblio.report.document import Notes, Paragraph, Section, Table
from biblio.report.format import fmt_float, fmt_int, fmt_pct
from biblio.report.published import PublishedFigure, read_published_figures
from biblio.summary import Definitions

__all__ = ["published_section"]

TITLE = "Published figures beside ours"
_INTRO = (
    'Figures published by Digital Science ("DeepSeek and the New Geopolitics of AI", '
    "D. Hook, July 2025, Dimensions data) beside this dataset's figure for the same unit, "
    "year and metric.",
    "Their definitions of an AI publication, of counting, of the citation "
    "window and of an active researcher were not published, and the data source differs, so "
    "the two columns are set side by side to show where and why they differ: this is not a "
    "check that passes or fails.",
)
_SYNTHETIC = "This report's own figures are synthetic and cannot be compared at all."
_HEADERS = (
    "metric",
    "unit",
    "year",
    "published",
    "this dataset",
    "our definition",
    "our coverage",
    "source",
)
_METRIC_LABEL = {
    "output": "AI publications",
    "citation_share": "share of global AI citations",
    "flow_share": "share of the unit's AI works with a co-author in the partner",
    "institutions_above": "institutions with more than {t} AI works",
    "researchers": "active AI researchers",
    "most_connected_rank": "rank by co-authorship links (1 = most connected)",
}


def _our_definition(metric: str, options: Definitions, first_year: int) -> str:
    researchers = options.active_researcher
    return {
        "output": "works with at least one author in the unit (full counting); world = works "
        "naming any country",
        "citation_share": f"citations received in the year (counts_by_year) by AI works "
        f"published {first_year} or later, full counting (fractional in "
        "brackets)",
        "flow_share": "works of the unit with at least one co-author in the partner / all works "
        "of the unit (full counting)",
        "institutions_above": "institutions rolled up to their top-level parent, counting every "
        "AI work that lists them (full counting), strictly above "
        "the threshold",
        "researchers": f"authors with at least {researchers.min_works} AI work(s) in "
        f"the last {researchers.window_years} year(s), by the country "
        "of their latest work (fractional in brackets)",
        "most_connected_rank": "rank by strength: co-authored works summed over partner countries",
    }.get(metric, "")


def _published_value(fig: PublishedFigure) -> str:
    if fig.metric in ("citation_share", "flow_share"):
        shown = fmt_pct(fig.value, 0)
    elif fig.metric == "most_connected_rank":
        return f"{int(fig.value)}"  # a rank: "most connected" is rank 1, no approximation
    else:
        shown = fmt_int(fig.value)
    return f"{fig.comparison} {shown}"


def _our_figure(
    tables: Mapping[str, pl.DataFrame], fig: PublishedFigure, threshold: int
) -> str | None:
    year, unit = fig.year, fig.unit
    if fig.metric == "output":
        if unit == "world":
            return fmt_int(cell(tables["coverage"], "attributed", year=year))
        value = cell(tables["output"], "works_full", unit=unit, year=year)
        return None if value is None else fmt_int(value)
    if fig.metric == "citation_share":
        row = tables["citation_shares"].filter(unit=unit, year=year, window="received")
        if row.height != 1:
            return None
        return f"{fmt_pct(row['share_full'][0])} ({fmt_pct(row['share_frac'][0])})"
    if fig.metric == "flow_share":
        source, _, partner = unit.partition("→")
        value = cell(tables["flows"], "flow_share", source=source, partner=partner, year=year)
        return None if value is None else fmt_pct(value)
    if fig.metric == "institutions_above":
        value = cell(tables["institutions_above"], "institutions_above", unit=unit, year=year)
        return None if value is None else fmt_int(value)
    if fig.metric == "researchers":
        row = tables["researchers"].filter(unit=unit, year=year)
        if row.height != 1:
            return None
        return f"{fmt_int(row['researchers_full'][0])} ({fmt_float(row['researchers_frac'][0])})"
    if fig.metric == "most_connected_rank":
        ranked = (
            tables["network_nodes"]
            .filter(year=year)
            .sort(["strength", "partners", "unit"], descending=[True, True, False])["unit"]
            .to_list()
        )
        return str(ranked.index(unit) + 1) if unit in ranked else None
    return None


def _coverage_note(tables: Mapping[str, pl.DataFrame], year: int) -> str:
    row = tables["coverage"].filter(year=year).row(0, named=True)
    share = row["unattributed"] / row["works"] if row["works"] else None
    return (
        f"{fmt_int(row['works'])} AI works, {fmt_pct(share)} with no country; "
        f"{fmt_int(row['institutions_missing_country'])} institutions without a country"
    )


def published_section(
    tables: Mapping[str, pl.DataFrame],
    definitions: Definitions,
    *,
    synthetic: bool = False,
    published: Sequence[PublishedFigure] | None = None,
) -> Section:
    """The section: an introduction, the table and the numbered sources.

    ``definitions`` is the summary's ``definitions`` (threshold, active researchers);
    ``synthetic`` adds that this dataset's figures cannot be compared at all; ``published``
    defaults to :func:`~biblio.report.published.read_published_figures`.
    """
    published = read_published_figures() if published is None else published
    years = sorted(tables["coverage"]["year"].to_list())
    first_year = years[0] if years else 0
    threshold = definitions.threshold
    rows = []
    sources: list[str] = []
    for fig in published:
        if fig.source not in sources:
            sources.append(fig.source)
        ours = _our_figure(tables, fig, threshold) if fig.year in years else None
        coverage = (
            _coverage_note(tables, fig.year)
            if fig.year in years
            else (f"the dataset covers {years[0]}–{years[-1]}" if years else "empty dataset")
        )
        rows.append(
            [
                _METRIC_LABEL.get(fig.metric, fig.metric).format(t=threshold),
                fig.unit,
                str(fig.year),
                _published_value(fig),
                ours or "not in this dataset",
                _our_definition(fig.metric, definitions, first_year),
                coverage,
                f"[{sources.index(fig.source) + 1}]",
            ]
        )
    intro = (*_INTRO, _SYNTHETIC) if synthetic else _INTRO
    return Section(
        TITLE,
        Paragraph(*intro),
        Table(_HEADERS, rows),
        Notes(*(f"[{i}] {source}" for i, source in enumerate(sources, 1))),
    )
