"""The report's findings as values, each with the counts it rests on.

Each also holds the same finding without the works of more than 100 authors (table
``large_works``).

The headline sentences, the figures' captions and the comparison with published figures read
these, so that a number is computed once and quoted the same way everywhere. Everything comes
from the metric tables, in a fixed order, so that the same tables always give the same text
(through ``biblio report`` and ``biblio benchmark`` alike).

Examples
--------
>>> import polars as pl
>>> flows = pl.DataFrame({"source": ["US", "US", "GB"], "partner": ["CN", "GB", "CN"],
...     "year": [2024] * 3, "coauthored": [5, 3, 2], "source_works": [50, 50, 20],
...     "flow_share": [0.1, 0.06, 0.1], "led_by_source": [3, 2, 1]})
>>> large = pl.DataFrame({"work_id": ["W9", "W9"], "year": [2024, 2024],
...     "authorship_threshold": [100, 100], "work_authorships": [300, 300],
...     "country": ["GB", "US"]})
>>> tables = {"flows": flows, "large_works": large}
>>> [(p.unit, p.partner, p.coauthored, p.large) for p in top_partners(tables, 2024, ["US"])]
[('US', 'CN', 5, 0)]
>>> f = flow(tables, 2024, "US", "GB")
>>> f.coauthored, f.source_works, f.large, round(f.share_rest, 4)  # 2 of 49 without the large one
(3, 50, 1, 0.0408)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from biblio.metrics.derived import flows_without_large, network_without_large
from biblio.report._frames import cell
from biblio.units import is_country

__all__ = [
    "Connectivity",
    "Flow",
    "TopPartner",
    "connectivity",
    "flow",
    "large_works_of",
    "top_partners",
    "unplaced_authors",
]

Tables = Mapping[str, pl.DataFrame]


def _large(tables: Tables) -> pl.DataFrame:
    found = tables.get("large_works")
    if found is None:
        return pl.DataFrame(schema={"work_id": pl.String, "year": pl.Int64, "country": pl.String})
    return found


def large_works_of(tables: Tables, year: int) -> pl.DataFrame:
    """The works of more than the threshold of authorships in ``year``, largest first.

    One row each: ``work_id, work_authorships, countries`` (how many), ``country_list``.
    """
    rows = _large(tables).filter(pl.col("year") == year)
    if rows.is_empty():
        return pl.DataFrame(
            schema={
                "work_id": pl.String,
                "work_authorships": pl.Int64,
                "countries": pl.Int64,
                "country_list": pl.String,
            }
        )
    return (
        rows.group_by("work_id")
        .agg(
            pl.col("work_authorships").first(),
            pl.len().cast(pl.Int64).alias("countries"),
            pl.col("country").sort().str.join(", ").alias("country_list"),
        )
        .sort(["work_authorships", "work_id"], descending=[True, False])
    )


def large_threshold(tables: Tables) -> int:
    """The authorship threshold of ``large_works`` (100 when the table is empty)."""
    rows = _large(tables)
    if "authorship_threshold" in rows.columns and rows.height:
        return int(rows["authorship_threshold"][0])
    return 100


@dataclass(frozen=True)
class Flow:
    """``F(source→partner)`` with its counts, and the same without the large works.

    ``large`` of the co-authored works are large works, and ``share_rest`` is the flow share
    without them: ``coauthored_rest`` of ``source_works_rest`` works.
    """

    source: str
    partner: str
    coauthored: int
    source_works: int
    share: float | None
    large: int
    share_rest: float | None
    coauthored_rest: int = 0
    source_works_rest: int = 0


def flow(tables: Tables, year: int, source: str, partner: str) -> Flow | None:
    """The flow ``source → partner`` of ``year``, ``None`` when the table lacks the pair."""
    rows = tables["flows"].filter(
        (pl.col("year") == year) & (pl.col("source") == source) & (pl.col("partner") == partner)
    )
    if rows.height != 1:
        return None
    rest = flows_without_large(rows, _large(tables).filter(pl.col("year") == year))
    row = rest.row(0, named=True)
    return Flow(
        source,
        partner,
        int(row["coauthored"]),
        int(row["source_works"]),
        row["flow_share"],
        int(row["large_coauthored"]),
        row["flow_share_rest"],
        int(row["coauthored_rest"]),
        int(row["source_works_rest"]),
    )


@dataclass(frozen=True)
class TopPartner:
    """The country with the most works co-authored with ``unit``, with and without large works.

    ``large`` of those works are large works; ``partner_rest`` is the top partner without the
    large works, with its works.
    """

    unit: str
    partner: str
    coauthored: int
    large: int
    partner_rest: str | None
    coauthored_rest: int


def top_partners(tables: Tables, year: int, units: Sequence[str]) -> list[TopPartner]:
    """The top co-author country of each of ``units``, with and without the large works.

    In the order of ``units``; ties → the alphabetically first. Units with no co-authored work
    are left out.
    """
    flows = tables["flows"].filter(pl.col("year") == year)
    flows = flows.filter(
        pl.col("source").is_in(list(units))
        & pl.col("partner").map_elements(is_country, return_dtype=pl.Boolean)
    )
    rest = flows_without_large(flows, _large(tables).filter(pl.col("year") == year))
    out = []
    for unit in units:
        rows = rest.filter((pl.col("source") == unit) & (pl.col("coauthored") > 0))
        if rows.is_empty():
            continue
        top = rows.sort(["coauthored", "partner"], descending=[True, False]).row(0, named=True)
        others = rows.filter(pl.col("coauthored_rest") > 0).sort(
            ["coauthored_rest", "partner"], descending=[True, False]
        )
        best = others.row(0, named=True) if others.height else None
        out.append(
            TopPartner(
                unit,
                top["partner"],
                int(top["coauthored"]),
                int(top["large_coauthored"]),
                best["partner"] if best else None,
                int(best["coauthored_rest"]) if best else 0,
            )
        )
    return out


@dataclass(frozen=True)
class Connectivity:
    """Who has the most partner countries and who the most co-authored works, over every country.

    The works are summed over partners (``strength``); the same is also given without the
    ``large`` works.
    """

    countries: int
    by_partners: str
    partners: int
    by_works: str
    strength: int
    large: int
    by_partners_rest: str | None
    partners_rest: int
    by_works_rest: str | None
    strength_rest: int


def connectivity(tables: Tables, year: int) -> Connectivity | None:
    """The most connected countries of ``year`` both ways, ``None`` with no co-authorship."""
    nodes = tables["network_nodes"].filter(pl.col("year") == year)
    if nodes.is_empty() or (nodes["partners"].max() or 0) == 0:
        return None
    by_partners = nodes.sort(["partners", "strength", "unit"], descending=[True, True, False])
    by_works = nodes.sort(["strength", "partners", "unit"], descending=[True, True, False])
    large = _large(tables).filter(pl.col("year") == year)
    rest = network_without_large(tables["network_edges"].filter(pl.col("year") == year), large)
    rest_p = rest.sort(["partners_rest", "strength_rest", "unit"], descending=[True, True, False])
    rest_w = rest.sort(["strength_rest", "partners_rest", "unit"], descending=[True, True, False])
    has_rest = rest.height and (rest["partners_rest"].max() or 0) > 0  # type: ignore[operator]
    return Connectivity(
        nodes.height,
        by_partners["unit"][0],
        int(by_partners["partners"][0]),
        by_works["unit"][0],
        int(by_works["strength"][0]),
        large["work_id"].n_unique(),
        rest_p["unit"][0] if has_rest else None,
        int(rest_p["partners_rest"][0]) if has_rest else 0,
        rest_w["unit"][0] if has_rest else None,
        int(rest_w["strength_rest"][0]) if has_rest else 0,
    )


def unplaced_authors(tables: Tables, year: int) -> tuple[int, int] | None:
    """``(authors with an id, of them placed in no country)`` in ``year``.

    An author with an OpenAlex id is placed by the countries of their latest work (METRICS.md
    §7), each placed author adding exactly 1 to the fractional counts of the countries; the
    unplaced are the rest. Known only with the default definition of an active researcher (at
    least 1 work in the year) and researcher rows for every country of the year, else ``None``.
    """
    people = tables["researchers"].filter(pl.col("year") == year)
    authors = cell(tables["coverage"], "authors_with_id", year=year)
    if people.is_empty() or authors is None:
        return None
    if set(people["min_works"].to_list()) != {1} or set(people["window_years"].to_list()) != {1}:
        return None
    countries = [u for u in people["unit"].to_list() if is_country(u)]
    present = tables["network_nodes"].filter(pl.col("year") == year)["unit"].to_list()
    if not set(present) <= set(countries):
        return None
    placed = people.filter(pl.col("unit").is_in(countries))["researchers_frac"].sum()
    return int(authors), int(authors) - round(placed)
