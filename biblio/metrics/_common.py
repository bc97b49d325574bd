"""Small helpers the metric modules share: the unit × year grid and null-safe division."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus


def grid(units: Sequence[str], corpus: Corpus, *, first: str = "unit") -> pl.LazyFrame:
    """One row per (unit, year): the frame every per-unit table is left-joined onto.

    >>> from biblio.corpus import prepare
    >>> empty = pl.LazyFrame(schema={"work_id": pl.String, "publication_year": pl.Int32,
    ...     "publication_date": pl.Date, "cited_by_count": pl.Int64, "is_paratext": pl.Boolean,
    ...     "is_retracted": pl.Boolean, "type": pl.String,
    ...     "counts_by_year": pl.List(pl.Struct({"year": pl.Int32, "cited_by_count": pl.Int64}))})
    >>> c = prepare(empty, pl.LazyFrame(schema={"work_id": pl.String, "author_index": pl.Int32,
    ...     "author_id": pl.String, "is_corresponding": pl.Boolean,
    ...     "institution_ids": pl.List(pl.String), "countries": pl.List(pl.String)}),
    ...     pl.LazyFrame(), years=[2023, 2024])
    >>> grid(["CN", "US"], c).collect().height
    4
    """
    return pl.LazyFrame(
        [(u, y) for y in corpus.years for u in units],
        schema={first: pl.String, "year": pl.Int64},
        orient="row",
    )


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """``numerator / denominator`` as float64, null where the denominator is 0 or null."""
    return (
        pl.when(denominator != 0)
        .then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))
        .otherwise(None)
    )


def attributed_per_year(corpus: Corpus) -> pl.LazyFrame:
    """``N_Y``: attributed works per reported year (``year, attributed``)."""
    return (
        corpus.work_country.filter(pl.col("year").is_in(corpus.years))
        .group_by("year")
        .agg(pl.col("work").n_unique().cast(pl.Int64).alias("attributed"))
    )
