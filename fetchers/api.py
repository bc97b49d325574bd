"""``biblio fetch``: the selected works and their institutions from the OpenAlex REST API.

How a fetch runs (several runs, on several days, when the daily budget runs out):

1. **Plan.** One ``group_by=publication_year`` call per selection counts the works of every year
   (:mod:`fetchers.plan`); the years are cut into partitions (date ranges for large years), one
   query per selection and partition. The plan is saved in the staging folder and reloaded by
   every later run; :class:`~fetchers.plan.FetchPlan` tells the list calls still needed and the
   days of budget they take.
2. **Works.** A pool of ``workers`` threads pages through the partitions with cursors, sorted by
   ``publication_date`` (a value that does not change, unlike the default sort by citations),
   every request under one shared rate limit. Each page is parsed at once; a record whose
   author list the list endpoint cut (``is_authors_truncated``, or exactly 100 authorships) is
   fetched again whole by id (``/works/W…``, free against the budget) on a second pool, and the
   whole record replaces the cut one before anything is written. Every ``pages_per_part`` pages,
   and whenever the run stops (budget spent, error, Ctrl-C), a partition writes its pages as one
   part and saves its position: the publication date it reached.
3. **Resume.** OpenAlex's cursor is stateless: it holds the sort values of the last record,
   ``publication_date`` and then OpenAlex's own tie-breakers (citation count, id), so a cursor
   kept until another day may skip or repeat works of its last date, and it may be refused
   ("Invalid cursor value"). A saved cursor is therefore never reused: a partition resumes (or
   restarts after a refused cursor) from the date it reached, with ``from_publication_date``,
   and drops the works of that date it already has. That costs the pages of one date, about a
   page per partition, not the partition. When a partition is complete, its distinct works are
   checked against ``meta.count`` (one count call if it was paged in several pieces).
4. **Institutions.** Every institution named in the authorships (the whole author lists), then
   every ancestor in their ``lineage`` until none is new, 100 ids a call.
5. **OpenAlex's own counts.** ``group_by=authorships.countries`` per year beside the dataset's
   counts, in ``validation.csv`` (:mod:`fetchers.validation`).
6. **Finish.** The builder de-duplicates works by ``work_id`` (a work found by several
   selections is kept once, tagged with each) and publishes the dataset in one step; a refresh
   replaces the previous dataset only then.

Examples
--------
>>> from biblio.dataset.selection import WorkFilter
>>> select_fields(WorkFilter())[-1]
'is_authors_truncated'
>>> _slug(WorkFilter().selection)
'subfield-1702'
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.json as pj

from biblio.dataset.builder import DatasetBuilder, staging_folder
from biblio.dataset.normalise import SELECT_FIELDS, read_institutions, read_works
from biblio.dataset.selection import Selection, WorkFilter, short_id_expr
from biblio.errors import BudgetExhausted, FetchError, UsageError
from biblio.io import MANIFEST, atomic_write
from biblio.lock import writes_dataset
from biblio.progress import ProgressCallback, Tracker
from fetchers.http import CursorRejected, NotFound, OpenAlexClient, RetryPolicy, scrub
from fetchers.plan import FetchPlan, Partition, plan_partitions, selection_query, year_counts
from fetchers.query import Query
from fetchers.validation import openalex_counts, write_validation

__all__ = [
    "AUTHORS_CUT",
    "INSTITUTION_FIELDS",
    "SORT",
    "fetch_dataset",
    "plan_fetch",
    "select_fields",
]

log = logging.getLogger(__name__)

#: The raw institution fields the schema needs (the ``select`` of the institution phase).
INSTITUTION_FIELDS = ("id", "ror", "display_name", "country_code", "type", "lineage")
#: OpenAlex cuts the author lists of list records at this many authorships.
AUTHORS_CUT = 100
#: The sort of every works query: a value that does not change from day to day.
SORT = "publication_date"
_IDS_PER_CALL = 100
_STATE = "fetch"
_MAX_RESTARTS = 5
_FLAG = pa.schema([("id", pa.string()), ("is_authors_truncated", pa.bool_())])


def select_fields(filters: WorkFilter) -> tuple[str, ...]:
    """The ``select`` of the works queries.

    The schema's fields, the selections' raw fields (to tag each work with the definitions it
    meets) and the flag of a cut author list.
    """
    return tuple(dict.fromkeys((*SELECT_FIELDS, *filters.raw_fields, "is_authors_truncated")))


def _slug(selection: Selection) -> str:
    return str(selection).replace(":", "-")


def _queries(filters: WorkFilter, base_url: str, mailto: str | None) -> list[Query]:
    return [
        selection_query(filters, i, base_url, mailto=mailto) for i in range(len(filters.selections))
    ]


def _identity(queries: Sequence[Query], select: Sequence[str], per_page: int) -> dict[str, Any]:
    """What makes a saved fetch the same fetch: endpoint, filters, select, page size, sort."""
    return {
        "endpoint": queries[0].endpoint,
        "filters": [q.filter_string for q in queries],
        "select": list(select),
        "per_page": per_page,
        "sort": SORT,
    }


def _new_partition_state() -> dict[str, Any]:
    return {
        "part": 0,  # the number of the next part
        "fetched": 0,  # works received (an overlap dropped on a restart is not counted)
        "position": None,  # the publication date reached (ISO), where a restart begins
        "tail": False,  # records with no date came (they sort last; a restart is from the top)
        "unsorted": False,  # the server did not keep the order (a restart is from the top)
        "segments": 0,  # times the partition was paged from a position (1: in one go)
        "count": 0,  # meta.count of the last page
        "paged": False,  # the last page came
        "pending": [],  # cut works not yet fetched whole
        "whole": 0,  # cut works replaced by their whole record
        "gone": 0,  # cut works whose whole record no longer exists
        "done": False,
        "total": None,  # meta.count of the whole partition, checked at the end
        "got": None,  # distinct works written
    }


class _FetchState:
    """Resume state in the staging folder: the plan, one small JSON per partition, call counts.

    Nothing is written until the first save, so reading it (``--plan``) leaves no folder.
    """

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._lock = threading.Lock()
        self._saved = (0, 0, 0)
        calls = self._read("calls.json") or {}
        self.earlier = {k: int(calls.get(k, 0)) for k in ("api_calls", "list_calls", "single")}
        self.by_day: dict[str, int] = dict(calls.get("list_calls_by_day") or {})

    @property
    def folder(self) -> Path:
        assert self._folder is not None, "a state with no folder is read-only"
        return self._folder

    def _read(self, name: str) -> dict[str, Any] | None:
        if self._folder is None:
            return None
        try:
            data = json.loads((self._folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write(self, name: str, data: dict[str, Any]) -> None:
        with atomic_write(self.folder / name) as fh:
            json.dump(data, fh, sort_keys=True)

    def saved_plan(self) -> dict[str, Any] | None:
        """The saved plan (``identity``, ``partitions``, ``refresh``), if any."""
        return self._read("plan.json")

    def plan(self, identity: dict[str, Any]) -> list[Partition] | None:
        saved = self.saved_plan()
        if saved is None:
            return None
        if saved.get("identity") != identity:
            raise UsageError(
                f"{self.folder.parent} holds an unfinished fetch of another query "
                f"({saved.get('identity')}); rerun it with the same options, or add --refresh"
            )
        return [Partition(**p) for p in saved["partitions"]]

    def save_plan(
        self, identity: dict[str, Any], partitions: Sequence[Partition], *, refresh: bool
    ) -> None:
        self._write(
            "plan.json",
            {
                "identity": identity,
                "partitions": [asdict(p) for p in partitions],
                "refresh": refresh,
            },
        )

    def partition(self, key: str) -> dict[str, Any]:
        saved = self._read(f"partitions/{key}.json")
        return {**_new_partition_state(), **(saved or {})}

    def save_partition(self, key: str, state: dict[str, Any]) -> None:
        self._write(f"partitions/{key}.json", state)

    def save_calls(self, client: OpenAlexClient) -> None:
        """Add this run's calls since the last save to the totals and to today's (UTC) count."""
        with self._lock:
            now = (client.calls, client.list_calls, client.single_calls)
            delta = [a - b for a, b in zip(now, self._saved, strict=True)]
            self._saved = now
            for name, n in zip(("api_calls", "list_calls", "single"), delta, strict=True):
                self.earlier[name] += n
            today = datetime.now(UTC).date().isoformat()
            self.by_day[today] = self.by_day.get(today, 0) + delta[1]
            self._write("calls.json", {**self.earlier, "list_calls_by_day": self.by_day})

    def list_calls_today(self) -> int:
        return self.by_day.get(datetime.now(UTC).date().isoformat(), 0)


class _Stopped(Exception):
    """Another partition failed; this one stops between two pages."""


@dataclass
class _Pages:
    """Pages received and not yet written: parsed records, and the cut ones being refetched."""

    frames: list[pl.DataFrame] = field(default_factory=list)
    whole: dict[str, Future[pl.DataFrame | None]] = field(default_factory=dict)
    reached: str | None = None
    tail: bool = False
    unsorted: bool = False


class _Fetch:
    """One run of :func:`fetch_dataset` (see the module docstring for the phases)."""

    def __init__(
        self,
        builder: DatasetBuilder | None,
        client: OpenAlexClient,
        filters: WorkFilter,
        base_url: str,
        *,
        mailto: str | None,
        workers: int,
        per_page: int,
        pages_per_part: int,
        split_above: int,
        progress: ProgressCallback | None,
        state: _FetchState,
    ) -> None:
        self._builder = builder
        self.client = client
        self.filters = filters
        self.queries = _queries(filters, base_url, mailto)
        self.select = select_fields(filters)
        self.workers = max(1, workers)
        self.per_page = per_page
        self.pages_per_part = max(1, pages_per_part)
        self.split_above = max(1, split_above)
        self.state = state
        self.stop = threading.Event()
        self.progress = Tracker(progress)
        self.singles: ThreadPoolExecutor | None = None
        self.counts: list[dict[int, int]] = []

    @property
    def builder(self) -> DatasetBuilder:
        assert self._builder is not None, "a plan-only run has no builder"
        return self._builder

    @property
    def identity(self) -> dict[str, Any]:
        return _identity(self.queries, self.select, self.per_page)

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
    def plan(self, *, save: bool, refresh: bool = False) -> tuple[list[Partition], FetchPlan]:
        """The partitions (saved ones when resuming) and the plan of what is left."""
        saved = self.state.plan(self.identity)
        self.counts = [year_counts(self.client, q) for q in self.queries]
        if saved is not None:
            log.info("resuming the fetch planned in %s", self.state.folder)
            partitions = saved
        else:
            partitions = plan_partitions(
                self.counts,
                [_slug(s) if len(self.queries) > 1 else "" for s in self.filters.selections],
                by_year=self.filters.years is not None,
                per_page=self.per_page,
                workers=self.workers,
                split_above=self.split_above,
            )
            if save:
                self.state.save_plan(self.identity, partitions, refresh=refresh)
                self.state.save_calls(self.client)
            log.info(
                "planned %d partitions, %d works", len(partitions), sum(p.count for p in partitions)
            )
        left = pages = 0
        for p in partitions:
            st = self.state.partition(p.key)
            if not st["done"]:
                todo = max(0, p.count - int(st["fetched"]))
                left += todo
                pages += todo // self.per_page + 1
        plan = FetchPlan(
            tuple(str(s) for s in self.filters.selections),
            tuple(self.counts),
            works_left=left,
            pages=pages,
            partitions=len(partitions),
            rate=self.client.rate_limit,
            resumed=saved is not None,
        )
        return partitions, plan

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
                total = self.state.partition(p.key)["total"] or 0
                served[year] = served.get(year, 0) + int(total)
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
        restarts = 0
        while not state["done"]:
            if state["pending"]:
                self._resolve_pending(partition, state)
            if state["paged"]:
                self._close(partition, state)
                return
            try:
                self._segment(partition, state)
            except CursorRejected as exc:
                restarts += 1
                if restarts > _MAX_RESTARTS:
                    raise FetchError(
                        f"OpenAlex kept refusing the cursors of partition {partition.key} "
                        f"({exc}); progress is kept, rerun later to resume"
                    ) from exc
                log.info("%s: cursor refused; restarting from %s", partition.key, state["position"])

    def _query(self, partition: Partition, start: str | None) -> Query:
        clauses = list(partition.clauses)
        if start is not None:
            clauses = [c for c in clauses if not c.startswith("from_publication_date:")]
            clauses.append(f"from_publication_date:{start}")
        query = self.queries[partition.selection].filter(*clauses)
        return query.select(*self.select).sort(SORT).per_page(self.per_page)

    def _parts(self, partition: Partition, state: dict[str, Any]) -> list[str]:
        return [f"{partition.key}-{n:05d}" for n in range(int(state["part"]))]

    def _written_ids(
        self, partition: Partition, state: dict[str, Any], since: str | None
    ) -> set[str]:
        works = self.builder.works_in(self._parts(partition, state))
        if works is None:
            return set()
        if since is not None:
            works = works.filter(pl.col("publication_date") >= date.fromisoformat(since))
        return set(works.select("work_id").collect()["work_id"].to_list())

    def _segment(self, partition: Partition, state: dict[str, Any]) -> None:
        """Page the partition from its position (or from the top) to the end or a stop."""
        resumable = not (state["tail"] or state["unsorted"])
        start = state["position"] if resumable else None
        skip = self._written_ids(partition, state, start) if state["part"] else set()
        query = self._query(partition, start)
        pages = _Pages(reached=start, unsorted=state["unsorted"])
        cursor: str = "*"
        received = 0
        try:
            while True:
                if self.stop.is_set():
                    raise _Stopped
                page = self.client.get(query.cursor(cursor))
                if cursor == "*":
                    state["segments"] += 1
                received += page.size
                kept = 0
                if page.size:
                    frame = read_works(
                        page.results,
                        selections=self.filters.selections,
                        source=f"works {partition.key}",
                    )
                    self._check_order(partition, frame, pages)
                    if skip:
                        ids = frame.select(short_id_expr(pl.col("id"))).to_series()
                        frame = frame.filter(~ids.is_in(list(skip)))
                    kept = frame.height
                    for work_id in _cut_ids(page.results, frame):
                        pages.whole[work_id] = self._submit_whole(work_id)
                    pages.frames.append(frame)
                    state["fetched"] += kept
                state["count"] = page.count
                self.progress.advance(kept, note=f"{self.client.calls} API calls")
                # The end: a null cursor, or a short page once meta.count works are in (saves
                # the empty last page OpenAlex sends; a server clamping per_page still pages on).
                last = (
                    page.next_cursor is None
                    or page.size == 0
                    or (page.size < self.per_page and received >= page.count)
                )
                if last or len(pages.frames) >= self.pages_per_part:
                    self._flush(partition, state, pages, paged=last)
                    pages = _Pages(reached=pages.reached, tail=pages.tail, unsorted=pages.unsorted)
                if last:
                    return
                assert page.next_cursor is not None
                cursor = page.next_cursor
        except BaseException:
            if pages.frames or pages.whole:
                try:
                    self._flush(partition, state, pages, paged=False)
                except BaseException as exc:  # the first failure is the one to report
                    log.debug("%s: writing the pages on the way out failed: %s", partition.key, exc)
            raise

    def _check_order(self, partition: Partition, frame: pl.DataFrame, pages: _Pages) -> None:
        """Follow the date reached; notice a server that does not keep the sort."""
        dates = frame["publication_date"]
        dated = dates.drop_nulls()
        nulls = dates.is_null()
        ordered = dated.is_sorted() and nulls.cast(pl.Int8).is_sorted()
        if dated.len() and (pages.tail or (pages.reached and dated[0] < pages.reached)):
            ordered = False
        if not ordered and not pages.unsorted:
            log.warning(
                "%s: OpenAlex did not keep the records sorted by date; an interrupted partition "
                "will be fetched again from its start",
                partition.key,
            )
            pages.unsorted = True
        if dated.len():
            pages.reached = max(pages.reached or "", str(dated.max()))
        pages.tail = pages.tail or bool(nulls.any())

    # -- cut author lists --------------------------------------------------------------------
    def _submit_whole(self, work_id: str) -> Future[pl.DataFrame | None]:
        assert self.singles is not None
        return self.singles.submit(self._whole, work_id)

    def _whole(self, work_id: str) -> pl.DataFrame | None:
        """The whole record of one work (None if OpenAlex no longer has it under that id)."""
        query = self.queries[0].select(*self.select).single(work_id)
        try:
            page = self.client.get(query)
        except NotFound:
            return None
        frame = read_works(page.results, selections=self.filters.selections, source=work_id)
        found = frame.select(short_id_expr(pl.col("id"))).to_series().to_list()
        return frame if found == [work_id] else None  # merged into another work: not this one

    def _collect_whole(
        self, futures: dict[str, Future[pl.DataFrame | None]]
    ) -> tuple[list[pl.DataFrame], list[str], int, BaseException | None]:
        """Wait for the whole records: (records, ids still pending, ids gone, first error)."""
        records: list[pl.DataFrame] = []
        pending: list[str] = []
        gone = 0
        error: BaseException | None = None
        for work_id, future in futures.items():
            try:
                record = future.result()
            except FetchError as exc:
                pending.append(work_id)
                error = error or exc
                continue
            if record is None:
                gone += 1
                log.warning("%s: cut author list, and no whole record any more; left out", work_id)
            else:
                records.append(record)
        return records, pending, gone, error

    def _write(
        self, partition: Partition, state: dict[str, Any], frames: list[pl.DataFrame]
    ) -> None:
        frames = [f for f in frames if f.height]
        if frames:
            part = f"{partition.key}-{int(state['part']):05d}"
            self.builder.add_works(pl.concat(frames, how="vertical"), part=part)
            state["part"] += 1

    def _flush(
        self, partition: Partition, state: dict[str, Any], pages: _Pages, *, paged: bool
    ) -> None:
        """Write the pages as one part (whole records in place of cut ones); save the state."""
        records, pending, gone, error = self._collect_whole(pages.whole)
        cut = list(pages.whole)
        frames = list(pages.frames)
        pages.frames, pages.whole = [], {}
        if cut:
            frames = [f.filter(~short_id_expr(pl.col("id")).is_in(cut)) for f in frames] + records
        self._write(partition, state, frames)
        state.update(
            position=pages.reached,
            tail=pages.tail,
            unsorted=pages.unsorted,
            paged=paged,
            pending=[*state["pending"], *pending],
            whole=state["whole"] + len(records),
            gone=state["gone"] + gone,
        )
        self.state.save_partition(partition.key, state)
        self.state.save_calls(self.client)
        if error is not None:
            raise error

    def _resolve_pending(self, partition: Partition, state: dict[str, Any]) -> None:
        """Fetch whole the cut works a stopped run could not, and write them as a part."""
        if self.stop.is_set():
            raise _Stopped
        futures = {w: self._submit_whole(w) for w in state["pending"]}
        records, pending, gone, error = self._collect_whole(futures)
        self._write(partition, state, records)
        state.update(
            pending=pending, whole=state["whole"] + len(records), gone=state["gone"] + gone
        )
        self.state.save_partition(partition.key, state)
        self.state.save_calls(self.client)
        if error is not None:
            raise error

    def _close(self, partition: Partition, state: dict[str, Any]) -> None:
        """Check the partition's distinct works against its ``meta.count``; mark it done."""
        works = self.builder.works_in(self._parts(partition, state))
        got = (
            0 if works is None else int(works.select(pl.col("work_id").n_unique()).collect().item())
        )
        # Paged in one go, the last page's count is the partition's; else count it once more.
        total = (
            state["count"] if state["segments"] <= 1 else self._count(self._query(partition, None))
        )
        state.update(done=True, got=got, total=total)
        self.state.save_partition(partition.key, state)
        self.state.save_calls(self.client)
        if got + state["gone"] < total:
            log.warning(
                "%s: %d distinct works came in, OpenAlex counts %d (it changed while paging)",
                partition.key,
                got,
                total,
            )

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
                self.queries[0]
                .entity_query("institutions")
                .filter(openalex_id=ids)
                .select(*INSTITUTION_FIELDS)
                .per_page(_IDS_PER_CALL)
            )
            pages = list(self._pages(query))
            if pages:  # none of these ids is known to OpenAlex: nothing to write
                self.builder.add_institutions(read_institutions(b"\n".join(pages)), part=part)
            self.state.save_calls(self.client)
        self.progress.advance(len(ids), note=f"{self.client.calls} API calls")

    def _pages(self, query: Query) -> Iterator[bytes]:
        cursor: str | None = "*"
        fetched = 0
        while cursor is not None:
            page = self.client.get(query.cursor(cursor))
            fetched += page.size
            if page.size:
                yield page.results
            # At most 100 ids a query: one page, and no saved cursor to be refused.
            if page.size == 0 or fetched >= page.count:
                return
            cursor = page.next_cursor

    # -- 4. OpenAlex's own counts ----------------------------------------------------------
    def validation_years(self) -> list[int]:
        if self.filters.years is not None:
            return list(range(self.filters.years[0], self.filters.years[1] + 1))
        return sorted(self.counts[0]) if self.counts else []

    def openalex_counts(self) -> pl.DataFrame:
        """OpenAlex's works per country and year, for the first selection (its default)."""
        query = selection_query(replace(self.filters, years=None), 0, self.queries[0].base_url)
        query = replace(query, mailto=self.queries[0].mailto)
        counts = openalex_counts(self.client, query, self.validation_years())
        self.state.save_calls(self.client)
        return counts


def _cut_ids(results: bytes, frame: pl.DataFrame) -> list[str]:
    """Short ids of the records whose author list the list endpoint cut.

    The flag when the server says so; else exactly ``AUTHORS_CUT`` authorships (a work with
    exactly 100 authors is then fetched once more for nothing, at no cost).
    """
    full = frame.filter(pl.col("authorships").list.len() == AUTHORS_CUT)
    ids = set(full.select(short_id_expr(pl.col("id"))).to_series().to_list())
    if b'"is_authors_truncated"' in results and b"true" in results:
        flags = pj.read_json(
            pa.BufferReader(results),
            parse_options=pj.ParseOptions(
                explicit_schema=_FLAG, unexpected_field_behavior="ignore"
            ),
        )
        flagged = pl.from_arrow(flags)
        assert isinstance(flagged, pl.DataFrame)
        kept = set(frame.select(short_id_expr(pl.col("id"))).to_series().to_list())
        cut = flagged.filter(pl.col("is_authors_truncated").fill_null(False))
        ids |= set(cut.select(short_id_expr(pl.col("id"))).to_series().to_list()) & kept
    return sorted(ids)


def _ids(frame: pl.LazyFrame) -> list[str]:
    # Streaming: the distinct ids, not every exploded row (1M works: 0.1 GB instead of 0.45).
    column = frame.collect_schema().names()[0]
    return frame.drop_nulls().unique().collect(engine="streaming")[column].to_list()


def _id_order(openalex_id: str) -> tuple[int, str]:
    digits = openalex_id.lstrip("IWAS")
    return (int(digits), openalex_id) if digits.isdigit() else (0, openalex_id)


def _works_so_far(builder: DatasetBuilder) -> int:
    works = builder.works_so_far()
    if works is None:
        return 0
    return int(works.select(pl.col("work_id").n_unique()).collect(engine="streaming").item())


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise UsageError(f"--workers {workers}: use at least 1")


def plan_fetch(
    final: Path,
    *,
    filters: WorkFilter,
    base_url: str,
    mailto: str | None = None,
    api_key: str | None = None,
    workers: int = 8,
    retry: RetryPolicy | None = None,
    per_page: int = 100,
    split_above: int = 10_000,
) -> FetchPlan:
    """What :func:`fetch_dataset` would do now, at the cost of one list call per selection.

    An unfinished fetch of the same query in ``final``'s staging folder is taken into account
    (only what is left is counted); nothing is written.
    """
    _check_workers(workers)
    filters = replace(filters, apply_selection=False)
    queries = _queries(filters, base_url, mailto)
    state = _FetchState(staging_folder(final) / _STATE)
    saved = (state.saved_plan() or {}).get("identity")
    if saved is not None and saved != _identity(queries, select_fields(filters), per_page):
        state = _FetchState(None)  # the staging folder holds another query: plan from scratch
    with OpenAlexClient(api_key=api_key, rate=10.0, retry=retry) as client:
        run = _Fetch(
            None,
            client,
            filters,
            base_url,
            mailto=mailto,
            workers=workers,
            per_page=per_page,
            pages_per_part=1,
            split_above=split_above,
            progress=None,
            state=state,
        )
        return run.plan(save=False)[1]


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
    on_plan: Callable[[FetchPlan], None] | None = None,
) -> dict[str, Any]:
    """Fetch the works ``filters`` select, with their institutions, into the dataset ``final``.

    Parameters
    ----------
    final
        The dataset folder (``cache/<name>``); it is built in ``cache/.<name>.partial``.
    filters
        Selections, years and types; the server applies them (``apply_selection`` is ignored).
        Several selections are fetched one query each and merged; each work is tagged with
        the selections it meets.
    base_url
        The API's base URL (the CLI defaults to the public OpenAlex API).
    mailto, api_key
        Sent as ``mailto`` and ``api_key``; the key is written nowhere.
    refresh
        Refetch a finished dataset (it stays as it is until the new one is complete, then is
        replaced in one step). An interrupted refresh of the same query is continued; an
        unfinished plain fetch, or one of another query, is dropped.
    rate, workers
        Requests per second over all threads; partitions fetched at once.
    progress
        Called with a :class:`biblio.progress.Progress` as pages and institutions come in.
    retry
        Retry and backoff settings (tests make them short).
    per_page, pages_per_part, split_above
        Records a page; pages buffered per written part; the largest partition before a year is
        split into date ranges.
    on_plan
        Called with the :class:`~fetchers.plan.FetchPlan` before any page of works is fetched.

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
    _check_workers(workers)
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
    filters = replace(filters, apply_selection=False)  # the server applies the selections
    folder = staging_folder(final) / _STATE
    if refresh:
        # Continue an interrupted refresh of this very query; drop anything else staged.
        saved = _FetchState(folder).saved_plan() or {}
        identity = _identity(_queries(filters, base_url, mailto), select_fields(filters), per_page)
        if not (saved.get("refresh") and saved.get("identity") == identity):
            DatasetBuilder(final, filters=filters).discard()
    builder = DatasetBuilder(final, filters=filters)
    state = _FetchState(folder)
    client = OpenAlexClient(api_key=api_key, rate=rate, retry=retry, pool=2 * workers + 2)
    run = _Fetch(
        builder,
        client,
        filters,
        base_url,
        mailto=mailto,
        workers=workers,
        per_page=per_page,
        pages_per_part=pages_per_part,
        split_above=split_above,
        progress=progress,
        state=state,
    )
    started = datetime.now(UTC)
    try:
        with (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool,
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whole") as singles,
        ):
            run.singles = singles
            partitions, plan = run.plan(save=True, refresh=refresh)
            if on_plan is not None:
                on_plan(plan)
            run.works(pool, partitions)
            run.institutions(pool)
            theirs = run.openalex_counts()
        states = [state.partition(p.key) for p in partitions]
        several = len(filters.selections) > 1
        fields = {
            "source": scrub(base_url, api_key),
            "kind": "openalex-api",
            "selection": str(filters.selection),
            "api_filter": run.queries[0].filter_string,
            "api_filters": [q.filter_string for q in run.queries],
            "sort": SORT,
            "years": list(filters.years) if filters.years else None,
            "types": list(filters.types),
            "fetched_at": started.isoformat(timespec="seconds"),
            "api_calls": state.earlier["api_calls"],
            "api_calls_last_run": client.calls,
            "list_calls": state.earlier["list_calls"],
            "single_work_calls": state.earlier["single"],
            "works_fetched_whole": sum(int(s["whole"]) for s in states),
            "whole_works_gone": sum(int(s["gone"]) for s in states),
            "partitions": len(partitions),
            "works_reported_by_api": sum(int(s["total"] or 0) for s in states),
            "partitions_short": {
                p.key: {"works": s["got"], "count": s["total"]}
                for p, s in zip(partitions, states, strict=True)
                if int(s["got"] or 0) + int(s["gone"]) < int(s["total"] or 0)
            },
        }
        years = run.validation_years()

        def validation(folder: Path) -> dict[str, Any]:
            selection = str(filters.selection) if several else None
            summary = write_validation(folder, theirs, years=years, selection=selection)
            return {"validation": summary}

        return builder.finish(fields, extras=validation)
    except BudgetExhausted as exc:
        state.save_calls(client)
        raise BudgetExhausted(
            f"stopped for now: {_works_so_far(builder):,} works are in {builder.staging}; "
            f"{state.list_calls_today():,} list calls used today; {exc}"
        ) from exc
    except FetchError:
        state.save_calls(client)
        raise
    finally:
        client.close()
