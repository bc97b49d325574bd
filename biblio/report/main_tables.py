"""The section "Tables": the year's main tables and the coverage of every year.

Each main table is a row of :data:`MAIN_TABLES`: its caption, the metric table it shows, the
column it is ranked by, how many rows it shows, and the columns shown as (header, column,
formatter). To add a table, add a row; each becomes a subsection holding one
:class:`~biblio.report.document.Table`.

Examples
--------
>>> import polars as pl
>>> coverage = pl.DataFrame({"year": [2024, 2023], "works": [10, 9], "attributed": [8, 9],
...     "unattributed": [2, 0], "authorships": [20, 18], "authorships_with_country": [18, 18],
...     "authors_with_id": [15, 14], "institutions_missing_country": [0, 0]})
>>> section = coverage_section(coverage)
>>> section.title, [row[:3] for row in section.blocks[0].rows]
('Coverage, every year', [('2023', '9', '9'), ('2024', '10', '8')])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from biblio.report.document import Section, Table
from biblio.report.format import fmt_float, fmt_int, fmt_pct, unit_name

__all__ = ["MAIN_TABLES", "coverage_section", "tables_section"]

TITLE = "Tables"
Column = tuple[str, str, Callable[[Any], str]]


def _text(default: str) -> Callable[[Any], str]:
    return lambda value: default if value is None else str(value)


#: Each main table: caption (``{year}`` filled in), source table, ranking column, rows shown,
#: and the columns shown as (header, column, formatter).
MAIN_TABLES: tuple[tuple[str, str, str, int, tuple[Column, ...]], ...] = (
    (
        "AI works per unit, {year} (15 largest)",
        "output",
        "works_full",
        15,
        (
            ("unit", "unit", str),
            ("name", "unit", unit_name),
            ("works (full)", "works_full", fmt_int),
            ("works (fractional)", "works_frac", fmt_float),
            ("share (full)", "share_full", fmt_pct),
            ("share (fractional)", "share_frac", fmt_pct),
        ),
    ),
    (
        "Citations received in {year} (15 largest fractional shares)",
        "citation_shares",
        "share_frac",
        15,
        (
            ("unit", "unit", str),
            ("citations (full)", "citations_full", fmt_int),
            ("citations (fractional)", "citations_frac", fmt_float),
            ("share (full)", "share_full", fmt_pct),
            ("share (fractional)", "share_frac", fmt_pct),
        ),
    ),
    (
        "Institutions above the threshold, {year}",
        "institutions_above",
        "institutions_above",
        30,
        (
            ("unit", "unit", str),
            ("threshold", "threshold", fmt_int),
            ("institutions above", "institutions_above", fmt_int),
            ("institutions with ≥ 1 work", "institutions_total", fmt_int),
        ),
    ),
    (
        "The 20 institutions with the most AI works, {year}",
        "institution_output",
        "works",
        20,
        (
            ("institution", "institution_id", str),
            ("name", "display_name", _text("—")),
            ("country", "country_code", _text("unknown")),
            ("works", "works", fmt_int),
        ),
    ),
    (
        "Active AI researchers, {year} (15 largest)",
        "researchers",
        "researchers_full",
        15,
        (
            ("unit", "unit", str),
            ("min works", "min_works", fmt_int),
            ("window (years)", "window_years", fmt_int),
            ("researchers (full)", "researchers_full", fmt_int),
            ("researchers (fractional)", "researchers_frac", fmt_float),
        ),
    ),
)
_COVERAGE_HEADERS = (
    "year",
    "works",
    "attributed",
    "unattributed",
    "authorships",
    "with country",
    "authors with id",
    "institutions missing country",
)


def coverage_section(coverage: pl.DataFrame) -> Section:
    """The coverage table, every year of the dataset."""
    rows = coverage.sort("year")
    return Section(
        "Coverage, every year",
        Table(
            _COVERAGE_HEADERS,
            (
                [str(r["year"]), *(fmt_int(r[c]) for c in rows.columns[1:])]
                for r in rows.iter_rows(named=True)
            ),
        ),
    )


def tables_section(tables: Mapping[str, pl.DataFrame], year: int) -> Section:
    """The main tables of ``year`` (:data:`MAIN_TABLES`), then the coverage of every year."""
    parts = []
    for caption, name, rank, n, columns in MAIN_TABLES:
        frame = tables[name].filter(year=year)
        if name == "citation_shares":
            frame = frame.filter(window="received")
        if name == "institutions_above":
            frame = frame.filter(pl.col("institutions_above") > 0)
        frame = frame.sort([rank, frame.columns[0]], descending=[True, False], nulls_last=True)
        rows = (
            [fmt(r[column]) for _, column, fmt in columns]
            for r in frame.head(n).iter_rows(named=True)
        )
        parts.append(
            Section(caption.format(year=year), Table([header for header, _, _ in columns], rows))
        )
    return Section(TITLE, *parts, coverage_section(tables["coverage"]))
