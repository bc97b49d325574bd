"""What a fetch will cost before it starts: works per year, partitions, list calls, days of budget.

One ``group_by=publication_year`` call per selection gives the works of every year (OpenAlex
charges it like any list call). The years are cut into :class:`Partition` objects, each paged
on its own (see :mod:`fetchers.api`); a year with more works than the partition limit is cut
into equal publication-date ranges. :class:`FetchPlan` then estimates the list calls still
needed (pages of works, institutions, OpenAlex's own country counts) and, from the daily
allowance the ``x-ratelimit-*`` headers announce, how many days of budget the fetch takes.
Single works fetched whole by id cost nothing against that budget.

Examples
--------
>>> [r.key for r in split_year(2024, 25_000, 10_000)]
['2024-0101-0501', '2024-0502-0831', '2024-0901-1231']
>>> plan = FetchPlan(("subfield:1702",), ({2023: 9_000, 2024: 11_000},), works_left=20_000,
...                  pages=210, partitions=3, rate=RateLimit(limit=10_000, remaining=100))
>>> plan.list_calls, plan.days
(236, 2)
>>> print(plan.line())
plan: 20,000 works (2023: 9,000, 2024: 11,000); about 236 list calls (210 pages of works in \
3 partitions, ~20 for institutions, 6 for OpenAlex's own country counts); 100 of 10,000 list \
calls left today: 2 days of budget
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from biblio.dataset.selection import WorkFilter
from fetchers.http import OpenAlexClient, RateLimit, local_time
from fetchers.query import Query

__all__ = [
    "FetchPlan",
    "Partition",
    "plan_partitions",
    "selection_query",
    "split_year",
    "year_counts",
]

#: List calls per year for OpenAlex's own per-country counts (up to 200 countries a page).
VALIDATION_CALLS_PER_YEAR = 3
#: Institution calls per 1,000 works: 100 ids a call, measured ~1 per 1,000 works (docs/fetch.md).
INSTITUTION_CALLS_PER_1000 = 1


@dataclass(frozen=True)
class Partition:
    """An independent slice of one selection's query: extra filter clauses and its count.

    ``selection`` is the index of the selection in the dataset's :class:`WorkFilter`.
    """

    key: str
    clauses: tuple[str, ...]
    count: int
    selection: int = 0


def selection_query(
    filters: WorkFilter, index: int, base_url: str, *, mailto: str | None = None
) -> Query:
    """The filter of one selection: the selection, the years and the types (no ``select``).

    >>> q = selection_query(WorkFilter(years=(2015, 2024), types=("article",)), 0, "http://x")
    >>> q.filter_string
    'primary_topic.subfield.id:1702,publication_year:2015-2024,type:article'
    """
    query = Query(base_url, "works", mailto=mailto).filter(filters.selections[index].api_filter)
    if filters.years is not None:
        first, last = filters.years
        query = query.filter(publication_year=str(first) if first == last else f"{first}-{last}")
    if filters.types:
        query = query.filter(type=list(filters.types))
    return query


def year_counts(client: OpenAlexClient, query: Query) -> dict[int, int]:
    """Works per publication year of ``query``: one ``group_by=publication_year`` call."""
    groups = client.groups(query.group_by("publication_year"))
    return {int(k): n for k, n in sorted(groups.items()) if k.lstrip("-").isdigit()}


def split_year(
    year: int, count: int, split_above: int, start: date | None = None, end: date | None = None
) -> list[Partition]:
    """Cut ``start..end`` (default: the whole ``year``) into equal date ranges.

    Each range holds at most about ``split_above`` works, assuming ``count`` works spread evenly
    (the counts are that estimate).

    >>> [p.clauses[1:] for p in split_year(2020, 15, 10)]
    [('from_publication_date:2020-01-01', 'to_publication_date:2020-07-01'), \
('from_publication_date:2020-07-02', 'to_publication_date:2020-12-31')]
    """
    start = start or date(year, 1, 1)
    end = end or date(year, 12, 31)
    days = (end - start).days + 1
    pieces = min(days, max(1, math.ceil(count / split_above)))
    out = []
    for i in range(pieces):
        a = start + timedelta(days=days * i // pieces)
        b = start + timedelta(days=days * (i + 1) // pieces - 1)
        clauses = (
            f"publication_year:{year}",
            f"from_publication_date:{a.isoformat()}",
            f"to_publication_date:{b.isoformat()}",
        )
        share = count * (i + 1) // pieces - count * i // pieces
        out.append(Partition(f"{year}-{a:%m%d}-{b:%m%d}", clauses, share))
    return out


def plan_partitions(
    counts: Sequence[Mapping[int, int]],
    slugs: Sequence[str],
    *,
    by_year: bool,
    per_page: int,
    workers: int,
    split_above: int,
) -> list[Partition]:
    """Partitions of every selection from its works per year.

    Enough partitions to keep every worker busy to the end (about four per worker), none under
    five pages, none over ``split_above``. Date ranges are cut evenly from the year's count, not
    recounted: each partition's first page tells its real size. Without ``by_year`` (no
    ``--years``) a selection is one partition. ``slugs`` prefix the keys when there are several.

    >>> [p.key for p in plan_partitions([{2023: 40, 2024: 0}], [""], by_year=True, per_page=5,
    ...                                 workers=1, split_above=25)]
    ['2023-0101-0701', '2023-0702-1231']
    """
    total = sum(sum(c.values()) for c in counts)
    limit = min(split_above, max(5 * per_page, math.ceil(total / (4 * max(1, workers)))))
    parts: list[Partition] = []
    for index, (year_count, slug) in enumerate(zip(counts, slugs, strict=True)):
        prefix = f"{slug}." if slug else ""
        if not by_year:
            parts.append(Partition(f"{prefix}all", (), sum(year_count.values()), index))
            continue
        for year, count in sorted(year_count.items()):
            if count > limit:
                pieces = split_year(year, count, limit)
            elif count:
                pieces = [Partition(str(year), (f"publication_year:{year}",), count)]
            else:
                pieces = []
            parts += [Partition(prefix + p.key, p.clauses, p.count, index) for p in pieces]
    return parts


def _days(needed: int, rate: RateLimit) -> int | None:
    if rate.limit is None or rate.remaining is None or rate.limit <= 0:
        return None
    if needed <= rate.remaining:
        return 1
    today = 1 if rate.remaining > 0 else 0
    return today + math.ceil((needed - rate.remaining) / rate.limit)


@dataclass(frozen=True)
class FetchPlan:
    """The fetch ahead: works per year and selection, list calls still needed, days of budget.

    ``works_left`` and ``pages`` are what remains (all of it for a new fetch); ``rate`` is the
    budget the last answer announced.
    """

    selections: tuple[str, ...]
    counts: tuple[Mapping[int, int], ...]
    works_left: int
    pages: int
    partitions: int
    rate: RateLimit
    resumed: bool = False

    @property
    def works(self) -> int:
        """Works to fetch in all (a work in several selections counts once for each)."""
        return sum(sum(c.values()) for c in self.counts)

    @property
    def institution_calls(self) -> int:
        """An upper estimate of the institution calls (100 ids a call)."""
        return math.ceil(self.works_left * INSTITUTION_CALLS_PER_1000 / 1000)

    @property
    def validation_calls(self) -> int:
        """OpenAlex's own country counts: a few ``group_by`` calls a year."""
        years = {y for c in self.counts[:1] for y in c}
        return VALIDATION_CALLS_PER_YEAR * len(years)

    @property
    def list_calls(self) -> int:
        """List calls still needed (the year counts of this run are spent already)."""
        return self.pages + self.institution_calls + self.validation_calls

    @property
    def days(self) -> int | None:
        """Days of budget, today included, at the key's daily allowance (None: not announced)."""
        return _days(self.list_calls, self.rate)

    def _works_text(self) -> list[str]:
        texts = []
        for name, counts in zip(self.selections, self.counts, strict=True):
            per_year = ", ".join(f"{y}: {n:,}" for y, n in sorted(counts.items()))
            label = f"{name} " if len(self.selections) > 1 else ""
            texts.append(f"{label}{sum(counts.values()):,} works ({per_year})")
        return texts

    def _budget_text(self) -> str:
        rate = self.rate
        if rate.limit is None or rate.remaining is None:
            return "no x-ratelimit headers: budget unknown"
        days = self.days
        reset = f" (resets {local_time(rate.resets_at)})" if rate.resets_at else ""
        return (
            f"{rate.remaining:,} of {rate.limit:,} list calls left today{reset}: "
            f"{days} day{'s' if days != 1 else ''} of budget"
        )

    def line(self) -> str:
        """The plan on one line (the first line of a real fetch)."""
        works = "; ".join(self._works_text())
        left = f", {self.works_left:,} still to fetch" if self.resumed else ""
        calls = (
            f"about {self.list_calls:,} list calls ({self.pages:,} pages of works in "
            f"{self.partitions:,} partitions, ~{self.institution_calls:,} for institutions, "
            f"{self.validation_calls:,} for OpenAlex's own country counts)"
        )
        return f"plan: {works}{left}; {calls}; {self._budget_text()}"

    def lines(self) -> list[str]:
        """The plan for ``biblio fetch --plan``: works per year, then list calls and budget."""
        out = []
        for name, counts in zip(self.selections, self.counts, strict=True):
            out.append(f"{name}: {sum(counts.values()):,} works")
            out += [f"  {y}  {n:>12,}" for y, n in sorted(counts.items())]
        if self.resumed:
            done = self.works - self.works_left
            out.append(f"already fetched: about {done:,} works (resumed, not fetched again)")
        out.append(
            f"list calls needed: about {self.list_calls:,} ({self.pages:,} pages of works in "
            f"{self.partitions:,} partitions, ~{self.institution_calls:,} for institutions, "
            f"{self.validation_calls:,} for OpenAlex's own country counts); single works "
            "fetched whole (big teams) are free"
        )
        out.append(f"budget: {self._budget_text()}")
        return out
