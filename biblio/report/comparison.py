"""The section "Published figures beside ours": each published figure beside this dataset's.

For every row of :func:`biblio.report.published.read_published_figures`, the table shows the
published value as it was published (``≈``, ``>`` or ``<`` only where the source said so),
this dataset's figure for the same unit, year and metric with its counting and the counts it
rests on (a count with its share of the world where the source gives the world's total, so that
the shares can be compared when the corpora differ in size), the main reason the two may differ
as far as we can know it, our definition and the coverage of that year; the sources are
numbered notes under the table. It never says pass or fail: the published definitions are
unknown and the data source differs.

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
(('AI publications', 'world', '2024', '≈ 9', '8 works that name a country (full counting)'), ('[1] a press release',))
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from biblio.metrics.derived import FEW_WORKS
from biblio.report._frames import cell
from biblio.report.definitions import ai_definition
from biblio.report.document import Notes, Paragraph, Section, Table
from biblio.report.findings import connectivity, flow, large_threshold
from biblio.report.format import fmt_float, fmt_int, fmt_pct, name_with_code, plural, the
from biblio.report.published import PublishedFigure, read_published_figures
from biblio.summary import Definitions

__all__ = ["published_section"]

TITLE = "Published figures beside ours"
_INTRO = (
    'Figures published by Digital Science ("DeepSeek and the New Geopolitics of AI", '
    "D. Hook, July 2025, Dimensions data) beside this dataset's figure for the same unit, "
    "year and metric, each shown as it was published (≈, > or < only where the source said so).",
    "Their definitions of an AI publication, of counting, of the citation window and of an "
    "active researcher were not published, and the data source differs, so the two are set "
    "side by side with the main reason they may differ as far as we can know it: this is not a "
    "check that passes or fails. Where the source gives the world's total, counts come with "
    "their share of it, which can be compared when the two corpora differ in size.",
)
_SYNTHETIC = "This report's own figures are synthetic and cannot be compared at all."
_HEADERS = (
    "metric",
    "unit",
    "year",
    "published",
    "this dataset",
    "main reason they may differ",
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
    "most_connected_rank": "rank as the most connected country (1 = most connected)",
}

Tables = Mapping[str, pl.DataFrame]


def _our_definition(metric: str, options: Definitions, first_year: int) -> str:
    researchers = options.active_researcher
    return {
        "output": "works with at least one author in the unit (full counting); world = works "
        "naming any country",
        "citation_share": f"citations made in the year (counts_by_year) to AI works published "
        f"{first_year} or later",
        "flow_share": "works of the unit with at least one co-author in the partner / all works "
        "of the unit (full counting)",
        "institutions_above": "institutions rolled up to their top-level parent, counting every "
        "AI work that lists them (full counting), strictly above the threshold",
        "researchers": f"authors with at least {researchers.min_works} AI work(s) in "
        f"the last {researchers.window_years} year(s), by the country of their latest "
        "work",
        "most_connected_rank": "rank by number of partner countries and by co-authored works "
        "summed over partners (full counting)",
    }.get(metric, "")


def _world(published: Sequence[PublishedFigure], year: int) -> PublishedFigure | None:
    for fig in published:
        if fig.metric == "output" and fig.unit == "world" and fig.year == year:
            return fig
    return None


def _shown(value: float, metric: str) -> str:
    if metric in ("citation_share", "flow_share"):
        return fmt_pct(value, 0)
    return fmt_int(value)


def _published_value(fig: PublishedFigure, world: PublishedFigure | None) -> str:
    """As published: the comparison only where the source gave one (``=`` means exact)."""
    prefix = "" if fig.comparison == "=" else f"{fig.comparison} "
    text = prefix + _shown(fig.value, fig.metric)
    exact = fig.comparison in ("=", "≈") and world is not None and world.comparison in ("=", "≈")
    if fig.metric == "output" and fig.unit != "world" and exact and world and world.value:
        world_prefix = "" if world.comparison == "=" else f"{world.comparison} "
        text += f" ({fmt_pct(fig.value / world.value)} of {world_prefix}{fmt_int(world.value)})"
    return text


def _our_figure(tables: Tables, fig: PublishedFigure) -> str | None:
    year, unit = fig.year, fig.unit
    attributed = cell(tables["coverage"], "attributed", year=year)
    if fig.metric == "output":
        if unit == "world":
            return f"{fmt_int(attributed)} works that name a country (full counting)"
        works = cell(tables["output"], "works_full", unit=unit, year=year)
        share = cell(tables["output"], "share_full", unit=unit, year=year)
        if works is None:
            return None
        return f"{fmt_int(works)} ({fmt_pct(share)} of {fmt_int(attributed)}; full counting)"
    if fig.metric == "citation_share":
        rows = tables["citation_shares"].filter(
            (pl.col("unit") == unit) & (pl.col("year") == year) & (pl.col("window") == "received")
        )
        if rows.height != 1:
            return None
        r = rows.row(0, named=True)
        return (
            f"{fmt_pct(r['share_full'])} full counting ({fmt_int(r['citations_full'])} "
            f"citations); {fmt_pct(r['share_frac'])} fractional counting "
            f"({fmt_float(r['citations_frac'])})"
        )
    if fig.metric == "flow_share":
        source, _, partner = unit.partition("→")
        found = flow(tables, year, source, partner)
        if found is None:
            return None
        return (
            f"{fmt_pct(found.share)} ({found.coauthored:,} of {found.source_works:,} works; "
            "full counting)"
        )
    if fig.metric == "institutions_above":
        above = cell(tables["institutions_above"], "institutions_above", unit=unit, year=year)
        total = cell(tables["institutions_above"], "institutions_total", unit=unit, year=year)
        if above is None:
            return None
        return f"{fmt_int(above)} (of {fmt_int(total)} with at least one work; full counting)"
    if fig.metric == "researchers":
        rows = tables["researchers"].filter((pl.col("unit") == unit) & (pl.col("year") == year))
        if rows.height != 1:
            return None
        r = rows.row(0, named=True)
        return (
            f"{fmt_int(r['researchers_full'])} full counting; "
            f"{fmt_float(r['researchers_frac'])} fractional counting"
        )
    if fig.metric == "most_connected_rank":
        nodes = tables["network_nodes"].filter(pl.col("year") == year)
        ranks = []
        for column, tie, what in (
            ("partners", "strength", "partner countries"),
            ("strength", "partners", "co-authored works summed over partners"),
        ):
            order = nodes.sort([column, tie, "unit"], descending=[True, True, False])
            units = order["unit"].to_list()
            if unit not in units:
                return None
            value = order.filter(pl.col("unit") == unit)[column].item()
            ranks.append(f"{units.index(unit) + 1} by {what} ({fmt_int(value)})")
        return "; ".join(ranks) + " (full counting)"
    return None


def _reason(
    tables: Tables,
    fig: PublishedFigure,
    world: PublishedFigure | None,
    definitions: Definitions,
    selection: str | None,
) -> str:
    """The main reason this dataset's figure may differ from the published one.

    As far as it can be known from the data: corpus size, counting, window, few works,
    consortium papers.
    """
    year, metric = fig.year, fig.metric
    scale = None
    if world is not None and world.comparison in ("=", "≈") and world.value:
        scale = (cell(tables["coverage"], "attributed", year=year) or 0) / world.value
    size = (
        f"corpus size: ours holds {fmt_pct(scale, 0)} of their {_published_value(world, None)} "
        "AI publications (another definition of AI, OpenAlex not Dimensions)"
        if scale is not None and world is not None
        else f"definition of AI ({ai_definition(selection)}) and source (OpenAlex, not Dimensions)"
    )
    if metric == "output":
        return (
            size
            if fig.unit == "world"
            else size + "; compare the shares of the world rather than the counts"
        )
    if metric == "citation_share":
        return (
            "counting and citation window: theirs are not published; ours counts the citations "
            "made in the year to the works of every year of the dataset (full and fractional "
            "counting shown)"
        )
    if metric == "flow_share":
        source, _, partner = fig.unit.partition("→")
        found = flow(tables, year, source, partner)
        if found is not None and found.coauthored < FEW_WORKS:
            return f"few works: ours rests on {plural(found.coauthored, 'co-authored work')}"
        if found is not None and found.large:
            return (
                f"works of more than {large_threshold(tables)} authors: "
                f"{found.large} of ours (without them {fmt_pct(found.share_rest)}, "
                f"{found.coauthored_rest:,} of {found.source_works_rest:,} works)"
            )
        return "definition of AI and source (a flow share is defined the same way); " + size
    if metric == "institutions_above":
        threshold = definitions.threshold
        if scale is not None and scale < 0.8:
            return size + f"; with fewer works, fewer institutions reach more than {threshold}"
        return (
            "institution identity and roll-up (ours: OpenAlex lineage, top-level institution); "
            + size
        )
    if metric == "researchers":
        return "definition of an active researcher (theirs not published); " + size
    if metric == "most_connected_rank":
        conn = connectivity(tables, year)
        moved = conn is not None and (
            conn.by_partners_rest != conn.by_partners or conn.by_works_rest != conn.by_works
        )
        if conn is not None and conn.large and moved:
            return (
                f"works of more than {large_threshold(tables)} authors: without our "
                f"{plural(conn.large, 'such work')}, another country leads"
            )
        return (
            "the measure: theirs is not published; ours ranks by partner countries and by "
            "co-authored works summed over partners"
        )
    return size


def _coverage_note(tables: Tables, year: int) -> str:
    row = tables["coverage"].filter(pl.col("year") == year).row(0, named=True)
    share = row["unattributed"] / row["works"] if row["works"] else None
    return (
        f"{fmt_int(row['works'])} AI works, {fmt_pct(share)} ({fmt_int(row['unattributed'])}) "
        "with no country; "
        f"{fmt_int(row['institutions_missing_country'])} institutions without a country"
    )


def _unit_label(unit: str) -> str:
    if "→" in unit:
        source, _, partner = unit.partition("→")
        return f"{the(source)} → {the(partner)} ({unit})"
    return unit if unit == "world" else name_with_code(unit)


def published_section(
    tables: Tables,
    definitions: Definitions,
    *,
    synthetic: bool = False,
    published: Sequence[PublishedFigure] | None = None,
    selection: str | None = None,
) -> Section:
    """The section: an introduction, the table and the numbered sources.

    ``definitions`` is the summary's ``definitions`` (threshold, active researchers);
    ``synthetic`` says that this dataset's figures cannot be compared at all (each row's
    reason says so first); ``published`` defaults to
    :func:`~biblio.report.published.read_published_figures`; ``selection`` is the dataset's
    definition of AI (its manifest's).
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
        world = _world(published, fig.year)
        in_data = fig.year in years
        ours = _our_figure(tables, fig) if in_data else None
        if not in_data:
            reason = f"not in this dataset (it covers {years[0]}–{years[-1]})" if years else ""
        else:
            reason = _reason(tables, fig, world, definitions, selection)
            if synthetic:
                reason = f"synthetic data: not comparable (on real data: {reason})"
        rows.append(
            [
                _METRIC_LABEL.get(fig.metric, fig.metric).format(t=threshold),
                _unit_label(fig.unit),
                str(fig.year),
                _published_value(fig, world),
                ours or "not in this dataset",
                reason,
                _our_definition(fig.metric, definitions, first_year),
                _coverage_note(tables, fig.year)
                if in_data
                else (f"the dataset covers {years[0]}–{years[-1]}" if years else "empty dataset"),
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
