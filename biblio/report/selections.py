"""The section "How the definition of AI moves the figures", for datasets holding several.

A dataset may hold several definitions of an AI work (``works.selections``: OpenAlex's primary
topic in subfield 1702, any of a work's topics there, or the legacy concept). The published
figures use definitions of their own, and none shows how much the definition moves the
headline figures; this section does: the year's headline figures (works, citation shares, the
published flows, institutions above the threshold, active researchers) computed from only the
works that meet each definition, side by side, with the works each holds and how many of them
the report's own definition also counts.

:func:`definition_figures` computes the tables of every definition (the report's own are
reused); :func:`selections_section` lays them out.

Examples
--------
>>> import polars as pl
>>> def tables(works):
...     cov = pl.DataFrame({"year": [2024], "works": [works], "attributed": [works - 1]})
...     empty = pl.DataFrame({"unit": [], "year": [], "window": [], "share_full": [],
...                           "works_full": []}, schema_overrides={"year": pl.Int64})
...     return {"coverage": cov, "output": empty, "citation_shares": empty}
>>> figures = {"subfield:1702": (tables(10), {"years": {"2024": {}}}),
...            "concept:C154945302": (tables(14), {"years": {"2024": {}}})}
>>> section = selections_section(figures, 2024, chosen="subfield:1702")
>>> section.blocks[1].headers[1:], section.blocks[1].rows[0]
(('subfield:1702 (this report)', 'concept:C154945302'), ('AI works', '10', '14'))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from biblio.report._frames import cell
from biblio.report.document import BulletList, Paragraph, Section, Table
from biblio.report.format import fmt_int, fmt_pct, unit_name
from biblio.report.published import INSTITUTION_UNITS, KEY_UNITS
from biblio.summary import Summary

if TYPE_CHECKING:
    from biblio.io import Dataset
    from biblio.tables import MetricOptions

__all__ = ["TITLE", "definition_figures", "selections_section"]

TITLE = "How the definition of AI moves the figures"
Figures = tuple[Mapping[str, pl.DataFrame], Mapping[str, Any]]
RECEIVED = "received"

_KINDS = {
    "subfield": "the work's primary topic is in this subfield",
    "topic-subfield": "any of the work's topics is in this subfield",
    "concept": "the work is tagged with this (legacy) concept",
}


def definition_figures(
    dataset: Dataset,
    options: MetricOptions,
    own: tuple[Mapping[str, pl.DataFrame], Summary],
    year: int,
) -> dict[str, Figures]:
    """``{definition: (tables, summary)}`` for every definition of AI the dataset holds.

    Each is computed from only the works that meet it; ``own`` (the report's tables and
    summary) is reused for the definition of ``options.selection``. The summaries hold the works
    of ``year`` that the report's definition also counts, under ``"also_in_report"``; they are
    the JSON form of :class:`biblio.summary.Summary` (what ``summary.json`` holds).
    """
    from dataclasses import replace

    from biblio.corpus import select_works
    from biblio.tables import compute_tables, definition_works, held_selections, summarise

    chosen = options.selection
    out: dict[str, Figures] = {}
    for definition in held_selections(dataset.manifest):
        if definition == chosen:
            tables, summary = own
        else:
            # The section shows the figures of ``year`` alone: compute that year only.
            other = replace(options, selection=definition, years=(year, year))
            tables = compute_tables(dataset, other)
            summary = summarise(tables, other)
        works = definition_works(dataset, definition).filter(
            pl.col("selections").list.contains(pl.lit(chosen))
        )
        both = select_works(
            works, keep_paratext=options.keep_paratext, keep_retracted=options.keep_retracted
        ).filter(pl.col("year") == year)
        shared = both.select(pl.len()).collect().item()
        out[definition] = (tables, {**summary.to_json(), "also_in_report": shared})
    return out


Tables = Mapping[str, pl.DataFrame]
Value = Callable[[Tables, Mapping[str, Any]], str]


def _headline(summary: Mapping[str, Any], year: int) -> Mapping[str, Any]:
    head: Mapping[str, Any] = summary.get("years", {}).get(str(year), {})
    return head


def _table_value(table: str, column: str, fmt: Callable[[Any], str], **where: Any) -> Value:
    return lambda t, s: fmt(cell(t[table], column, **where))


def _summary_value(year: int, key: str, unit: str) -> Value:
    return lambda t, s: fmt_int(_headline(s, year).get(key, {}).get(unit))


def _flow_value(year: int, source: str, partner: str) -> Value:
    def value(t: Tables, s: Mapping[str, Any]) -> str:
        flows = _headline(s, year).get("flows", [])
        found = [f for f in flows if (f["source"], f["partner"]) == (source, partner)]
        return fmt_pct(found[0]["flow_share"] if found else None)

    return value


def _rows(figures: Mapping[str, Figures], year: int, chosen: str) -> list[list[str]]:
    """One row per headline figure, one column per definition."""
    rows: list[tuple[str, Value]] = [
        ("AI works", _table_value("coverage", "works", fmt_int, year=year)),
        ("… naming a country", _table_value("coverage", "attributed", fmt_int, year=year)),
    ]
    if any("also_in_report" in s for _, s in figures.values()):
        rows.append(
            (f"… also AI works under {chosen}", lambda t, s: fmt_int(s.get("also_in_report")))
        )
    for unit in KEY_UNITS:
        rows.append(
            (
                f"AI works with an author in {unit_name(unit)}",
                _table_value("output", "works_full", fmt_int, unit=unit, year=year),
            )
        )
    for unit in KEY_UNITS:
        rows.append(
            (
                f"share of citations received, {unit_name(unit)}",
                _table_value(
                    "citation_shares", "share_full", fmt_pct, unit=unit, year=year, window=RECEIVED
                ),
            )
        )
    summaries = [s for _, s in figures.values() if _headline(s, year)]
    for flow in _headline(summaries[0], year).get("flows", []) if summaries else []:
        source, partner = flow["source"], flow["partner"]
        label = f"share of {unit_name(source)}'s works with a co-author in {unit_name(partner)}"
        rows.append((label, _flow_value(year, source, partner)))
    for unit in INSTITUTION_UNITS:
        label = f"institutions above the threshold, {unit_name(unit)}"
        rows.append((label, _summary_value(year, "institutions_above", unit)))
    for unit in KEY_UNITS:
        label = f"active researchers, {unit_name(unit)}"
        rows.append((label, _summary_value(year, "researchers", unit)))
    return [[label, *(value(*figures[d]) for d in figures)] for label, value in rows]


def selections_section(figures: Mapping[str, Figures], year: int, *, chosen: str) -> Section:
    """The section: what the definitions are, then the year's headline figures side by side.

    ``figures`` is :func:`definition_figures`'s output (or any ``{definition: (tables,
    summary)}``); ``chosen`` is the definition the rest of the report uses.
    """
    headers = ["figure", *(f"{d} (this report)" if d == chosen else d for d in figures)]
    meanings = []
    for definition in figures:
        kind, _, value = definition.partition(":")
        meanings.append(f"{definition}: {_KINDS.get(kind, 'as OpenAlex defines it')} ({value}).")
    return Section(
        TITLE,
        Paragraph(
            f"This dataset holds {len(figures)} definitions of an AI work; the rest of the report "
            f"uses {chosen}.",
            f"Below, the headline figures of {year} computed in the same way from only the works "
            "that meet each definition, side by side: how far they move is how much the "
            "definition alone, before any difference of data source or counting, can explain "
            "of the gaps between published figures.",
        ),
        Table(headers, _rows(figures, year, chosen)),
        BulletList(*meanings),
    )
