"""Figures derived from the metric tables (not from a corpus), defined in docs/metrics.md.

- :func:`citation_impact`: relative citation impact, a unit's share of the citations to the
  year's works divided by its share of those works (fractional or full counting), so that
  impact is read apart from size;
- :func:`international_rate`: a country's works with a co-author abroad, as a count beside the
  rate of ``network_nodes``;
- :func:`flows_without_large` and :func:`network_without_large`: co-authorship recomputed
  without the works of more than 100 authors (table ``large_works``), so that a reader sees
  whether a finding rests on a handful of consortium papers.

Pure functions over polars DataFrames, as the tables are written.

Examples
--------
>>> import polars as pl
>>> output = pl.DataFrame({"unit": ["CN", "US"], "year": [2024, 2024],
...     "works_full": [3, 2], "works_frac": [2.5, 1.5], "share_full": [0.75, 0.5],
...     "share_frac": [0.625, 0.375]})
>>> cites = pl.DataFrame({"unit": ["CN", "US"], "year": [2024, 2024],
...     "window": ["published"] * 2, "citations_full": [4, 8], "citations_frac": [3.0, 7.0],
...     "share_full": [0.4, 0.8], "share_frac": [0.3, 0.7]})
>>> citation_impact(output, cites).select("unit", "impact").rows()
[('CN', 0.48), ('US', 1.8666666666666665)]
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from biblio.units import Group, load_groups, membership_frame

__all__ = [
    "FEW_WORKS",
    "citation_impact",
    "flows_without_large",
    "international_rate",
    "large_work_units",
    "network_without_large",
]

_COUNTING = {"fractional": "frac", "full": "full"}
#: A finding that rests on fewer works than this says so ("only 17 works").
FEW_WORKS = 30


def citation_impact(
    output: pl.DataFrame, citation_shares: pl.DataFrame, *, counting: str = "fractional"
) -> pl.DataFrame:
    """Relative citation impact per unit and year.

    ``impact = CS(u,Y) / share(u,Y)``: the unit's share of the citations to date of the works
    of ``W_Y`` (window ``published``) over its share of those works, both with ``counting``.
    1 means as cited as the world's attributed works of the year; null when the unit has no
    works. Columns: ``unit, year, works, work_share, citations, citation_share, impact``.
    """
    suffix = _COUNTING[counting]
    cites = citation_shares.filter(pl.col("window") == "published").select(
        "unit",
        "year",
        pl.col(f"citations_{suffix}").alias("citations"),
        pl.col(f"share_{suffix}").alias("citation_share"),
    )
    return (
        output.select(
            "unit",
            "year",
            pl.col(f"works_{suffix}").alias("works"),
            pl.col(f"share_{suffix}").alias("work_share"),
        )
        .join(cites, on=["unit", "year"], how="left")
        .with_columns(
            pl.when(pl.col("work_share") > 0)
            .then(pl.col("citation_share") / pl.col("work_share"))
            .otherwise(None)
            .alias("impact")
        )
        .select("unit", "year", "works", "work_share", "citations", "citation_share", "impact")
        .sort("year", "unit")
    )


def international_rate(network_nodes: pl.DataFrame) -> pl.DataFrame:
    """Per country and year: works, international works and their share.

    ``works_full``, ``international_works`` (works with a country outside the unit) and
    ``intl_rate`` (their share).

    >>> nodes = pl.DataFrame({"unit": ["CN"], "year": [2024], "works_full": [8],
    ...                       "intl_rate": [0.125]})
    >>> international_rate(nodes).row(0)
    ('CN', 2024, 8, 1, 0.125)
    """
    return network_nodes.select(
        "unit",
        "year",
        "works_full",
        (pl.col("intl_rate") * pl.col("works_full"))
        .round()
        .cast(pl.Int64)
        .alias("international_works"),
        "intl_rate",
    ).sort("year", "unit")


def large_work_units(
    large_works: pl.DataFrame,
    units: list[str],
    groups: Mapping[str, Group] | None = None,
) -> pl.DataFrame:
    """``work_id, year, unit``: each large work under every unit (of ``units``) it belongs to."""
    years = sorted(set(large_works["year"].to_list()))
    if not years or not units:
        return pl.DataFrame(schema={"work_id": pl.String, "year": pl.Int64, "unit": pl.String})
    membership = membership_frame(units, years, groups or load_groups()).collect()
    return (
        large_works.select("work_id", "year", "country")
        .join(membership, on=["year", "country"], how="inner")
        .select("work_id", "year", "unit")
        .unique()
        .sort("year", "unit", "work_id")
    )


def flows_without_large(
    flows: pl.DataFrame,
    large_works: pl.DataFrame,
    groups: Mapping[str, Group] | None = None,
) -> pl.DataFrame:
    """``flows`` with the large works taken out of every count.

    Adds ``large_coauthored`` (the pair's co-authored works that are large),
    ``coauthored_rest``, ``source_works_rest`` and ``flow_share_rest`` (the flow share
    without them; null when the source has no other works).

    >>> flows = pl.DataFrame({"source": ["US"], "partner": ["CN"], "year": [2024],
    ...     "coauthored": [3], "source_works": [10]})
    >>> large = pl.DataFrame({"work_id": ["W1", "W1"], "year": [2024, 2024],
    ...     "country": ["CN", "US"]})
    >>> flows_without_large(flows, large).select("coauthored_rest", "flow_share_rest").row(0)
    (2, 0.2222222222222222)
    """
    units = sorted(set(flows["source"].to_list()) | set(flows["partner"].to_list()))
    per_unit = large_work_units(large_works, units, groups)
    source_large = per_unit.group_by("unit", "year").agg(
        pl.len().cast(pl.Int64).alias("large_source_works")
    )
    pairs = (
        per_unit.join(per_unit, on=["work_id", "year"], suffix="_partner")
        .filter(pl.col("unit") != pl.col("unit_partner"))
        .group_by(pl.col("unit").alias("source"), pl.col("unit_partner").alias("partner"), "year")
        .agg(pl.len().cast(pl.Int64).alias("large_coauthored"))
    )
    return (
        flows.join(pairs, on=["source", "partner", "year"], how="left")
        .join(source_large.rename({"unit": "source"}), on=["source", "year"], how="left")
        .with_columns(pl.col("large_coauthored", "large_source_works").fill_null(0))
        .with_columns(
            (pl.col("coauthored") - pl.col("large_coauthored")).alias("coauthored_rest"),
            (pl.col("source_works") - pl.col("large_source_works")).alias("source_works_rest"),
        )
        .with_columns(
            pl.when(pl.col("source_works_rest") > 0)
            .then(pl.col("coauthored_rest") / pl.col("source_works_rest"))
            .otherwise(None)
            .alias("flow_share_rest")
        )
        .drop("large_source_works")
    )


def network_without_large(network_edges: pl.DataFrame, large_works: pl.DataFrame) -> pl.DataFrame:
    """Per country and year, the partners and strength without the large works.

    ``partners_rest`` and ``strength_rest``: the number of partner countries and the
    co-authored works summed over partners, without the large works.

    >>> edges = pl.DataFrame({"source": ["CN", "GB"], "partner": ["US", "US"],
    ...     "year": [2024, 2024], "coauthored": [3, 1]})
    >>> large = pl.DataFrame({"work_id": ["W1", "W1"], "year": [2024, 2024],
    ...     "country": ["GB", "US"]})
    >>> network_without_large(edges, large).rows()
    [('CN', 2024, 1, 3), ('GB', 2024, 0, 0), ('US', 2024, 1, 3)]
    """
    countries = large_works.select("work_id", "year", "country").unique()
    large_pairs = (
        countries.join(countries, on=["work_id", "year"], suffix="_partner")
        .filter(pl.col("country") < pl.col("country_partner"))
        .group_by(
            pl.col("country").alias("source"), pl.col("country_partner").alias("partner"), "year"
        )
        .agg(pl.len().cast(pl.Int64).alias("large"))
    )
    rest = (
        network_edges.join(large_pairs, on=["source", "partner", "year"], how="left")
        .with_columns((pl.col("coauthored") - pl.col("large").fill_null(0)).alias("rest"))
        .select("source", "partner", "year", "rest")
    )
    both = pl.concat(
        [rest, rest.rename({"source": "partner", "partner": "source"}).select(rest.columns)]
    )
    return (
        both.group_by(pl.col("source").alias("unit"), "year")
        .agg(
            (pl.col("rest") > 0).sum().cast(pl.Int64).alias("partners_rest"),
            pl.col("rest").sum().cast(pl.Int64).alias("strength_rest"),
        )
        .sort("year", "unit")
    )
