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

from biblio.corpus import Corpus, country_units, exact_sum
from biblio.metrics._common import grid
from biblio.schema import OUTPUT_TABLES

__all__ = ["RESEARCHER_COLUMNS", "researcher_countries", "researchers"]

RESEARCHER_COLUMNS = OUTPUT_TABLES["researchers"].names
_EARLIEST = dt.date(1, 1, 1)  # a missing publication_date sorts before every real one


def researcher_countries(
    corpus: Corpus, *, min_works: int = 1, window_years: int = 1
) -> pl.LazyFrame:
    """Each active author's countries for each reported year.

    ``author, year, country, n_countries`` (``author`` as in
    :attr:`biblio.corpus.Corpus.authorships`, ``n_countries`` = size of that set).
    """
    authored = corpus.authorships.filter(pl.col("author").is_not_null()).select(
        "work", "year", pl.col("publication_date").fill_null(_EARLIEST), "author", "countries"
    )
    if window_years == 1:
        authored = authored.filter(pl.col("year").is_in(corpus.years)).with_columns(
            pl.col("year").alias("report_year")
        )
    else:
        windows = pl.LazyFrame(
            [(y, w) for y in corpus.years for w in range(y - window_years + 1, y + 1)],
            schema={"report_year": pl.Int64, "year": pl.Int64},
            orient="row",
        )
        authored = authored.join(windows, on="year", how="inner")
    # With one reported year, the author alone identifies the group.
    per_author = ["author"] if len(corpus.years) == 1 else ["author", "report_year"]
    latest = pl.col("publication_date") == pl.col("publication_date").max().over(per_author)
    if min_works > 1:  # with one work required, every author in the window is active
        latest = latest & (pl.col("work").n_unique().over(per_author) >= min_works)
    countries = (
        authored.filter(latest)
        .select("author", pl.col("report_year").alias("year"), pl.col("countries"))
        .explode("countries")
        .drop_nulls("countries")
        .unique()
        .rename({"countries": "country"})
    )
    per_year = ["author"] if len(corpus.years) == 1 else ["author", "year"]
    return countries.with_columns(pl.len().over(per_year).cast(pl.UInt32).alias("n_countries"))


def researchers(
    corpus: Corpus, *, units: Sequence[str], min_works: int = 1, window_years: int = 1
) -> pl.LazyFrame:
    """The ``researchers`` table: active authors per unit and year, full and fractional."""
    counted = researcher_countries(corpus, min_works=min_works, window_years=window_years)
    # Each (author, year, country) row adds 1/n_countries to the country; a group adds the
    # shares of its member countries (an author counts once in it).
    weights = country_units(
        counted.select(
            "author",
            "year",
            "country",
            pl.lit(1, pl.Int64).alias("num"),
            pl.col("n_countries").cast(pl.Int64).alias("den"),
        ),
        units,
        corpus,
        fractional=True,
        key="author",
    )
    per_unit = weights.group_by("unit", "year").agg(
        pl.len().cast(pl.Int64).alias("researchers_full"),
        exact_sum(pl.col("frac")).alias("researchers_frac"),
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
