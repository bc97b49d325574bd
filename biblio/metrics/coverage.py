"""Coverage (METRICS.md §8): how much of each year's corpus the country figures can see.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> coverage(tiny_corpus()).collect().row(0)
(2024, 2, 2, 0, 3, 3, 2, 0)
"""

from __future__ import annotations

import polars as pl

from biblio.corpus import Corpus, authorship_counts
from biblio.metrics._common import attributed_per_year
from biblio.schema import OUTPUT_TABLES

__all__ = ["COVERAGE_COLUMNS", "coverage"]

COVERAGE_COLUMNS = OUTPUT_TABLES["coverage"].names


def coverage(corpus: Corpus) -> pl.LazyFrame:
    """The ``coverage`` table, one row per reported year.

    ``authors_with_id`` counts distinct non-null author ids; ``institutions_missing_country``
    counts distinct listed institution ids (before roll-up) with no record or no country. The
    authorship counts come from :attr:`biblio.corpus.Corpus.authorship_counts` when it holds
    every reported year, else from the corpus' authorships.
    """
    years = pl.LazyFrame({"year": corpus.years}, schema={"year": pl.Int64})
    per_work = corpus.works_in_years().group_by("year").agg(pl.len().cast(pl.Int64).alias("works"))
    counts = corpus.authorship_counts
    if counts is None or not set(corpus.years) <= set(
        counts.select("year").collect()["year"].to_list()
    ):
        counts = authorship_counts(
            corpus.authorships.filter(pl.col("year").is_in(corpus.years)), corpus.institutions
        )
    table = years
    for part in (per_work, attributed_per_year(corpus), counts):
        table = table.join(part, on="year", how="left")
    return (
        table.with_columns(pl.exclude("year").fill_null(0))
        .with_columns((pl.col("works") - pl.col("attributed")).alias("unattributed"))
        .select(COVERAGE_COLUMNS)
        .sort("year")
    )
