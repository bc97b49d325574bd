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
from biblio.report.format import fmt_int, fmt_pct, possessive, the, unit_name
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
    return lambda t, s: fmt(cell(t[table], column, **where)) if table in t else "—"


def _row(t: Tables, table: str, **where: Any) -> dict[str, Any] | None:
    """The one row of table ``table`` matching ``where``, ``None`` without one."""
    if table not in t:
        return None
    rows = t[table].filter(**where)
    return rows.row(0, named=True) if rows.height == 1 else None


def _citation_value(year: int, unit: str) -> Value:
    """``28.1 % (12,264 of 43,591 citations)``: a full-counted share with its counts."""

    def value(t: Tables, s: Mapping[str, Any]) -> str:
        row = _row(t, "citation_shares", unit=unit, year=year, window=RECEIVED)
        if row is None or row["share_full"] is None:
            return "—"
        if not row["share_full"]:
            return fmt_pct(0)
        total = round(row["citations_full"] / row["share_full"])
        return (
            f"{fmt_pct(row['share_full'])} ({fmt_int(row['citations_full'])} of "
            f"{fmt_int(total)} citations)"
        )

    return value


def _flow_value(year: int, source: str, partner: str) -> Value:
    """``10.5 % (47 of 448 works)``: a flow share with its counts."""

    def value(t: Tables, s: Mapping[str, Any]) -> str:
        row = _row(t, "flows", source=source, partner=partner, year=year)
        if row is None or row["flow_share"] is None:
            return "—"
        return (
            f"{fmt_pct(row['flow_share'])} ({fmt_int(row['coauthored'])} of "
            f"{fmt_int(row['source_works'])} works)"
        )

    return value


def _above_value(year: int, unit: str) -> Value:
    """``8 (of 97 with at least one AI work)``."""

    def value(t: Tables, s: Mapping[str, Any]) -> str:
        row = _row(t, "institutions_above", unit=unit, year=year)
        if row is None:
            return fmt_int(_headline(s, year).get("institutions_above", {}).get(unit))
        return (
            f"{fmt_int(row['institutions_above'])} (of {fmt_int(row['institutions_total'])} "
            "with at least one AI work)"
        )

    return value


def _summary_value(year: int, key: str, unit: str) -> Value:
    return lambda t, s: fmt_int(_headline(s, year).get(key, {}).get(unit))


def _rows(figures: Mapping[str, Figures], year: int, chosen: str) -> list[list[str]]:
    """One row per headline figure, one column per definition; each label says its counting."""
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
                f"AI works with an author in {unit_name(unit)} (full counting)",
                _table_value("output", "works_full", fmt_int, unit=unit, year=year),
            )
        )
    for unit in KEY_UNITS:
        rows.append(
            (
                f"share of the citations made in {year} to AI works, {unit_name(unit)} "
                "(full counting)",
                _citation_value(year, unit),
            )
        )
    summaries = [s for _, s in figures.values() if _headline(s, year)]
    for flow in _headline(summaries[0], year).get("flows", []) if summaries else []:
        source, partner = flow["source"], flow["partner"]
        label = (
            f"share of {possessive(the(source))} works with a co-author in {the(partner)} "
            "(full counting)"
        )
        rows.append((label, _flow_value(year, source, partner)))
    threshold = next(
        (s["definitions"]["threshold"] for _, s in figures.values() if "definitions" in s), None
    )
    above = f"more than {threshold} AI works" if threshold is not None else "above the threshold"
    for unit in INSTITUTION_UNITS:
        label = f"institutions with {above}, {unit_name(unit)} (full counting)"
        rows.append((label, _above_value(year, unit)))
    for unit in KEY_UNITS:
        label = f"active researchers, {unit_name(unit)} (full counting)"
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
