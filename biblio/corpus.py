"""The selected corpus and the per-work facts every metric shares (METRICS.md, Notation).

:func:`prepare` turns a dataset's three tables into a :class:`Corpus`: the works ``W`` after the
corpus filters (paratext and retracted works dropped by default), their authorships, and, once
for every table, the fractional weight of each (work, country) and the countries of each work's
lead authorship. Works are keyed by an integer (``work``): the number in an OpenAlex ``W…`` id,
or, for other ids, a row number, so joins and groupings never hash strings; authors likewise
(``author``).

Fractional weights are kept exact: ``frac(w, c) = num / den`` with integer ``num`` and
``den = n_w · L`` where ``L`` is the least common multiple of every authorship's country count.
Sums of weights over a work's countries are integer sums, so they do not depend on row order.

Every table is a sum over the works of a year, so a corpus can be cut into years
(:meth:`Corpus.for_years`) and each year computed on its own; only the received-citation window
(works of every earlier year) and the researcher window (authorships of the years before) reach
back, and the cut keeps what they need.

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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce

import polars as pl

from biblio.units import Group, load_groups, members, membership_frame

__all__ = [
    "Corpus",
    "authorship_counts",
    "corpus_countries",
    "corpus_years",
    "country_units",
    "exact_sum",
    "prepare",
    "select_works",
    "work_units",
]

_COUNTS_BY_YEAR = pl.List(pl.Struct({"year": pl.Int32, "cited_by_count": pl.Int64}))
#: Beyond this many countries on one authorship, the common denominator would overflow int64.
_MAX_EXACT_COUNTRIES = 36


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
    works : ``work, year, publication_date, cited_by_count`` of every work in
        the corpus up to the last reported year (the received-citation and researcher windows
        reach back).
    authorships : ``work, year, publication_date, author, countries, institution_ids`` of the
        works of the years in memory (``loaded``: by default the reported years and the
        researcher window before them); ``author`` is an integer key of ``author_id`` (null
        without one); ``countries`` and ``institution_ids`` as the dataset lists them.
    institutions : the dataset's institution records.
    work_country : ``work, year, country, num, den, frac`` for attributed works (``year`` is
        the publication year): ``frac(w, c) = num / den``.
    lead_country : ``work, year, country``: the countries of the lead authorship of each
        work that names two countries or more (only those can be co-authored by two disjoint
        units), for the years in memory.
    received : ``work, year, cites``: citations made in each reported year to the attributed
        works published up to it.
    years : the years reported.
    groups : the unit groups (:func:`biblio.units.load_groups`).
    source, lead_source : the authorships and the lead countries of every year up to the
        last reported one, as ``authorships`` and ``lead_country`` but read from the dataset
        when asked (``author`` is then the id itself): what :meth:`for_years` reads for years
        not in memory.
    loaded : the years whose authorships and lead countries are in memory.
    authorship_counts : per year, the coverage counts of the authorships (see
        :func:`authorship_counts`), taken in the one pass over every authorship when
        :func:`prepare` is asked for them (``counted_years``); else None.
    """

    works: pl.LazyFrame
    authorships: pl.LazyFrame
    institutions: pl.LazyFrame
    work_country: pl.LazyFrame
    lead_country: pl.LazyFrame
    received: pl.LazyFrame
    years: list[int]
    groups: Mapping[str, Group] = field(default_factory=load_groups)
    source: pl.LazyFrame | None = None
    lead_source: pl.LazyFrame | None = None
    loaded: tuple[int, ...] = ()
    authorship_counts: pl.LazyFrame | None = None

    def works_in_years(self) -> pl.LazyFrame:
        """``W_Y`` for every reported year: ``work, year, cited_by_count``."""
        return self.works.filter(pl.col("year").is_in(self.years))

    def countries(self) -> list[str]:
        """Every country with an attributed work in the corpus, sorted.

        Up to the last reported year; :func:`corpus_countries` gives the same for a whole
        dataset.
        """
        found = self.work_country.select(pl.col("country").unique()).collect()
        return sorted(found["country"].to_list())

    def materialise(self) -> Corpus:
        """Collect the shared frames once, so that every table reuses them.

        :func:`prepare` already returns them collected; a view of :meth:`for_years` is only
        filtered, and this gathers its rows once.
        """
        frames = pl.collect_all(
            [self.works, self.authorships, self.work_country, self.lead_country, self.received]
        )
        works, authorships, work_country, lead_country, received = (f.lazy() for f in frames)
        return replace(
            self,
            works=works,
            authorships=authorships,
            work_country=work_country,
            lead_country=lead_country,
            received=received,
        )

    def for_years(self, years: Sequence[int], *, window_years: int = 1) -> Corpus:
        """The same corpus reporting ``years`` only (a subset of :attr:`years`).

        Each year's tables depend only on its own works, the citations made in it and the
        authorships of its researcher window (``window_years``), so computing the years one by
        one gives the tables of all years at once, row for row, with a smaller working set.

        >>> from biblio.metrics.testing import tiny_corpus
        >>> tiny_corpus().for_years([2024]).years
        [2024]
        """
        chosen = [y for y in self.years if y in set(years)]
        window = sorted({y - k for y in chosen for k in range(max(window_years, 1))})
        in_years = pl.col("year").is_in(chosen)
        authorships = self.authorships
        if self.source is not None and not set(window) <= set(self.loaded):
            authorships = self.source
        lead_country = self.lead_country
        if self.lead_source is not None and not set(chosen) <= set(self.loaded):
            lead_country = self.lead_source
        return replace(
            self,
            authorships=authorships.filter(pl.col("year").is_in(window)),
            lead_country=lead_country.filter(in_years),
            received=self.received.filter(in_years),
            years=chosen,
        )


def select_works(
    works: pl.LazyFrame,
    *,
    keep_paratext: bool = False,
    keep_retracted: bool = False,
    types: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """The corpus filters: the works kept, with the columns the metrics read.

    ``work_id, year, publication_date, cited_by_count, counts_by_year``; paratext and retracted
    works are dropped unless kept.
    """
    keep = pl.col("publication_year").is_not_null()
    if not keep_paratext:
        keep = keep & ~pl.col("is_paratext").fill_null(False)
    if not keep_retracted:
        keep = keep & ~pl.col("is_retracted").fill_null(False)
    if types:
        keep = keep & pl.col("type").is_in(list(types))
    return works.filter(keep).select(
        "work_id",
        pl.col("publication_year").cast(pl.Int64).alias("year"),
        "publication_date",
        pl.col("cited_by_count").fill_null(0).cast(pl.Int64),
        "counts_by_year",
    )


def corpus_years(selected: pl.LazyFrame) -> list[int]:
    """The publication years present among selected works, ascending."""
    found = selected.select(pl.col("year").unique().sort()).collect()["year"].to_list()
    return [int(y) for y in found]


def corpus_countries(selected: pl.LazyFrame, authorships: pl.LazyFrame) -> list[str]:
    """Every country with an attributed work among the selected works, sorted."""
    found = (
        authorships.join(selected.select("work_id"), on="work_id", how="semi")
        .select(pl.col("countries").explode().drop_nulls().unique())
        .collect(engine="streaming")
    )
    return sorted(found["countries"].to_list())


def _numeric_ids(frame: pl.LazyFrame, column: str, prefix: str) -> bool:
    """Whether every id in ``column`` is ``prefix`` followed by digits (OpenAlex's shape)."""
    bad = frame.select(
        (
            pl.col(column).is_not_null() & ~pl.col(column).str.contains(f"^{prefix}[0-9]{{1,18}}$")
        ).any()
    ).collect()
    return not bool(bad.item())


def _number(column: str) -> pl.Expr:
    return pl.col(column).str.slice(1).cast(pl.Int64)


def prepare(
    works: pl.LazyFrame,
    authorships: pl.LazyFrame,
    institutions: pl.LazyFrame,
    *,
    years: Sequence[int] | None = None,
    window_years: int = 1,
    keep_paratext: bool = False,
    keep_retracted: bool = False,
    types: Sequence[str] | None = None,
    groups: Mapping[str, Group] | None = None,
    detail_years: Sequence[int] | None = None,
    counted_years: Sequence[int] = (),
) -> Corpus:
    """Apply the corpus filters and derive the shared per-work frames.

    ``years`` are the reported years (default: every publication year of the corpus); the
    corpus keeps earlier works too, for the citation window. The authorships of
    ``detail_years`` (default: ``years``) and of the ``window_years - 1`` years before each,
    for the researcher window, are read into memory; the other years' are read from the
    dataset when a table asks for them (see :attr:`Corpus.source`). The coverage counts of the
    authorships of ``counted_years`` are taken in the pass over every authorship that the
    fractional weights need anyway (:attr:`Corpus.authorship_counts`).
    """
    selected = select_works(
        works, keep_paratext=keep_paratext, keep_retracted=keep_retracted, types=types
    )
    years = sorted(corpus_years(selected) if years is None else years)
    selected = selected.filter(pl.col("year") <= (years[-1] if years else 0))
    if _numeric_ids(works, "work_id", "W"):
        selected = selected.with_columns(_number("work_id").alias("work")).drop("work_id")
        # An authorship whose work id is not of that shape matches no work: drop it here.
        keyed = authorships.with_columns(
            pl.when(pl.col("work_id").str.starts_with("W"))
            .then(pl.col("work_id").str.slice(1).cast(pl.Int64, strict=False))
            .alias("work")
        ).drop_nulls("work")
    else:  # not OpenAlex ids: number the works instead
        selected = selected.with_row_index("work").with_columns(pl.col("work").cast(pl.Int64))
        keyed = authorships.join(selected.select("work_id", "work"), on="work_id", how="inner")
        selected = selected.drop("work_id")
    detailed = years if detail_years is None else sorted(detail_years)
    window = sorted({y - k for y in detailed for k in range(max(window_years, 1))})
    publication = selected.select("work", "year").collect()
    # One row per authorship with its distinct countries (k of them): the weights, the lead and
    # the corpus' countries all come from this frame, collected once.
    # (The ids counted as integers while they stream: 8 bytes a row instead of the string.)
    counting: list[pl.Expr] = (
        [*_id_keys(pl.col("author_id")), pl.col("institution_ids")] if counted_years else []
    )
    every = (
        keyed.select(
            "work",
            "author_index",
            pl.col("is_corresponding").fill_null(False),
            "countries",
            *counting,
        )
        .filter(pl.col("work").is_in(publication["work"].implode()))
        .collect(engine="streaming")
    )
    counts = None
    if counted_years:
        in_years = publication.filter(pl.col("year").is_in(list(counted_years)))
        # Each authorship's year (null outside counted_years) joined to the work column alone
        # and set beside the others: joining every column would copy every authorship's lists.
        year = (
            every.lazy()
            .select("work")
            .join(in_years.lazy(), on="work", how="left", maintain_order="left")
            .collect()["year"]
        )
        counts = (
            authorship_counts(
                every.lazy().select(
                    pl.lit(year).alias("year"), "key", "other", "countries", "institution_ids"
                ),
                institutions,
            )
            .filter(pl.col("year").is_not_null())
            .collect()
        )
        del year
        every = every.drop("key", "other", "institution_ids")
    authorship_countries = (
        _distinct_countries(every)
        .with_columns(pl.col("countries").list.len().cast(pl.Int64).alias("k"))
        .collect()
        .lazy()
    )
    del every
    work_country = (
        _work_country(authorship_countries)
        .join(publication.lazy(), on="work", how="inner")
        .select("work", "year", "country", "num", "den", "frac")
        .sort("year")
        .collect()
    )
    # Only a work with two countries or more can be co-authored by two disjoint units, so only
    # those works need their lead authorship (for led_by_source and led_by_partner).
    international = (
        work_country.lazy()
        .group_by("work", "year")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") > 1)
        .select("work", "year")
    )
    in_memory = international.filter(pl.col("year").is_in(window))
    works_kept, lead_country, received = (
        _year_sorted(frame)
        for frame in pl.collect_all(
            [
                selected.drop("counts_by_year"),
                _lead_country(
                    authorship_countries.join(in_memory.select("work"), on="work", how="semi")
                ).join(in_memory, on="work", how="inner"),
                _received(selected, years).join(
                    work_country.lazy().select("work").unique(), on="work", how="semi"
                ),
            ]
        )
    )
    del authorship_countries  # before the detail is read: the two are the largest frames
    # The detail (author ids, institution lists) is needed only for the reported years and the
    # researcher window: join those works first, so the other authorships' lists never load.
    # (An eager key set lets the streaming engine drop rows batch by batch.)
    in_window = works_kept.filter(pl.col("year").is_in(window)).select(
        "work", "year", "publication_date"
    )
    # (Not sorted by year, unlike the smaller frames: a sorted copy would double the largest
    # frame; a year's rows are gathered once per year instead, see corpus_tables.)
    detail = _author_keys(
        keyed.select("work", "author_id", "countries", "institution_ids")
        .filter(pl.col("work").is_in(in_window["work"].implode()))
        .join(in_window.lazy(), on="work", how="inner")
        .select("work", "year", "publication_date", "author_id", "countries", "institution_ids")
        .collect(engine="streaming")
    )
    # The other years' authorships and leads, read from the dataset if a table asks for them.
    source = keyed.select("work", "author_id", "countries", "institution_ids").join(
        works_kept.lazy().select("work", "year", "publication_date"), on="work", how="inner"
    )
    lead_source = _lead_country(
        keyed.select(
            "work",
            "author_index",
            pl.col("is_corresponding").fill_null(False),
            pl.col("countries").list.drop_nulls().list.unique(maintain_order=True),
        )
        .with_columns(pl.col("countries").list.len().cast(pl.Int64).alias("k"))
        .join(international.select("work"), on="work", how="semi")
    ).join(international, on="work", how="inner")
    return Corpus(
        works_kept.lazy(),
        (_year_sorted(detail) if detail["year"].is_sorted() else detail).lazy(),
        institutions,
        work_country.lazy(),
        lead_country.lazy(),
        received.lazy(),
        list(years),
        groups if groups is not None else load_groups(),
        source.select(
            "work",
            "year",
            "publication_date",
            pl.col("author_id").alias("author"),
            "countries",
            "institution_ids",
        ),
        lead_source,
        tuple(window),
        None if counts is None else counts.lazy(),
    )


def _year_sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in ascending ``year``, flagged so: then a filter on years is a slice."""
    if frame["year"].is_sorted():  # e.g. one year
        return frame.with_columns(pl.col("year").set_sorted())
    return frame.sort("year")


def authorship_counts(authorships: pl.LazyFrame, institutions: pl.LazyFrame) -> pl.LazyFrame:
    """Per year, the coverage counts of ``authorships``.

    ``authorships`` has ``year, author, countries, institution_ids``; the counts are
    ``authorships``, ``authorships_with_country`` (a non-null country),
    ``authors_with_id`` (distinct non-null ids) and ``institutions_missing_country`` (distinct
    listed institution ids with no record or no country).

    ``author`` may be an integer key or the id itself, or the frame may carry the id already
    split into ``key, other`` (:func:`_id_keys`): ids are counted as the numbers of the
    OpenAlex-shaped ones plus the other ids as strings, the same count without hashing millions
    of strings.

    >>> rows = pl.LazyFrame({"year": [2024, 2024, 2024], "author": ["A1", "A1", "x"],
    ...     "countries": [["CN"], [None], []], "institution_ids": [["I1"], ["I9"], []]})
    >>> known = pl.LazyFrame({"institution_id": ["I1"], "country_code": ["CN"]})
    >>> authorship_counts(rows, known).collect().row(0)
    (2024, 3, 1, 2, 1)
    """
    schema = authorships.collect_schema()
    if "key" in schema:  # already split (see _id_keys)
        keys = [pl.col("key"), pl.col("other")]
    elif schema["author"] == pl.String:
        keys = _id_keys(pl.col("author"))
    else:
        keys = [pl.col("author").alias("key")]
    names = [k.meta.output_name() for k in keys]
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
            *(pl.col(n).drop_nulls().n_unique().alias(n) for n in names),
        )
        .select(
            "year",
            "authorships",
            "authorships_with_country",
            pl.sum_horizontal(names).cast(pl.Int64).alias("authors_with_id"),
        )
    )
    known = institutions.filter(pl.col("country_code").is_not_null()).select("institution_id")
    missing = (
        authorships.select("year", pl.col("institution_ids").alias("institution_id"))
        .explode("institution_id")
        .drop_nulls("institution_id")
        .join(known, on="institution_id", how="anti")
        .group_by("year")
        .agg(
            pl.col("institution_id").n_unique().cast(pl.Int64).alias("institutions_missing_country")
        )
    )
    return per_authorship.join(missing, on="year", how="left").with_columns(
        pl.col("institutions_missing_country").fill_null(0)
    )


def _distinct_countries(frame: pl.DataFrame) -> pl.LazyFrame:
    """``frame`` with each ``countries`` list free of nulls and repeats (first order kept).

    Almost every authorship lists at most one country; only the longer lists go through the
    (costly) list de-duplication. ``frame`` is in memory because both branches read it.
    """
    countries = pl.col("countries")
    single = (
        frame.lazy()
        .filter(countries.list.len().fill_null(0) <= 1)
        .with_columns(
            pl.when(countries.list.first().is_null())
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(countries)
            .alias("countries")
        )
    )
    several = (
        frame.lazy()
        .filter(countries.list.len() > 1)
        .with_columns(countries.list.drop_nulls().list.unique(maintain_order=True))
    )
    return pl.concat([single, several])


def _id_keys(ids: pl.Expr) -> list[pl.Expr]:
    """``key``, the number of an OpenAlex-shaped ``A…`` id, and ``other``, any other id.

    Distinct ``key`` plus distinct ``other`` is the count of distinct ids, without hashing
    millions of strings (a canonical number has one id: no leading zero).
    """
    canonical = ids.str.contains(r"^A[1-9][0-9]{0,17}$")
    return [
        pl.when(canonical).then(ids.str.slice(1).cast(pl.Int64)).alias("key"),
        pl.when(~canonical).then(ids).alias("other"),
    ]


def _author_keys(detail: pl.DataFrame) -> pl.DataFrame:
    """``detail`` with ``author_id`` replaced by an integer ``author``.

    The number of an OpenAlex ``A…`` id, or, when some id has another shape, a code per
    distinct id.
    """
    ids = pl.col("author_id")
    canonical = ids.str.contains(r"^A[1-9][0-9]{0,17}$")  # one number per id, and back
    if bool(detail.select((ids.is_not_null() & ~canonical).any()).item()):
        key = ids.cast(pl.Categorical).to_physical().cast(pl.Int64)
    else:
        key = ids.str.slice(1).cast(pl.Int64)
    return detail.with_columns(key.alias("author")).select(
        "work", "year", "publication_date", "author", "countries", "institution_ids"
    )


def _received(selected: pl.LazyFrame, years: Sequence[int]) -> pl.LazyFrame:
    """``work, year, cites``: citations made in each reported year to works published up to it.

    The ``counts_by_year`` entry of that year; none when the work has no entry.
    """
    entry = pl.element().struct.field("year").cast(pl.Int64)
    counts = pl.col("counts_by_year").cast(_COUNTS_BY_YEAR)  # a no-op unless untyped (all null)
    return (
        selected.select(
            "work",
            pl.col("year").alias("published"),
            counts.list.eval(pl.element().filter(entry.is_in(list(years)))),
        )
        .explode("counts_by_year")
        .drop_nulls("counts_by_year")
        .unnest("counts_by_year")
        .filter(pl.col("published") <= pl.col("year"))
        .group_by("work", pl.col("year").cast(pl.Int64))
        .agg(pl.col("cited_by_count").fill_null(0).sum().cast(pl.Int64).alias("cites"))
    )


def _work_country(authorship_countries: pl.LazyFrame) -> pl.LazyFrame:
    """frac(w, c): each authorship with a country carries 1/n_w, split over its countries.

    Computed as ``num / (n_w · L)`` where authorship ``a`` adds ``L / k_a`` to ``num`` for each
    of its ``k_a`` countries and ``L`` is the lcm of all country counts; the nums of a work
    sum to ``n_w · L``, which is so its denominator.
    """
    with_country = authorship_countries.filter(pl.col("k") > 0)
    largest = with_country.select(pl.col("k").max()).collect().item() or 1
    rows = with_country.select("work", "k", pl.col("countries").alias("country")).explode("country")
    if largest > _MAX_EXACT_COUNTRIES:  # pathological records: fall back to sorted float sums
        n_authorships = with_country.group_by("work").agg(pl.len().cast(pl.Int64).alias("n"))
        return (
            rows.join(n_authorships, on="work")
            .group_by("work", "country")
            .agg(exact_sum(1.0 / (pl.col("n") * pl.col("k"))).alias("frac"))
            .with_columns(pl.col("frac").alias("num"), pl.lit(1.0).alias("den"))
        )
    lcm = reduce(math.lcm, range(1, largest + 1), 1)
    return (
        rows.group_by("work", "country")
        .agg((lcm // pl.col("k")).sum().alias("num"))
        .with_columns(pl.col("num").sum().over("work").alias("den"))
        .select("work", "country", "num", "den", (pl.col("num") / pl.col("den")).alias("frac"))
    )


def _lead_country(authorship_countries: pl.LazyFrame) -> pl.LazyFrame:
    """The lead authorship of each work (``work, country``).

    The corresponding one if exactly one is flagged and it has a country, else the lowest
    ``author_index`` with a country.
    """
    has_country = pl.col("k") > 0
    flagged = pl.col("is_corresponding")
    index = pl.col("author_index")
    lead = (
        authorship_countries.group_by("work")
        .agg(
            flagged.sum().alias("n_flagged"),
            # (the only flagged one when n_flagged is 1, so min() is "the" one)
            pl.when(flagged & has_country).then(index).min().alias("flagged"),
            pl.when(has_country).then(index).min().alias("first"),
        )
        .filter(pl.col("first").is_not_null())
        .select(
            "work",
            pl.when(pl.col("n_flagged") == 1)
            .then(pl.coalesce("flagged", "first"))
            .otherwise(pl.col("first"))
            .alias("author_index"),
        )
    )
    return (
        authorship_countries.join(lead, on=["work", "author_index"], how="inner")
        .select("work", pl.col("countries").alias("country"))
        .explode("country")
    )


def _identity_units(
    units: Sequence[str], years: Sequence[int], groups: Mapping[str, Group]
) -> set[str]:
    """The units that are their own single member in every year (countries, in short)."""
    return {u for u in units if all(members(u, y, groups) == {u} for y in years)}


def work_units(
    rows: pl.LazyFrame,
    per_country: pl.LazyFrame,
    units: Sequence[str],
    corpus: Corpus,
    *,
    fractional: bool = False,
) -> pl.LazyFrame:
    """Map per-country facts of works to units, with each unit's members of ``year``.

    ``rows`` has ``work, year`` (the year whose members apply) and may carry more columns;
    ``per_country`` has ``work, country`` (and ``num, den`` when ``fractional``). Returns one
    row per (work, year, unit) the work belongs to, with the other columns of ``rows`` and
    ``frac(w, u)`` when ``fractional``.
    """
    columns = ["work", "country", "num", "den"] if fractional else ["work", "country"]
    joined = rows.join(per_country.select(columns), on="work", how="inner")
    return country_units(joined, units, corpus, fractional=fractional)


def country_units(
    rows: pl.LazyFrame,
    units: Sequence[str],
    corpus: Corpus,
    *,
    fractional: bool = False,
    key: str = "work",
) -> pl.LazyFrame:
    """:func:`work_units` for rows that already carry ``work, year, country``.

    And ``num, den`` when ``fractional``: one row per (work, year, unit), with the other
    columns. ``key`` names the column that plays the work (e.g. ``author``).

    A country is its own unit, and a (work, country) row is already one per work: only the
    rows of groups are grouped.

    >>> from biblio.metrics.testing import tiny_corpus
    >>> c = tiny_corpus()
    >>> rows = c.work_country.select("work", "year", "country", "num", "den")
    >>> country_units(rows, ["US", "EU27", "US+CN"], c, fractional=True).sort(
    ...     "work", "unit").select("work", "unit", "frac").collect().rows()
    [(1, 'US', 0.75), (1, 'US+CN', 1.0), (2, 'US', 1.0), (2, 'US+CN', 1.0)]
    """
    single = _identity_units(units, corpus.years, corpus.groups)
    grouped = [u for u in units if u not in single]
    weights = ["num", "den"] if fractional else []
    extra = [
        c for c in rows.collect_schema().names() if c not in (key, "year", "country", *weights)
    ]
    own = rows.filter(pl.col("country").is_in(sorted(single))).select(
        key,
        "year",
        pl.col("country").alias("unit"),
        *extra,
        *([(pl.col("num") / pl.col("den")).alias("frac")] if fractional else []),
    )
    parts = [own if fractional else own.unique()]
    if grouped:
        by_group = rows.join(
            membership_frame(grouped, corpus.years, corpus.groups),
            on=["year", "country"],
            how="inner",
        ).group_by(key, "year", "unit", *extra)
        parts.append(
            by_group.agg((pl.col("num").sum() / pl.col("den").first()).alias("frac"))
            if fractional
            else by_group.agg()
        )
    return pl.concat(parts)
