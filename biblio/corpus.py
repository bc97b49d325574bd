"""The selected corpus and the per-work facts every metric shares (METRICS.md, Notation).

:func:`prepare` turns a dataset's three tables into a :class:`Corpus`: the works ``W`` after the
corpus filters (paratext and retracted works dropped by default), their authorships with
de-duplicated country lists, the fractional weight of every (work, country) and the countries of
each work's lead authorship. Metric functions take a Corpus and return LazyFrames.

Examples
--------
>>> import polars as pl
>>> works = pl.LazyFrame({"work_id": ["W1"], "publication_year": [2024],
...     "publication_date": [None], "cited_by_count": [3], "counts_by_year": [None],
...     "is_paratext": [False], "is_retracted": [False], "type": ["article"]})
>>> authorships = pl.LazyFrame({"work_id": ["W1", "W1"], "author_index": [0, 1],
...     "author_id": ["A1", None], "is_corresponding": [None, None],
...     "institution_ids": [[], []], "countries": [["CN", "GB"], ["US"]]})
>>> corpus = prepare(works, authorships, pl.LazyFrame())
>>> corpus.work_country.sort("country").collect()["frac"].to_list()
[0.25, 0.25, 0.5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from biblio.units import Group, load_groups, membership_frame

__all__ = ["Corpus", "exact_sum", "prepare", "work_units"]


def exact_sum(expr: pl.Expr) -> pl.Expr:
    """The sum of floats in ascending order: the same bits whatever the order of the rows.

    Floating-point addition is not associative, so a plain sum can differ in its last bit
    between runs or row orders; summing sorted values makes tables reproducible byte for byte.

    >>> pl.DataFrame({"x": [0.1, 0.7, 0.2]}).select(exact_sum(pl.col("x"))).item()
    1.0
    """
    # A sequential running total: polars drops a sort placed before a plain sum().
    return expr.sort().cum_sum().last().fill_null(0.0)


@dataclass(frozen=True)
class Corpus:
    """The selected works and the derived frames the metrics share.

    Attributes
    ----------
    works : ``work_id, year, publication_date, cited_by_count, counts_by_year`` of every work in
        the corpus (all years of the dataset: the received-citation and researcher windows reach
        back).
    authorships : ``work_id, year, author_index, author_id, is_corresponding, institution_ids,
        countries`` (countries de-duplicated) of those works.
    institutions : the dataset's institution records.
    work_country : ``work_id, country, frac`` for attributed works: ``frac(w, c)``.
    lead_country : ``work_id, country``: the countries of each attributed work's lead authorship.
    years : the years reported.
    """

    works: pl.LazyFrame
    authorships: pl.LazyFrame
    institutions: pl.LazyFrame
    work_country: pl.LazyFrame
    lead_country: pl.LazyFrame
    years: list[int]
    groups: Mapping[str, Group] = field(default_factory=load_groups)

    def works_in_years(self) -> pl.LazyFrame:
        """``W_Y`` for every reported year: ``work_id, year, cited_by_count``."""
        return self.works.filter(pl.col("year").is_in(self.years))

    def materialise(self) -> Corpus:
        """Collect the shared frames once, so that every table reuses them."""
        works, authorships, work_country, lead_country = pl.collect_all(
            [self.works, self.authorships, self.work_country, self.lead_country]
        )
        return Corpus(
            works.lazy(),
            authorships.lazy(),
            self.institutions,
            work_country.lazy(),
            lead_country.lazy(),
            self.years,
            self.groups,
        )


def prepare(
    works: pl.LazyFrame,
    authorships: pl.LazyFrame,
    institutions: pl.LazyFrame,
    *,
    years: Sequence[int] | None = None,
    keep_paratext: bool = False,
    keep_retracted: bool = False,
    types: Sequence[str] | None = None,
    groups: Mapping[str, Group] | None = None,
) -> Corpus:
    """Apply the corpus filters and derive the shared per-work frames.

    ``years`` are the reported years (default: every publication year of the corpus); the
    corpus keeps earlier years too, for the citation and researcher windows.
    """
    keep = pl.lit(True)
    if not keep_paratext:
        keep = keep & ~pl.col("is_paratext").fill_null(False)
    if not keep_retracted:
        keep = keep & ~pl.col("is_retracted").fill_null(False)
    if types:
        keep = keep & pl.col("type").is_in(list(types))
    selected = works.filter(keep & pl.col("publication_year").is_not_null()).select(
        "work_id",
        pl.col("publication_year").cast(pl.Int64).alias("year"),
        "publication_date",
        pl.col("cited_by_count").fill_null(0).cast(pl.Int64),
        "counts_by_year",
    )
    if years is None:
        found = selected.select(pl.col("year").unique().sort()).collect()["year"].to_list()
        years = [int(y) for y in found]
    last_year = max(years) if years else 0
    selected = selected.filter(pl.col("year") <= last_year)
    auth = authorships.join(selected.select("work_id", "year"), on="work_id", how="inner").select(
        "work_id",
        "year",
        "author_index",
        "author_id",
        pl.col("is_corresponding").fill_null(False),
        "institution_ids",
        pl.col("countries").list.unique(maintain_order=True).fill_null([]),
    )
    return Corpus(
        selected,
        auth,
        institutions,
        _work_country(auth),
        _lead_country(auth),
        list(years),
        groups if groups is not None else load_groups(),
    )


def _work_country(authorships: pl.LazyFrame) -> pl.LazyFrame:
    """frac(w, c): each authorship with a country carries 1/n_w, split over its countries."""
    with_country = authorships.filter(pl.col("countries").list.len() > 0).select(
        "work_id",
        "countries",
        (1.0 / (pl.len().over("work_id").cast(pl.Float64) * pl.col("countries").list.len())).alias(
            "part"
        ),
    )
    return (
        with_country.explode("countries")
        .group_by("work_id", pl.col("countries").alias("country"))
        .agg(exact_sum(pl.col("part")).alias("frac"))
    )


def _lead_country(authorships: pl.LazyFrame) -> pl.LazyFrame:
    """The lead authorship: the corresponding one if exactly one is flagged and it has a
    country, else the lowest ``author_index`` with a country."""
    has_country = pl.col("countries").list.len() > 0
    flagged = (
        authorships.filter(pl.col("is_corresponding"))
        .group_by("work_id")
        .agg(
            pl.len().alias("n_flagged"),
            pl.col("author_index").first().alias("flagged_index"),
            has_country.first().alias("flagged_has_country"),
        )
    )
    first = (
        authorships.filter(has_country)
        .group_by("work_id")
        .agg(pl.col("author_index").min().alias("first_index"))
    )
    lead = first.join(flagged, on="work_id", how="left").select(
        "work_id",
        pl.when((pl.col("n_flagged") == 1) & pl.col("flagged_has_country"))
        .then(pl.col("flagged_index"))
        .otherwise(pl.col("first_index"))
        .alias("author_index"),
    )
    return (
        authorships.join(lead, on=["work_id", "author_index"], how="inner")
        .select("work_id", pl.col("countries").alias("country"))
        .explode("country")
        .unique()
    )


def work_units(
    rows: pl.LazyFrame,
    per_country: pl.LazyFrame,
    units: Sequence[str],
    corpus: Corpus,
    *,
    value: str | None = None,
) -> pl.LazyFrame:
    """Map per-country facts of works to units, with each unit's members of ``year``.

    ``rows`` has ``work_id, year`` (the year whose members apply); ``per_country`` has
    ``work_id, country`` and optionally a ``value`` column summed per unit (e.g. ``frac``).
    Returns one row per (work_id, year, unit) the work belongs to.
    """
    membership = membership_frame(units, corpus.years, corpus.groups)
    joined = rows.join(per_country, on="work_id", how="inner").join(
        membership, on=["year", "country"], how="inner"
    )
    aggs = [exact_sum(pl.col(value))] if value else []
    return joined.group_by("work_id", "year", "unit").agg(*aggs)
