"""Citation shares (METRICS.md §2), in two windows.

- ``received``: citations made in year Y (``counts_by_year`` entry of Y) to every corpus work
  published in or before Y; a unit's members are those of the citing year.
- ``published``: ``cited_by_count`` (to date) of the works of ``W_Y``.

``CS_full(u,Y) = Σ_{w∈u} cites(w) / Σ_w cites(w)``, ``CS_frac`` weighs each work by
``frac(w,u)``; both sums run over attributed works; a zero denominator gives null.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> t = citation_shares(tiny_corpus(), units=["CN", "US"]).collect()
>>> t.filter(window="published").select("unit", "citations_full", "share_frac").rows()
[('CN', 10, 0.20833333333333334), ('US', 12, 0.7916666666666666)]
>>> t.filter(window="received").select("unit", "citations_full", "share_full").rows()
[('CN', 4, 1.0), ('US', 4, 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus, exact_sum, work_units
from biblio.metrics._common import grid, ratio
from biblio.metrics.output import unit_works

__all__ = ["CITATION_COLUMNS", "citation_shares", "cited_works"]

CITATION_COLUMNS = [
    "unit",
    "year",
    "window",
    "citations_full",
    "citations_frac",
    "share_full",
    "share_frac",
]


def cited_works(corpus: Corpus, window: str) -> pl.LazyFrame:
    """``work, year, cites`` of attributed works for each reported year, in ``window``."""
    if window == "published":
        attributed = corpus.work_country.filter(pl.col("year").is_in(corpus.years))
        return (
            corpus.works_in_years()
            .select("work", "year", pl.col("cited_by_count").alias("cites"))
            .join(attributed.select("work"), on="work", how="semi")
        )
    if window == "received":
        return corpus.received  # attributed works only (see Corpus.received)
    raise ValueError(f"unknown citation window {window!r}")


def _window(
    corpus: Corpus, units: Sequence[str], window: str, members: pl.LazyFrame | None
) -> pl.LazyFrame:
    cited = cited_works(corpus, window)
    totals = cited.group_by("year").agg(pl.col("cites").sum().alias("total"))
    if window == "published":
        chosen = unit_works(corpus, units) if members is None else members
        in_units = chosen.filter(pl.col("unit").is_in(list(units))).select(
            "work", "year", "unit", "frac"
        )
        weighted = in_units.join(cited, on=["work", "year"], how="inner")
    else:  # the members of the citing year
        weighted = work_units(cited, corpus.work_country, units, corpus, fractional=True)
    per_unit = weighted.group_by("unit", "year").agg(
        pl.col("cites").sum().alias("citations_full"),
        exact_sum(pl.col("frac") * pl.col("cites")).alias("citations_frac"),
    )
    return (
        grid(units, corpus)
        .join(per_unit, on=["unit", "year"], how="left")
        .join(totals, on="year", how="left")
        .with_columns(
            pl.lit(window).alias("window"),
            pl.col("citations_full").fill_null(0).cast(pl.Int64),
            pl.col("citations_frac").fill_null(0.0),
            pl.col("total").fill_null(0),
        )
        .with_columns(
            ratio(pl.col("citations_full"), pl.col("total")).alias("share_full"),
            ratio(pl.col("citations_frac"), pl.col("total")).alias("share_frac"),
        )
        .select(CITATION_COLUMNS)
    )


def citation_shares(
    corpus: Corpus,
    *,
    units: Sequence[str],
    windows: Sequence[str] = ("published", "received"),
    members: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The ``citation_shares`` table: one row per unit, year and window (both by default).

    ``members`` may pass a :func:`biblio.metrics.output.unit_works` frame already computed
    for (at least) ``units``.
    """
    return pl.concat([_window(corpus, units, w, members) for w in windows]).sort(
        "year", "unit", "window"
    )
