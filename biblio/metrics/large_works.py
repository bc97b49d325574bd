"""Works with very many authors (docs/metrics.md): the few papers that can carry a finding.

A consortium paper with hundreds of authors in dozens of countries adds a co-authorship link
between every pair of them, so three or four such papers can make a country "the most
connected" or someone's "top partner". The ``large_works`` table lists, per reported year, the
attributed works of ``W_Y`` with more than ``threshold`` authorships (100 by default, the
exclusion VOSviewer-style tools offer), one row per country of the work, so that a reader can
see them and any figure can be recomputed without them.

Columns: ``work_id, year, authorship_threshold, work_authorships, country``.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> large_works(tiny_corpus(), threshold=1).collect().rows()
[('W1', 2024, 1, 2, 'CN'), ('W1', 2024, 1, 2, 'US')]
>>> large_works(tiny_corpus()).collect().height
0
"""

from __future__ import annotations

import polars as pl

from biblio.corpus import Corpus

__all__ = ["LARGE_WORKS_COLUMNS", "LARGE_WORK_AUTHORS", "large_works"]

#: Works with more authorships than this are "large" (consortium papers).
LARGE_WORK_AUTHORS = 100
LARGE_WORKS_COLUMNS = [
    "work_id",
    "year",
    "authorship_threshold",
    "work_authorships",
    "country",
]


def large_works(corpus: Corpus, *, threshold: int = LARGE_WORK_AUTHORS) -> pl.LazyFrame:
    """The ``large_works`` table: the works of very many authors, one row per country.

    Attributed works of the reported years with more than ``threshold`` authorships;
    ``work_id`` is the OpenAlex ``W…`` id.
    """
    per_work = (
        corpus.authorships.filter(pl.col("year").is_in(corpus.years))
        .group_by("work", "year")
        .agg(pl.len().cast(pl.Int64).alias("work_authorships"))
        .filter(pl.col("work_authorships") > threshold)
    )
    countries = corpus.work_country.select("work", "country")
    return (
        per_work.join(countries, on="work", how="inner")
        .select(
            pl.format("W{}", pl.col("work")).alias("work_id"),
            pl.col("year").cast(pl.Int64),
            pl.lit(threshold, pl.Int64).alias("authorship_threshold"),
            "work_authorships",
            "country",
        )
        .sort("year", "work_id", "country")
    )
