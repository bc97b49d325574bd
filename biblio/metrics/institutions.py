"""Institutions above a threshold (METRICS.md §6).

``P(i,Y)`` counts the works of ``W_Y`` (attributed or not) that list institution ``i``, once per
work. By default institutions are rolled up to their root: among the members of ``lineage(i)``
whose records are in the dataset, the one with the shortest lineage (ties: the smallest id as a
string); with no such record, ``i`` itself. ``country(i)`` is the root record's
``country_code``; a missing record or country puts ``i`` under the unit ``unknown``.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> institution_output(tiny_corpus()).collect().rows()
[('I1', 'One', 'US', 2024, 2), ('I2', 'Two', 'CN', 2024, 1)]
>>> above = institutions_above(tiny_corpus(), units=["CN", "US"], threshold=1).collect()
>>> above.select("unit", "institutions_above", "institutions_total").rows()
[('CN', 0, 1), ('US', 1, 1), ('unknown', 0, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus
from biblio.metrics._common import grid
from biblio.schema import OUTPUT_TABLES
from biblio.units import UNKNOWN, membership_frame

__all__ = [
    "INSTITUTIONS_ABOVE_COLUMNS",
    "INSTITUTION_OUTPUT_COLUMNS",
    "institution_output",
    "institution_units",
    "institutions_above",
    "roots",
]

INSTITUTIONS_ABOVE_COLUMNS = OUTPUT_TABLES["institutions_above"].names
INSTITUTION_OUTPUT_COLUMNS = OUTPUT_TABLES["institution_output"].names


def roots(institutions: pl.LazyFrame) -> pl.LazyFrame:
    """``institution_id, root``: each institution record's roll-up target.

    >>> inst = pl.LazyFrame({"institution_id": ["I1", "I2", "I3"],
    ...                      "lineage": [["I1"], ["I1", "I2"], ["I3", "I9", "I2"]]})
    >>> roots(inst).sort("institution_id").collect().rows()
    [('I1', 'I1'), ('I2', 'I1'), ('I3', 'I2')]
    """
    records = institutions.select(
        "institution_id",
        pl.max_horizontal(pl.col("lineage").list.unique().list.len(), pl.lit(1)).alias("depth"),
    )
    candidates = (
        institutions.select("institution_id", pl.col("lineage").alias("member"))
        .explode("member")
        .join(records.rename({"institution_id": "member"}), on="member", how="inner")
        .group_by("institution_id")
        .agg(pl.col("member").sort_by("depth", "member").first().alias("root"))
    )
    return (
        institutions.select("institution_id")
        .join(candidates, on="institution_id", how="left")
        .with_columns(pl.col("root").fill_null(pl.col("institution_id")))
    )


def _works_per_institution(corpus: Corpus, *, rollup: bool) -> pl.LazyFrame:
    """``institution_id, year, works`` (P(i, Y)) for every reported year."""
    listed = (
        corpus.authorships.filter(pl.col("year").is_in(corpus.years))
        .select("work", "year", pl.col("institution_ids").alias("institution_id"))
        .explode("institution_id")
        .drop_nulls("institution_id")
    )
    if rollup:
        listed = listed.join(roots(corpus.institutions), on="institution_id", how="left").select(
            "work",
            "year",
            pl.col("root").fill_null(pl.col("institution_id")).alias("institution_id"),
        )
    return (
        listed.unique()
        .group_by("institution_id", "year")
        .agg(pl.len().cast(pl.Int64).alias("works"))
    )


def institution_output(corpus: Corpus, *, rollup: bool = True) -> pl.LazyFrame:
    """The ``institution_output`` detail table: works per (rolled-up) institution and year."""
    records = corpus.institutions.select("institution_id", "display_name", "country_code")
    return (
        _works_per_institution(corpus, rollup=rollup)
        .join(records, on="institution_id", how="left")
        .select(INSTITUTION_OUTPUT_COLUMNS)
        .sort("year", "institution_id")
    )


def institution_units(counted: pl.LazyFrame) -> list[str]:
    """Countries that occur as a counted institution's country.

    Read from an :func:`institution_output` frame.
    """
    found = counted.select(pl.col("country_code").drop_nulls().unique()).collect()
    return sorted(found["country_code"].to_list())


def institutions_above(
    corpus: Corpus,
    *,
    units: Sequence[str],
    threshold: int = 50,
    rollup: bool = True,
    counted: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The ``institutions_above`` table, per unit plus the unit ``unknown``.

    ``N_T(u,Y)`` (``P > T``, strictly) and the count of institutions with ``P ≥ 1``.

    ``counted`` may pass the :func:`institution_output` frame already computed.
    """
    if counted is None:
        counted = institution_output(corpus, rollup=rollup)
    known = counted.filter(pl.col("country_code").is_not_null()).join(
        membership_frame([u for u in units if u != UNKNOWN], corpus.years, corpus.groups),
        left_on=["year", "country_code"],
        right_on=["year", "country"],
        how="inner",
    )
    unknown = counted.filter(pl.col("country_code").is_null()).with_columns(
        pl.lit(UNKNOWN).alias("unit")
    )
    per_unit = (
        pl.concat([known.select("unit", "year", "works"), unknown.select("unit", "year", "works")])
        .group_by("unit", "year")
        .agg(
            (pl.col("works") > threshold).sum().cast(pl.Int64).alias("institutions_above"),
            pl.len().cast(pl.Int64).alias("institutions_total"),
        )
    )
    all_units = sorted(set(units) | {UNKNOWN})
    return (
        grid(all_units, corpus)
        .join(per_unit, on=["unit", "year"], how="left")
        .with_columns(
            pl.lit(threshold, dtype=pl.Int64).alias("threshold"),
            pl.col("institutions_above").fill_null(0),
            pl.col("institutions_total").fill_null(0),
        )
        .select(INSTITUTIONS_ABOVE_COLUMNS)
        .sort("year", "unit")
    )
