"""The section "Tables": the year's main tables, the works of very many authors, and coverage.

Each simple table is a row of :data:`MAIN_TABLES`: its caption, the frame it shows (a metric
table, or one derived from the tables), the column it is ranked by, how many rows it shows, and
the columns shown as (header, column, formatter). Every header says its counting; units show
their code beside their name. A ranking cut at its last row shows every row tied with it (or
says how many more are tied). To add a table, add a row; each becomes a subsection holding one
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
>>> frame = pl.DataFrame({"id": ["a", "b", "c", "d"], "works": [9, 5, 5, 5]})
>>> shown, note = with_ties(frame, "works", 2)
>>> shown["id"].to_list(), note
(['a', 'b', 'c', 'd'], 'Rows 2–4 are tied at 5; all are shown.')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from biblio.metrics.derived import citation_impact, international_rate
from biblio.metrics.derived import network_without_large as _rest
from biblio.report.document import Block, Notes, Paragraph, Section, Table
from biblio.report.findings import large_threshold, large_works_of, unplaced_authors
from biblio.report.format import fmt_float, fmt_int, fmt_pct, plural, unit_name
from biblio.units import is_country

__all__ = ["MAIN_TABLES", "coverage_section", "tables_section", "with_ties"]

TITLE = "Tables"
Column = tuple[str, str, Callable[[Any], str]]
Tables = Mapping[str, pl.DataFrame]
#: Extra rows shown at most to keep a tie at the cutoff whole; beyond, they are counted.
MAX_TIED_EXTRA = 10


def _text(default: str) -> Callable[[Any], str]:
    return lambda value: default if value is None else str(value)


def _ratio(value: Any) -> str:
    return fmt_float(value, 2)


def _countries(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("unit").map_elements(is_country, return_dtype=pl.Boolean))


def _frame(name: str) -> Callable[[Tables, int], pl.DataFrame]:
    return lambda tables, year: tables[name].filter(pl.col("year") == year)


def _citations(tables: Tables, year: int) -> pl.DataFrame:
    return tables["citation_shares"].filter(
        (pl.col("year") == year) & (pl.col("window") == "received")
    )


def _impact(tables: Tables, year: int) -> pl.DataFrame:
    impact = citation_impact(tables["output"], tables["citation_shares"])
    return _countries(impact.filter(pl.col("year") == year))


def _international(tables: Tables, year: int) -> pl.DataFrame:
    return international_rate(tables["network_nodes"].filter(pl.col("year") == year))


def _connected(tables: Tables, year: int) -> pl.DataFrame:
    nodes = tables["network_nodes"].filter(pl.col("year") == year)
    large = tables["large_works"].filter(pl.col("year") == year)
    rest = _rest(tables["network_edges"].filter(pl.col("year") == year), large)
    return nodes.join(rest, on=["unit", "year"], how="left").with_columns(
        pl.col("partners_rest", "strength_rest").fill_null(0)
    )


def _institutions_above(tables: Tables, year: int) -> pl.DataFrame:
    rows = tables["institutions_above"].filter(pl.col("year") == year)
    return rows.filter(pl.col("institutions_above") > 0)


_UNIT: tuple[Column, ...] = (("unit", "unit", str), ("name", "unit", unit_name))

#: Each main table: caption (``{year}`` filled in), the frame it shows, ranking column, rows
#: shown, and the columns shown as (header, column, formatter).
MAIN_TABLES: tuple[
    tuple[str, Callable[[Tables, int], pl.DataFrame], str, int, tuple[Column, ...]], ...
] = (
    (
        "AI works per unit, {year} (15 largest by full counting)",
        _frame("output"),
        "works_full",
        15,
        (
            *_UNIT,
            ("works (full counting)", "works_full", fmt_int),
            ("share (full counting)", "share_full", fmt_pct),
            ("works (fractional counting)", "works_frac", fmt_float),
            ("share (fractional counting)", "share_frac", fmt_pct),
        ),
    ),
    (
        "Citations made in {year} to AI works, per unit (15 largest fractional shares)",
        _citations,
        "share_frac",
        15,
        (
            *_UNIT,
            ("citations (full counting)", "citations_full", fmt_int),
            ("share (full counting)", "share_full", fmt_pct),
            ("citations (fractional counting)", "citations_frac", fmt_float),
            ("share (fractional counting)", "share_frac", fmt_pct),
        ),
    ),
    (
        "Relative citation impact of the AI works of {year}, fractional counting (the 15 "
        "countries with the most works)",
        _impact,
        "works",
        15,
        (
            *_UNIT,
            ("works (fractional counting)", "works", fmt_float),
            ("share of the works", "work_share", fmt_pct),
            ("citations to date (fractional counting)", "citations", fmt_float),
            ("share of the citations", "citation_share", fmt_pct),
            ("relative citation impact (1 = world average)", "impact", _ratio),
        ),
    ),
    (
        "International co-authorship rate, {year}, full counting (the 15 countries with the most "
        "works)",
        _international,
        "works_full",
        15,
        (
            *_UNIT,
            ("works (full counting)", "works_full", fmt_int),
            ("with a co-author in another country", "international_works", fmt_int),
            ("international co-authorship rate", "intl_rate", fmt_pct),
        ),
    ),
    (
        "Most connected countries, {year}: partners and co-authored works, full counting (15 "
        "with the most partners)",
        _connected,
        "partners",
        15,
        (
            *_UNIT,
            ("partner countries", "partners", fmt_int),
            ("co-authored works summed over partners", "strength", fmt_int),
            ("partner countries without works of more than 100 authors", "partners_rest", fmt_int),
            ("co-authored works summed, without them", "strength_rest", fmt_int),
            ("top partner", "top_partner", lambda u: "—" if u is None else unit_name(u)),
        ),
    ),
    (
        "Units with institutions above the threshold, {year} (full counting)",
        _institutions_above,
        "institutions_above",
        30,
        (
            *_UNIT,
            ("threshold (more than … AI works)", "threshold", fmt_int),
            ("institutions above", "institutions_above", fmt_int),
            ("institutions with ≥ 1 AI work", "institutions_total", fmt_int),
        ),
    ),
    (
        "The 20 institutions with the most AI works, {year} (full counting)",
        _frame("institution_output"),
        "works",
        20,
        (
            ("institution", "institution_id", str),
            ("name", "display_name", _text("—")),
            ("country", "country_code", _text("unknown")),
            ("works (full counting)", "works", fmt_int),
        ),
    ),
    (
        "Active AI researchers, {year} (15 largest by full counting)",
        _frame("researchers"),
        "researchers_full",
        15,
        (
            *_UNIT,
            ("min works", "min_works", fmt_int),
            ("window (years)", "window_years", fmt_int),
            ("researchers (full counting)", "researchers_full", fmt_int),
            ("researchers (fractional counting)", "researchers_frac", fmt_float),
        ),
    ),
)
_COVERAGE_HEADERS = (
    "year",
    "works",
    "attributed (name a country)",
    "unattributed",
    "authorships",
    "with country",
    "authors with id",
    "institutions missing country",
)


def with_ties(frame: pl.DataFrame, column: str, n: int) -> tuple[pl.DataFrame, str]:
    """The first ``n`` rows of ``frame`` (sorted), plus every row tied with the ``n``-th on
    ``column`` (up to :data:`MAX_TIED_EXTRA` more), and a note on the tie ("" when none)."""
    if frame.height <= n or n == 0:
        return frame, ""
    cutoff = frame[column][n - 1]
    if cutoff is None or frame[column][n] != cutoff:
        return frame.head(n), ""
    tied = frame.with_row_index("row").filter(pl.col(column) == cutoff)
    first, last = int(tied["row"].min()) + 1, int(tied["row"].max()) + 1  # type: ignore[arg-type]
    value = fmt_float(cutoff) if isinstance(cutoff, float) else fmt_int(cutoff)
    if last - n <= MAX_TIED_EXTRA:
        return frame.head(last), f"Rows {first}–{last} are tied at {value}; all are shown."
    return (
        frame.head(n),
        f"Rows {first}–{last} are tied at {value}; rows {n + 1}–{last} "
        f"({plural(last - n, 'more row')}) are not shown.",
    )


def coverage_section(
    coverage: pl.DataFrame, unplaced: Mapping[int, tuple[int, int]] | None = None
) -> Section:
    """The coverage table, every year of the dataset; ``unplaced`` (year → authors with an id,
    of them placed in no country) adds a sentence on the authors that cannot be placed."""
    rows = coverage.sort("year")
    blocks: list[Block] = [
        Table(
            _COVERAGE_HEADERS,
            (
                [str(r["year"]), *(fmt_int(r[c]) for c in rows.columns[1:])]
                for r in rows.iter_rows(named=True)
            ),
        )
    ]
    if unplaced:
        year = max(unplaced)
        authors, none = unplaced[year]
        blocks.append(
            Paragraph(
                f"In {year}, {fmt_int(none)} of the {fmt_int(authors)} authors with an OpenAlex id "
                f"({fmt_pct(none / authors if authors else None)}) cannot be placed in any "
                "country: their latest AI work gives them no country. They are left out of the "
                "active researchers."
            )
        )
    return Section("Coverage, every year", *blocks)


def large_works_section(tables: Tables, year: int) -> Section:
    """The works of ``year`` with more authorships than the threshold, largest first."""
    works = large_works_of(tables, year)
    threshold = large_threshold(tables)
    title = f"Works of more than {threshold} authors, {year}"
    if works.is_empty():
        return Section(title, Paragraph("None."))
    return Section(
        title,
        Paragraph(
            f"Each of these {plural(works.height, 'work')} counts as a co-authored work for every "
            "pair of its countries, so together they can move the co-authorship figures; the "
            "headlines give each finding without them when it changes."
        ),
        Table(
            ["work", "authorships", "countries", "country codes"],
            [
                [
                    r["work_id"],
                    fmt_int(r["work_authorships"]),
                    fmt_int(r["countries"]),
                    r["country_list"],
                ]
                for r in works.iter_rows(named=True)
            ],
        ),
    )


def tables_section(tables: Tables, year: int) -> Section:
    """The main tables of ``year`` (:data:`MAIN_TABLES`), the works of very many authors, then
    the coverage of every year."""
    parts = []
    for caption, select, rank, n, columns in MAIN_TABLES:
        frame = select(tables, year)
        frame = frame.sort([rank, frame.columns[0]], descending=[True, False], nulls_last=True)
        shown, note = with_ties(frame, rank, n)
        rows = ([fmt(r[column]) for _, column, fmt in columns] for r in shown.iter_rows(named=True))
        blocks: list[Block] = [Table([header for header, _, _ in columns], rows)]
        if note:
            blocks.append(Notes(note))
        parts.append(Section(caption.format(year=year), *blocks))
    parts.append(large_works_section(tables, year))
    unplaced = unplaced_authors(tables, year)
    return Section(
        TITLE,
        *parts,
        coverage_section(tables["coverage"], {year: unplaced} if unplaced else None),
    )
