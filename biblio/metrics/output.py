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

from biblio.corpus import Corpus, exact_sum, work_units
from biblio.metrics._common import attributed_per_year, grid, ratio
from biblio.schema import OUTPUT_TABLES

__all__ = ["OUTPUT_COLUMNS", "output", "unit_works"]

OUTPUT_COLUMNS = OUTPUT_TABLES["output"].names


def unit_works(corpus: Corpus, units: Sequence[str]) -> pl.LazyFrame:
    """``work, year, unit, frac``: each work of ``W_Y`` under every unit it belongs to."""
    rows = corpus.works_in_years().select("work", "year")
    return work_units(rows, corpus.work_country, units, corpus, fractional=True)


def output(corpus: Corpus, *, units: Sequence[str]) -> pl.LazyFrame:
    """The ``output`` table: one row per unit and reported year, zeros included."""
    counts = (
        unit_works(corpus, units)
        .group_by("unit", "year")
        .agg(
            pl.len().cast(pl.Int64).alias("works_full"),
            exact_sum(pl.col("frac")).alias("works_frac"),
        )
    )
    return (
        grid(units, corpus)
        .join(counts, on=["unit", "year"], how="left")
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
