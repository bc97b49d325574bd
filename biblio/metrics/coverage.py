"""Coverage (METRICS.md §8): how much of each year's corpus the country figures can see.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> coverage(tiny_corpus()).collect().row(0)
(2024, 2, 2, 0, 3, 3, 2, 0)
"""

from __future__ import annotations

import polars as pl

from biblio.corpus import Corpus
from biblio.metrics._common import attributed_per_year

__all__ = ["COVERAGE_COLUMNS", "coverage"]

COVERAGE_COLUMNS = [
    "year",
    "works",
    "attributed",
    "unattributed",
    "authorships",
    "authorships_with_country",
    "authors_with_id",
    "institutions_missing_country",
]


def _author_keys(author: pl.Expr, dtype: pl.DataType) -> list[pl.Expr]:
    """Columns whose distinct non-null values, counted and added, count the distinct authors.

    Ids read as strings (from the dataset: see :attr:`biblio.corpus.Corpus.source`) become
    the numbers of the OpenAlex-shaped ones beside the other ids: the same count, without
    hashing millions of strings.
    """
    if dtype != pl.String:
        return [author.alias("author_key")]
    canonical = author.str.contains(r"^A[1-9][0-9]{0,17}$")
    return [
        pl.when(canonical).then(author.str.slice(1).cast(pl.Int64)).alias("author_key"),
        pl.when(~canonical).then(author).alias("author_other"),
    ]


def coverage(corpus: Corpus) -> pl.LazyFrame:
    """The ``coverage`` table, one row per reported year.

    ``authors_with_id`` counts distinct non-null author ids; ``institutions_missing_country``
    counts distinct listed institution ids (before roll-up) with no record or no country.
    """
    years = pl.LazyFrame({"year": corpus.years}, schema={"year": pl.Int64})
    works = corpus.works_in_years()
    authorships = corpus.authorships.filter(pl.col("year").is_in(corpus.years))
    per_work = works.group_by("year").agg(pl.len().cast(pl.Int64).alias("works"))
    keys = _author_keys(pl.col("author"), authorships.collect_schema()["author"])
    per_authorship = (
        authorships.select(
            "year",
            pl.col("countries").list.eval(pl.element().is_not_null()).list.any().alias("with"),
            *keys,
        )
        .group_by("year")
        .agg(
            pl.len().cast(pl.Int64).alias("authorships"),
            pl.col("with").sum().cast(pl.Int64).alias("authorships_with_country"),
            *(pl.col(k.meta.output_name()).drop_nulls().n_unique() for k in keys),
        )
        .select(
            "year",
            "authorships",
            "authorships_with_country",
            pl.sum_horizontal(k.meta.output_name() for k in keys)
            .cast(pl.Int64)
            .alias("authors_with_id"),
        )
    )
    with_country = corpus.institutions.filter(pl.col("country_code").is_not_null()).select(
        "institution_id"
    )
    missing = (
        authorships.select("year", pl.col("institution_ids").alias("institution_id"))
        .explode("institution_id")
        .drop_nulls("institution_id")
        .join(with_country, on="institution_id", how="anti")
        .group_by("year")
        .agg(
            pl.col("institution_id").n_unique().cast(pl.Int64).alias("institutions_missing_country")
        )
    )
    table = years
    for part in (per_work, attributed_per_year(corpus), per_authorship, missing):
        table = table.join(part, on="year", how="left")
    return (
        table.with_columns(pl.exclude("year").fill_null(0))
        .with_columns((pl.col("works") - pl.col("attributed")).alias("unattributed"))
        .select(COVERAGE_COLUMNS)
        .sort("year")
    )
