"""``biblio fetch``: the selected works and their institutions from the OpenAlex REST API.

How a fetch runs:

1. **Plan.** The query (selection, years, types, ``select`` of the fields the schema needs) is
   split into partitions: one per publication year, found with one ``per_page=1`` count call
   each; a year with more works than the partition limit is cut into publication-date ranges
   (``from_publication_date``/``to_publication_date``), counted again and cut further while a
   range is still too large. The limit is ``split_above`` (10,000), lowered for small corpora
   to about ``total / (2·workers)`` so every worker has work, but never under ten pages. The
   plan is saved in the staging folder.
2. **Works.** A pool of ``workers`` threads pages through the partitions with cursors
   (``cursor=*``, then ``meta.next_cursor``), every request under one shared rate limit. Each
   partition buffers at most ``pages_per_part`` pages, writes them as one part through
   :class:`biblio.dataset.builder.DatasetBuilder`, then atomically saves its resume state (the next
   cursor and part number). Memory stays bounded by a buffer per worker.
3. **Institutions.** Every institution named in the authorships, then every ancestor in their
   ``lineage`` until none is new, fetched 100 ids a call with the ``openalex_id:I1|I2|…`` filter.
4. **Finish.** The builder de-duplicates works by ``work_id`` and publishes the dataset with its
   manifest in one rename.

A rerun after a crash (``kill -9`` included) reloads the plan, skips finished partitions and
restarts the others from their saved cursor; a part is rewritten under the same name, so the
result equals an uninterrupted fetch. An exhausted daily budget stops the fetch cleanly: progress
is kept and :class:`~biblio.errors.BudgetExhausted` says how many works are in and when to rerun.

Examples
--------
>>> from biblio.dataset.selection import WorkFilter
>>> base = works_query(WorkFilter(years=(2015, 2024), types=("article",)), "http://127.0.0.1:1")
>>> base.params["filter"]
'primary_topic.subfield.id:1702,publication_year:2015-2024,type:article'
>>> [r.key for r in split_year(2024, 25_000, 10_000)]
['2024-0101-0501', '2024-0502-0831', '2024-0901-1231']
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from biblio.dataset.builder import DatasetBuilder
from biblio.dataset.normalise import SELECT_FIELDS, read_institutions, read_works
from biblio.dataset.selection import WorkFilter
from biblio.errors import BudgetExhausted, FetchError, UsageError
from biblio.io import MANIFEST, atomic_write
from biblio.lock import writes_dataset
from biblio.progress import ProgressCallback, Tracker
from fetchers.http import OpenAlexClient, RetryPolicy, scrub
from fetchers.query import Query

__all__ = [
    "INSTITUTION_FIELDS",
    "Partition",
    "fetch_dataset",
    "split_year",
    "works_query",
]

log = logging.getLogger(__name__)

#: The raw institution fields the schema needs (the ``select`` of the institution phase).
INSTITUTION_FIELDS = ("id", "ror", "display_name", "country_code", "type", "lineage")
_IDS_PER_CALL = 100
_STATE = "fetch"


@dataclass(frozen=True)
class Partition:
    """An independent slice of the works query: extra filter clauses and its ``meta.count``."""

    key: str
    clauses: tuple[str, ...]
    count: int


def works_query(filters: WorkFilter, base_url: str, *, mailto: str | None = None) -> Query:
    """The works query of a dataset: selection, years, types, and the fields the schema needs."""
    query = Query(base_url, "works", mailto=mailto).filter(filters.selection.api_filter)
    if filters.years is not None:
        first, last = filters.years
        query = query.filter(publication_year=str(first) if first == last else f"{first}-{last}")
    if filters.types:
        query = query.filter(type=list(filters.types))
    return query.select(*SELECT_FIELDS)


def split_year(
    year: int, count: int, split_above: int, start: date | None = None, end: date | None = None
) -> list[Partition]:
    """Cut ``start..end`` (default: the whole ``year``) into equal date ranges of at most about
    ``split_above`` works, assuming ``count`` works spread evenly (the counts are that estimate).

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


class _Stopped(Exception):
    """Another partition failed; this one stops between two pages."""


class _FetchState:
    """Resume state in the staging folder: the plan, one small JSON per partition, call count."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "partitions").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        calls = self._read(folder / "calls.json")
        self.earlier_calls = int(calls.get("api_calls", 0)) if calls else 0

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        with atomic_write(path) as fh:
            json.dump(data, fh, sort_keys=True)

    def plan(self, identity: dict[str, Any]) -> list[Partition] | None:
        saved = self._read(self.folder / "plan.json")
        if saved is None:
            return None
        if saved.get("identity") != identity:
            raise UsageError(
                f"{self.folder.parent} holds an unfinished fetch of another query "
                f"({saved.get('identity')}); rerun it with the same options, or add --refresh"
            )
        return [Partition(p["key"], tuple(p["clauses"]), p["count"]) for p in saved["partitions"]]

    def save_plan(self, identity: dict[str, Any], partitions: Sequence[Partition]) -> None:
        self._write(
            self.folder / "plan.json",
            {"identity": identity, "partitions": [asdict(p) for p in partitions]},
        )

    def partition(self, key: str) -> dict[str, Any]:
        saved = self._read(self.folder / "partitions" / f"{key}.json")
        return saved or {"cursor": "*", "part": 0, "fetched": 0, "done": False, "count": 0}

    def save_partition(self, key: str, state: dict[str, Any], calls: int) -> None:
        self._write(self.folder / "partitions" / f"{key}.json", state)
        self.save_calls(calls)

    def save_calls(self, calls: int) -> None:
        with self._lock:
            self._write(self.folder / "calls.json", {"api_calls": self.earlier_calls + calls})


class _Fetch:
    """One run of :func:`fetch_dataset` (see the module docstring for the phases)."""

    def __init__(
        self,
        builder: DatasetBuilder,
        client: OpenAlexClient,
        base: Query,
        *,
        workers: int,
        per_page: int,
        pages_per_part: int,
        split_above: int,
        progress: ProgressCallback | None,
    ) -> None:
        self.builder = builder
        self.client = client
        self.base = base.per_page(per_page)
        self.workers = max(1, workers)
        self.per_page = per_page
        self.pages_per_part = max(1, pages_per_part)
        self.split_above = max(1, split_above)
        self.state = _FetchState(builder.staging / _STATE)
        self.stop = threading.Event()
        self.progress = Tracker(progress)

    # -- running jobs on the pool, stopping every one when one fails ------------------------
    def _run_all(self, pool: ThreadPoolExecutor, jobs: Sequence[Callable[[], Any]]) -> list[Any]:
        futures: list[Future[Any]] = [pool.submit(job) for job in jobs]
        try:
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C: running partitions stop after their current page
            self.stop.set()
            for f in futures:
                f.cancel()
            raise
        failed = [f for f in done if not f.cancelled() and f.exception() is not None]
        if failed:
            self.stop.set()
            for f in pending:
                f.cancel()
            wait(pending)
            errors = [f.exception() for f in futures if f.done() and not f.cancelled()]
            real = [e for e in errors if e is not None and not isinstance(e, _Stopped)]
            # A spent budget wins over other errors: it is the reason to stop.
            budget = [e for e in real if isinstance(e, BudgetExhausted)]
            raise (budget or real)[0]
        return [f.result() for f in futures]

    def _count(self, query: Query) -> int:
        return self.client.get(query.select("id").per_page(1)).count

    # -- 1. plan ---------------------------------------------------------------------------
    def plan(self, pool: ThreadPoolExecutor, years: tuple[int, int] | None) -> list[Partition]:
        identity = {
            "endpoint": self.base.endpoint,
            "filter": self.base.filter_string,
            "select": list(self.base.fields),
            "per_page": self.per_page,
        }
        saved = self.state.plan(identity)
        if saved is not None:
            log.info("resuming the fetch planned in %s", self.state.folder)
            return saved
        if years is None:
            parts = [Partition("all", (), self._count(self.base))]
        else:
            year_list = list(range(years[0], years[1] + 1))
            jobs = [
                partial(self._count, self.base.filter(f"publication_year:{y}")) for y in year_list
            ]
            counts = self._run_all(pool, jobs)
            # Enough partitions to keep every worker busy to the end (about four per worker),
            # none under five pages, none over split_above. Date ranges are cut evenly from the
            # year's count, not recounted: each partition's first page tells its real size.
            limit = min(
                self.split_above,
                max(5 * self.per_page, math.ceil(sum(counts) / (4 * self.workers))),
            )
            parts = []
            for year, count in zip(year_list, counts, strict=True):
                if count > limit:
                    parts.extend(split_year(year, count, limit))
                elif count:
                    parts.append(Partition(str(year), (f"publication_year:{year}",), count))
        self.state.save_plan(identity, parts)
        self.state.save_calls(self.client.calls)
        log.info("planned %d partitions, %d works", len(parts), sum(p.count for p in parts))
        return parts

    # -- 2. works --------------------------------------------------------------------------
    def works(self, pool: ThreadPoolExecutor, partitions: Sequence[Partition]) -> None:
        states = {p.key: self.state.partition(p.key) for p in partitions}
        todo = [p for p in partitions if not states[p.key]["done"]]
        total = sum(p.count for p in partitions)
        initial = sum(min(int(states[p.key]["fetched"]), p.count) for p in partitions)
        self.progress.start("works", total=total, done=initial)
        todo.sort(key=lambda p: -p.count)  # the largest first: a shorter tail
        self._run_all(pool, [partial(self._partition, p, states[p.key]) for p in todo])
        # Date ranges cover a year only if every work has a date in it: say so if some do not.
        planned: dict[str, int] = {}
        served: dict[str, int] = {}
        for p in partitions:
            if len(p.clauses) == 3:
                year = p.clauses[0]
                planned[year] = planned.get(year, 0) + p.count
                served[year] = served.get(year, 0) + int(self.state.partition(p.key)["count"])
        for year, count in planned.items():
            if served[year] < count:
                log.warning(
                    "%s: %d of its %d works have no publication date in the year and were not "
                    "fetched",
                    year.replace(":", " "),
                    count - served[year],
                    count,
                )

    def _partition(self, partition: Partition, state: dict[str, Any]) -> None:
        query = self.base.filter(*partition.clauses)
        cursor: str = state["cursor"]
        part: int = state["part"]
        fetched: int = state["fetched"]
        buffer: list[bytes] = []
        while True:
            if self.stop.is_set():
                raise _Stopped
            page = self.client.get(query.cursor(cursor))
            fetched += page.size
            self.progress.advance(page.size, note=f"{self.client.calls} API calls")
            if page.size:
                buffer.append(page.results)
            # The end: a null cursor, or a short page once meta.count works are in (saves the
            # empty last page OpenAlex sends; a server clamping per_page still pages on).
            last = (
                page.next_cursor is None
                or page.size == 0
                or (page.size < self.per_page and fetched >= page.count)
            )
            if last or len(buffer) >= self.pages_per_part:
                if buffer:
                    raw = read_works(b"\n".join(buffer), source=f"{query.entity} {partition.key}")
                    self.builder.add_works(raw, part=f"{partition.key}-{part:05d}")
                    part += 1
                    buffer = []
                state = {
                    "cursor": page.next_cursor,
                    "part": part,
                    "fetched": fetched,
                    "done": last,
                    "count": page.count,
                }
                self.state.save_partition(partition.key, state, self.client.calls)
            if last:
                return
            assert page.next_cursor is not None
            cursor = page.next_cursor

    # -- 3. institutions -------------------------------------------------------------------
    def institutions(self, pool: ThreadPoolExecutor) -> None:
        authorships = self.builder.authorships_so_far()
        if authorships is None:
            return
        todo = set(_ids(authorships.select(pl.col("institution_ids").explode())))
        asked: set[str] = set()
        while todo:
            asked |= todo
            ordered = sorted(todo, key=_id_order)
            batches = [
                ordered[i : i + _IDS_PER_CALL] for i in range(0, len(ordered), _IDS_PER_CALL)
            ]
            self.progress.start("institutions", total=len(ordered), unit="ids")
            self._run_all(pool, [partial(self._institutions, b) for b in batches])
            fetched = self.builder.institutions_so_far()
            lineage = (
                set() if fetched is None else set(_ids(fetched.select(pl.col("lineage").explode())))
            )
            todo = lineage - asked

    def _institutions(self, ids: list[str]) -> None:
        digest = hashlib.sha1(",".join(ids).encode(), usedforsecurity=False).hexdigest()[:20]
        part = f"inst-{digest}"
        if not self.builder.has_part(part, table="institutions"):
            if self.stop.is_set():
                raise _Stopped
            query = (
                self.base.entity_query("institutions")
                .filter(openalex_id=ids)
                .select(*INSTITUTION_FIELDS)
                .per_page(_IDS_PER_CALL)
            )
            pages = list(self._pages(query))
            if pages:  # none of these ids is known to OpenAlex: nothing to write
                self.builder.add_institutions(read_institutions(b"\n".join(pages)), part=part)
            self.state.save_calls(self.client.calls)
        self.progress.advance(len(ids), note=f"{self.client.calls} API calls")

    def _pages(self, query: Query) -> Iterator[bytes]:
        cursor: str | None = "*"
        fetched = 0
        while cursor is not None:
            page = self.client.get(query.cursor(cursor))
            fetched += page.size
            if page.size:
                yield page.results
            if page.size == 0 or (page.size < (query.page_size or 0) and fetched >= page.count):
                return
            cursor = page.next_cursor


def _ids(frame: pl.LazyFrame) -> list[str]:
    column = frame.collect_schema().names()[0]
    return frame.drop_nulls().unique().collect()[column].to_list()


def _id_order(openalex_id: str) -> tuple[int, str]:
    digits = openalex_id.lstrip("IWAS")
    return (int(digits), openalex_id) if digits.isdigit() else (0, openalex_id)


def _works_so_far(builder: DatasetBuilder) -> int:
    works = builder.works_so_far()
    if works is None:
        return 0
    return int(works.select(pl.col("work_id").n_unique()).collect().item())


@writes_dataset("fetch")
def fetch_dataset(
    final: Path,
    *,
    filters: WorkFilter,
    base_url: str,
    mailto: str | None = None,
    api_key: str | None = None,
    refresh: bool = False,
    rate: float = 10.0,
    workers: int = 8,
    progress: ProgressCallback | None = None,
    retry: RetryPolicy | None = None,
    per_page: int = 100,
    pages_per_part: int = 20,
    split_above: int = 10_000,
) -> dict[str, Any]:
    """Fetch the works ``filters`` select, with their institutions, into the dataset ``final``.

    Parameters
    ----------
    final
        The dataset folder (``cache/<name>``); it is built in ``cache/.<name>.partial``.
    filters
        Selection, years and types; the server applies them (``apply_selection`` is ignored).
    base_url
        The API's base URL (the CLI defaults to the public OpenAlex API).
    mailto, api_key
        Sent as ``mailto`` and ``api_key``; the key is written nowhere.
    refresh
        Refetch a finished dataset, and drop an unfinished fetch instead of resuming it.
    rate, workers
        Requests per second over all threads; partitions fetched at once.
    progress
        Called with a :class:`biblio.progress.Progress` as pages and institutions come in.
    retry
        Retry and backoff settings (tests make them short).
    per_page, pages_per_part, split_above
        Records a page; pages buffered per written part; the largest partition before a year is
        split into date ranges.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    BudgetExhausted
        The daily budget ran out: progress is kept, rerun the same fetch after the reset.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> fetch_dataset(Path(tempfile.mkdtemp()) / "x", filters=WorkFilter(),
    ...               base_url="http://127.0.0.1:1", workers=0)
    Traceback (most recent call last):
    ...
    biblio.errors.UsageError: --workers 0: use at least 1
    """
    if workers < 1:
        raise UsageError(f"--workers {workers}: use at least 1")
    if len(filters.selections) > 1:
        raise UsageError("fetch takes one --selection for now; ingest takes several")
    if not 0 < rate <= 100:
        raise UsageError(f"--rate {rate}: must be above 0 and at most 100")
    manifest_path = final / MANIFEST
    if manifest_path.exists() and not refresh:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("filters") != filters.describe():
            raise UsageError(
                f"dataset {final} was fetched with other filters ({manifest.get('filters')}); "
                "use another --name, or --refresh to replace it"
            )
        log.info("%s is already fetched; use --refresh to fetch it again", final)
        return manifest
    filters = replace(filters, apply_selection=False)  # the server applies the selection
    if refresh:
        DatasetBuilder(final, filters=filters).discard()
    builder = DatasetBuilder(final, filters=filters)
    base = works_query(filters, base_url, mailto=mailto)
    client = OpenAlexClient(api_key=api_key, rate=rate, retry=retry, pool=workers + 2)
    run = _Fetch(
        builder,
        client,
        base,
        workers=workers,
        per_page=per_page,
        pages_per_part=pages_per_part,
        split_above=split_above,
        progress=progress,
    )
    started = datetime.now(UTC)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            partitions = run.plan(pool, filters.years)
            run.works(pool, partitions)
            run.institutions(pool)
        total_calls = run.state.earlier_calls + client.calls
        fields = {
            "source": scrub(base_url, api_key),
            "kind": "openalex-api",
            "selection": str(filters.selection),
            "api_filter": base.filter_string,
            "years": list(filters.years) if filters.years else None,
            "types": list(filters.types),
            "fetched_at": started.isoformat(timespec="seconds"),
            "api_calls": total_calls,
            "api_calls_last_run": client.calls,
            "partitions": len(partitions),
            "works_reported_by_api": sum(p.count for p in partitions),
        }
        return builder.finish(fields)
    except BudgetExhausted as exc:
        run.state.save_calls(client.calls)
        raise BudgetExhausted(
            f"stopped for now: {_works_so_far(builder):,} works are in {builder.staging}; {exc}"
        ) from exc
    except FetchError:
        run.state.save_calls(client.calls)
        raise
    finally:
        client.close()
