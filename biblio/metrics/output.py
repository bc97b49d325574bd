"""Output counts (METRICS.md §1): works per unit and year, full and fractional.

``P_full(u,Y)`` counts the works of ``W_Y`` with an author in ``u``; ``P_frac(u,Y)`` sums
``frac(w,u)``; shares divide by ``N_Y``, the attributed works of the year.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> for row in output(tiny_corpus(), units=["CN", "US", "EU27"]).collect().rows():
...     print(row)
('CN', 2024, 1, 0.25, 0.5, 0.125)
('EU27', 2024, 0, 0.0, 0.0, 0.0)
('US', 2024, 2, 1.75, 1.0, 0.875)
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus, country_units, exact_sum
from biblio.metrics._common import attributed_per_year, grid, ratio
from biblio.schema import OUTPUT_TABLES

__all__ = ["OUTPUT_COLUMNS", "output", "unit_sizes", "unit_works"]

OUTPUT_COLUMNS = OUTPUT_TABLES["output"].names


def unit_works(corpus: Corpus, units: Sequence[str]) -> pl.LazyFrame:
    """``work, year, unit, frac``: each attributed work of ``W_Y`` under each of its units.

    ``frac`` is ``frac(w, u)``.
    """
    rows = corpus.work_country.filter(pl.col("year").is_in(corpus.years))
    return country_units(
        rows.select("work", "year", "country", "num", "den"), units, corpus, fractional=True
    )


def unit_sizes(members: pl.LazyFrame) -> pl.LazyFrame:
    """``unit, year, works_full, works_frac`` from a :func:`unit_works` frame."""
    return members.group_by("unit", "year").agg(
        pl.len().cast(pl.Int64).alias("works_full"),
        exact_sum(pl.col("frac")).alias("works_frac"),
    )


def output(
    corpus: Corpus, *, units: Sequence[str], sizes: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """The ``output`` table: one row per unit and reported year, zeros included.

    ``sizes`` may pass a :func:`unit_sizes` frame already computed for (at least) ``units``.
    """
    if sizes is None:
        sizes = unit_sizes(unit_works(corpus, units))
    return (
        grid(units, corpus)
        .join(sizes, on=["unit", "year"], how="left")
        .join(attributed_per_year(corpus), on="year", how="left")
        .with_columns(
            pl.col("works_full").fill_null(0),
            pl.col("works_frac").fill_null(0.0),
            pl.col("attributed").fill_null(0),
        )
        .with_columns(
            ratio(pl.col("works_full"), pl.col("attributed")).alias("share_full"),
            ratio(pl.col("works_frac"), pl.col("attributed")).alias("share_frac"),
        )
        .select(OUTPUT_COLUMNS)
        .sort("year", "unit")
    )
