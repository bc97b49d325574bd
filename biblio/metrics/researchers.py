"""Active researchers (METRICS.md §7).

An author (non-null ``author_id``) is active in year Y with at least ``min_works`` works in
``W_{Y-m+1} … W_Y`` (``m = window_years``). Their countries for Y are those of their
authorship(s) on their latest work in the window by ``publication_date`` (works on the same date
merged); an author whose latest authorship has no country is not counted. Full counting adds 1
to every unit that set meets; fractional adds 1 split equally over the set.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> researchers(tiny_corpus(), units=["CN", "US"]).select(
...     "unit", "researchers_full", "researchers_frac").collect().rows()
[('CN', 1, 0.5), ('US', 2, 1.5)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus, exact_sum
from biblio.metrics._common import grid
from biblio.schema import OUTPUT_TABLES
from biblio.units import membership_frame

__all__ = ["RESEARCHER_COLUMNS", "researcher_countries", "researchers"]

RESEARCHER_COLUMNS = OUTPUT_TABLES["researchers"].names
_EARLIEST = dt.date(1, 1, 1)  # a missing publication_date sorts before every real one


def researcher_countries(
    corpus: Corpus, *, min_works: int = 1, window_years: int = 1
) -> pl.LazyFrame:
    """Each active author's countries for each reported year.

    ``author_id, year, country, n_countries`` (``n_countries`` = size of that set).
    """
    windows = pl.LazyFrame(
        [(y, w) for y in corpus.years for w in range(y - window_years + 1, y + 1)],
        schema={"report_year": pl.Int64, "year": pl.Int64},
        orient="row",
    )
    dates = corpus.works.select("work", pl.col("publication_date").fill_null(_EARLIEST))
    authored = (
        corpus.authorships.filter(pl.col("author_id").is_not_null())
        .select("work", "year", "author_id", "countries")
        .join(windows, on="year", how="inner")
        .join(dates, on="work", how="left")
    )
    active = (
        authored.group_by("author_id", "report_year")
        .agg(
            pl.col("work").n_unique().alias("n_works"),
            pl.col("publication_date").max().alias("latest"),
        )
        .filter(pl.col("n_works") >= min_works)
    )
    countries = (
        authored.join(
            active,
            left_on=["author_id", "report_year", "publication_date"],
            right_on=["author_id", "report_year", "latest"],
            how="inner",
        )
        .select("author_id", pl.col("report_year").alias("year"), pl.col("countries"))
        .explode("countries")
        .drop_nulls("countries")
        .unique()
        .rename({"countries": "country"})
    )
    sizes = countries.group_by("author_id", "year").agg(pl.len().alias("n_countries"))
    return countries.join(sizes, on=["author_id", "year"])


def researchers(
    corpus: Corpus, *, units: Sequence[str], min_works: int = 1, window_years: int = 1
) -> pl.LazyFrame:
    """The ``researchers`` table: active authors per unit and year, full and fractional."""
    per_unit = (
        researcher_countries(corpus, min_works=min_works, window_years=window_years)
        .join(membership_frame(units, corpus.years, corpus.groups), on=["year", "country"])
        .group_by("unit", "year", "author_id")
        .agg((pl.len() / pl.col("n_countries").first()).alias("weight"))
        .group_by("unit", "year")
        .agg(
            pl.len().cast(pl.Int64).alias("researchers_full"),
            exact_sum(pl.col("weight")).alias("researchers_frac"),
        )
    )
    return (
        grid(units, corpus)
        .join(per_unit, on=["unit", "year"], how="left")
        .with_columns(
            pl.lit(min_works, dtype=pl.Int64).alias("min_works"),
            pl.lit(window_years, dtype=pl.Int64).alias("window_years"),
            pl.col("researchers_full").fill_null(0),
            pl.col("researchers_frac").fill_null(0.0),
        )
        .select(RESEARCHER_COLUMNS)
        .sort("year", "unit")
    )
