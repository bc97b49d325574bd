"""Citation shares (METRICS.md §2), in two windows.

- ``received``: citations made in year Y (``counts_by_year`` entry of Y) to every corpus work
  published in or before Y; a unit's members are those of the citing year.
- ``published``: ``cited_by_count`` (to date) of the works of ``W_Y``.

The ``citation_trend`` table (:func:`citation_trend`, docs/metrics.md) keeps the window fixed
from year to year: citations made in year Y to the works published in the ``k`` years up to Y
(``Y-k+1 … Y``, default ``k = 3``), so that every year counts the same span of cited years;
``cited_years`` says how many of them the dataset holds (fewer than ``k`` at its start).

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
>>> citation_trend(tiny_corpus(), units=["US"]).select("unit", "cited_years",
...     "citations_frac").collect().rows()
[('US', 1, 3.0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus, exact_sum, work_units
from biblio.metrics._common import grid, ratio
from biblio.metrics.output import unit_works
from biblio.schema import OUTPUT_TABLES

__all__ = [
    "CITATION_COLUMNS",
    "CITED_YEARS",
    "TREND_COLUMNS",
    "citation_shares",
    "citation_trend",
    "cited_works",
]

#: The fixed span of cited publication years of the ``citation_trend`` table.
CITED_YEARS = 3

CITATION_COLUMNS = OUTPUT_TABLES["citation_shares"].names
TREND_COLUMNS = OUTPUT_TABLES["citation_trend"].names


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
    if window == "published":  # the members of the publication year: output's frame
        chosen = unit_works(corpus, units) if members is None else members
        weighted = (
            chosen.filter(pl.col("unit").is_in(list(units)))
            .select("work", "year", "unit", "frac")
            .join(cited, on=["work", "year"], how="inner")
        )
    else:
        weighted = None
    return _shares(corpus, units, cited, weighted).with_columns(pl.lit(window).alias("window"))


def _shares(
    corpus: Corpus, units: Sequence[str], cited: pl.LazyFrame, weighted: pl.LazyFrame | None
) -> pl.LazyFrame:
    """Full and fractional citations and shares per unit and year of ``cited``.

    ``cited`` holds ``work, year, cites``; ``weighted`` its rows per unit with ``frac`` (by
    default: each work under the units of the citing year). Zeros are included.
    """
    totals = cited.group_by("year").agg(pl.col("cites").sum().alias("total"))
    if weighted is None:
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
            pl.col("citations_full").fill_null(0).cast(pl.Int64),
            pl.col("citations_frac").fill_null(0.0),
            pl.col("total").fill_null(0),
        )
        .with_columns(
            ratio(pl.col("citations_full"), pl.col("total")).alias("share_full"),
            ratio(pl.col("citations_frac"), pl.col("total")).alias("share_frac"),
        )
        .drop("total")
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
    parts = [_window(corpus, units, w, members).select(CITATION_COLUMNS) for w in windows]
    return pl.concat(parts).sort("year", "unit", "window")


def citation_trend(
    corpus: Corpus, *, units: Sequence[str], cited_years: int = CITED_YEARS
) -> pl.LazyFrame:
    """The ``citation_trend`` table: citations in a fixed window per unit and reported year.

    Per unit and reported year Y, the citations made in Y to attributed works published in
    ``Y - cited_years + 1 … Y``, full and fractional, and their shares; ``cited_years`` is the
    span the dataset holds (its first years hold fewer).
    """
    if cited_years < 1:
        raise ValueError(f"cited_years {cited_years}: must be at least 1")
    published = corpus.works.select("work", pl.col("year").alias("published"))
    first = corpus.works.select(pl.col("year").min().alias("first"))
    cited = (  # received holds attributed works only
        corpus.received.join(published, on="work", how="inner")
        .filter(pl.col("published") > pl.col("year") - cited_years)
        .select("work", "year", "cites")
    )
    span = pl.min_horizontal(
        pl.lit(cited_years, pl.Int64), pl.col("year") - pl.col("first") + 1
    ).cast(pl.Int64)
    return (
        _shares(corpus, units, cited, None)
        .join(first, how="cross")
        .with_columns(span.alias("cited_years"))
        .select(TREND_COLUMNS)
        .sort("year", "unit")
    )
