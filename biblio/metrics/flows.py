"""Co-authorship flows and asymmetry (METRICS.md §3–4).

``C(u,v,Y)`` counts the works of ``W_Y`` in both ``u`` and ``v``; the flow share
``F(u→v) = C(u,v)/P_full(u)``; ``L(u→v)`` counts those works whose lead authorship is in ``u``.
Asymmetry sets ``F(u→v)/F(v→u)`` beside Salton's cosine ``C/√(P_u·P_v)``, the affinity
``C·N/(P_u·P_v)`` and the leadership ratio ``L(u→v)/L(v→u)``.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> c = tiny_corpus()
>>> pairs = pair_grid([("CN", "US"), ("US", "CN")], c)
>>> flows(c, pairs=pairs).select("source", "partner", "coauthored", "flow_share",
...                              "led_by_source").collect().rows()
[('CN', 'US', 1, 1.0, 0), ('US', 'CN', 1, 0.5, 1)]
>>> asymmetry(c, pairs=pairs).select("source", "asymmetry", "salton", "affinity").collect().rows()
[('CN', 2.0, 0.7071067811865475, 1.0), ('US', 0.5, 0.7071067811865475, 1.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from biblio.corpus import Corpus, country_units
from biblio.errors import UsageError
from biblio.metrics._common import attributed_per_year, ratio
from biblio.metrics.output import unit_sizes, unit_works
from biblio.schema import OUTPUT_TABLES
from biblio.units import overlap

__all__ = [
    "ASYMMETRY_COLUMNS",
    "DEFAULT_UNION_PAIRS",
    "FLOW_COLUMNS",
    "asymmetry",
    "coauthored_pairs",
    "coauthorship",
    "default_pairs",
    "flows",
    "pair_grid",
    "pair_units",
]

FLOW_COLUMNS = OUTPUT_TABLES["flows"].names
ASYMMETRY_COLUMNS = OUTPUT_TABLES["asymmetry"].names
#: The union rows every default flows and asymmetry table holds beside the pairs of default units
#: (METRICS.md, "Default flows and asymmetry rows"): ``CN → US+GB+EU27`` and back.
DEFAULT_UNION_PAIRS = (("CN", "US+GB+EU27"), ("US+GB+EU27", "CN"))
_PAIR_SCHEMA = {"source": pl.String, "partner": pl.String, "year": pl.Int64}


def default_pairs(units: Sequence[str], corpus: Corpus) -> pl.LazyFrame:
    """Every ordered pair of ``units`` that are disjoint in each year: the default rows.

    ``source, partner, year``; e.g. ``EU`` and ``GB`` only from 2020 on.
    """
    rows = [
        (u, v, y)
        for y in corpus.years
        for u in units
        for v in units
        if u != v and not overlap(u, v, y, corpus.groups)
    ]
    return pl.LazyFrame(rows, schema=_PAIR_SCHEMA, orient="row")


def pair_grid(pairs: Iterable[tuple[str, str]], corpus: Corpus) -> pl.LazyFrame:
    """Explicitly requested pairs for every reported year; an overlapping pair is an error."""
    rows = []
    for u, v in pairs:
        for y in corpus.years:
            if overlap(u, v, y, corpus.groups):
                raise UsageError(
                    f"units {u} and {v} overlap in {y} (they share a country): a flow needs "
                    "disjoint units; pick one of them"
                )
            rows.append((u, v, y))
    return pl.LazyFrame(rows, schema=_PAIR_SCHEMA, orient="row")


def pair_units(pairs: pl.LazyFrame) -> list[str]:
    """Every unit named in ``pairs`` (as source or partner), sorted."""
    found = pl.concat([pairs.select(unit="source"), pairs.select(unit="partner")]).unique()
    return sorted(found.collect()["unit"].to_list())


def coauthored_pairs(
    corpus: Corpus, *, units: Sequence[str], members: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Co-authored and led works of every ordered pair of distinct ``units``, where nonzero.

    ``source, partner, year, coauthored, led_by_source, led_by_partner``.

    Only the works with two countries or more can be in two disjoint units, so only they are
    joined with themselves; counts of overlapping pairs (a group and its member) are therefore
    not meaningful and are left to callers to drop. ``members`` may pass a
    :func:`biblio.metrics.output.unit_works` frame computed for (at least) ``units``. The flows,
    the asymmetry and the network all read this one frame.

    >>> from biblio.metrics.testing import tiny_corpus
    >>> coauthored_pairs(tiny_corpus(), units=["CN", "US"]).sort("source").collect().rows()
    [('CN', 'US', 2024, 1, 0, 1), ('US', 'CN', 2024, 1, 1, 0)]
    """
    chosen = unit_works(corpus, units) if members is None else members
    in_years = corpus.work_country.filter(pl.col("year").is_in(corpus.years))
    international = (
        in_years.group_by("work").agg(pl.len().alias("n")).filter(pl.col("n") > 1).select("work")
    )
    led = country_units(corpus.lead_country, units, corpus).with_columns(pl.lit(True).alias("led"))
    joined = (
        chosen.filter(pl.col("unit").is_in(list(units)))
        .join(international, on="work", how="semi")
        .select("work", "year", "unit")
        .join(led, on=["work", "year", "unit"], how="left")
        .with_columns(pl.col("led").fill_null(False))
    )
    return (
        joined.join(joined, on=["work", "year"], suffix="_partner")
        .filter(pl.col("unit") != pl.col("unit_partner"))
        .group_by(pl.col("unit").alias("source"), pl.col("unit_partner").alias("partner"), "year")
        .agg(
            pl.len().cast(pl.Int64).alias("coauthored"),
            pl.col("led").sum().cast(pl.Int64).alias("led_by_source"),
            pl.col("led_partner").sum().cast(pl.Int64).alias("led_by_partner"),
        )
    )


def coauthorship(
    corpus: Corpus,
    *,
    pairs: pl.LazyFrame,
    together: pl.LazyFrame | None = None,
    sizes: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Co-authored and led works of every requested pair, zeros included.

    ``source, partner, year, coauthored, source_works, partner_works, led_by_source,
    led_by_partner``.

    ``together`` may pass a :func:`coauthored_pairs` frame and ``sizes`` a
    :func:`biblio.metrics.output.unit_sizes` frame, computed for (at least) the pairs' units.
    """
    units = pair_units(pairs)
    if together is None or sizes is None:
        members = unit_works(corpus, units)
        together = coauthored_pairs(corpus, units=units, members=members)
        sizes = unit_sizes(members)
    works = sizes.select("unit", "year", pl.col("works_full").alias("works"))
    return (
        pairs.join(together, on=["source", "partner", "year"], how="left")
        .join(
            works.rename({"unit": "source", "works": "source_works"}),
            on=["source", "year"],
            how="left",
        )
        .join(
            works.rename({"unit": "partner", "works": "partner_works"}),
            on=["partner", "year"],
            how="left",
        )
        .with_columns(
            pl.col(c).fill_null(0)
            for c in (
                "coauthored",
                "led_by_source",
                "led_by_partner",
                "source_works",
                "partner_works",
            )
        )
    )


def flows(
    corpus: Corpus, *, pairs: pl.LazyFrame, coauthored: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """The ``flows`` table for the given pairs (see :func:`default_pairs`, :func:`pair_grid`).

    ``coauthored`` may pass a :func:`coauthorship` frame already computed for the same pairs.
    """
    co = coauthorship(corpus, pairs=pairs) if coauthored is None else coauthored
    return (
        co.with_columns(ratio(pl.col("coauthored"), pl.col("source_works")).alias("flow_share"))
        .select(FLOW_COLUMNS)
        .sort("year", "source", "partner")
    )


def asymmetry(
    corpus: Corpus, *, pairs: pl.LazyFrame, coauthored: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """The ``asymmetry`` table: raw ratio beside the size-adjusted measures."""
    co = coauthorship(corpus, pairs=pairs) if coauthored is None else coauthored
    c, pu, pv = pl.col("coauthored"), pl.col("source_works"), pl.col("partner_works")
    f_uv, f_vu = ratio(c, pu), ratio(c, pv)
    return (
        co.join(attributed_per_year(corpus), on="year", how="left")
        .with_columns(
            f_uv.alias("flow_source_to_partner"),
            f_vu.alias("flow_partner_to_source"),
            pl.when(c > 0).then(ratio(f_uv, f_vu)).alias("asymmetry"),
            ratio(c, (pu * pv).cast(pl.Float64).sqrt()).alias("salton"),
            ratio(c * pl.col("attributed").fill_null(0), pu * pv).alias("affinity"),
            ratio(pl.col("led_by_source"), pl.col("led_by_partner")).alias("leadership_asymmetry"),
        )
        .select(ASYMMETRY_COLUMNS)
        .sort("year", "source", "partner")
    )
