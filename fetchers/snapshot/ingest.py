"""Build a dataset from OpenAlex snapshot files: what ``biblio ingest`` runs.

What happens, in order:

1. :func:`~fetchers.snapshot.layout.find_layout` finds the layout (2026: ``parquet/`` and/or
   ``jsonl/``, Parquet read by default; or legacy) and the manifests are read first; they are
   authoritative. A listed part missing on disk is an error naming it; files a manifest does not
   list are skipped with a warning naming them. Nothing is read before the whole plan checks out.
2. Parts are read by ``workers`` threads, whole parts per task, largest first. A JSON Lines part
   is gunzipped (ISA-L) as a stream on a thread of its own, cut into blocks of whole lines
   (:data:`BLOCK_BYTES`), pre-filtered and parsed by the shared normaliser on Arrow's threads
   (:mod:`fetchers.snapshot.jsonl`); a Parquet part is decoded column-projected, batch by batch
   (:mod:`fetchers.snapshot.parquet`). The kept rows are written as part files by a
   :class:`biblio.dataset.builder.DatasetBuilder` opened on the dataset's staging folder, every
   :data:`FLUSH_ROWS` works. Records are counted and checked against the manifest. Memory per
   part: one block or batch being read, one being normalised, at most :data:`FLUSH_ROWS` works.
3. A part is done when its marker file is written, after its last rows. A rerun skips done
   parts (resume at part granularity) and redoes the others from their start.
4. The builder keeps the newest version of each work (``updated_date``, then the later
   partition), leaves out merged work ids, remaps authorships that name a merged institution to
   its survivor (:mod:`fetchers.snapshot.merged`), keeps the institutions the authorships name
   with every ancestor of their lineages, and publishes the dataset in one rename.

Examples
--------
>>> import tempfile
>>> from biblio.dataset.selection import WorkFilter
>>> from fetchers.snapshot.write import write_snapshot
>>> root = Path(tempfile.mkdtemp())
>>> work = {"id": "https://openalex.org/W1", "publication_year": 2024, "updated_date":
...         "2025-01-01", "primary_topic": {"subfield": {"id": "https://openalex.org/subfields/1702"}}}
>>> write_snapshot(root / "snapshot", {"works": {"updated_date=2025-01-01/part_0000": [work]},
...                                    "institutions": {}})
>>> manifest = ingest_snapshot(root / "snapshot", root / "cache" / "ai", filters=WorkFilter())
>>> manifest["records"]["works"], manifest["snapshot"]["format"]
(1, 'parquet')
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from biblio.dataset.builder import DatasetBuilder, staging_folder
from biblio.dataset.selection import WorkFilter
from biblio.errors import InputError
from biblio.io import atomic_write
from biblio.lock import writes_dataset
from biblio.progress import ProgressCallback, Tracker
from fetchers.snapshot import jsonl, parquet
from fetchers.snapshot.layout import ENTITIES, SnapshotLayout, SnapshotPart, find_layout, plan_parts
from fetchers.snapshot.merged import merged_ids, merged_work_ids
from fetchers.snapshot.prefetch import prefetch

__all__ = ["BLOCK_BYTES", "FLUSH_ROWS", "ingest_snapshot"]

log = logging.getLogger(__name__)

#: Uncompressed JSON Lines handed to the normaliser at once (cut on a newline).
BLOCK_BYTES = 32 << 20
#: Kept rows of one part gathered before they are written as one part file.
FLUSH_ROWS = 50_000

_STATE = "snapshot"  # our sub-folder of the staging folder: run identity and part markers


class _Stopped(Exception):
    """Another part failed (or the run was interrupted): this one stops between blocks."""


# --- one part ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    part: SnapshotPart
    final: Path
    filters: WorkFilter
    identity: dict[str, Any]


def _identity(part: SnapshotPart) -> dict[str, Any]:
    stat = part.path.stat()
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "record_count": part.record_count,
        "content_length": part.content_length,
    }


def _marker(staging: Path, part: SnapshotPart) -> Path:
    return staging / _STATE / "parts" / f"{part.name}.json"


def _frames(part: SnapshotPart, filters: WorkFilter) -> Iterator[tuple[pl.DataFrame, int, int]]:
    if part.fmt == "parquet":
        return prefetch(parquet.read_part(part, filters))
    return jsonl.read_part(part, filters, BLOCK_BYTES)


def _ingest_part(task: _Task, stop: threading.Event) -> dict[str, Any]:
    """Read one part into the staging folder; write its marker last; return its figures."""
    part, filters = task.part, task.filters
    builder = DatasetBuilder(task.final, filters=filters)
    marker = _marker(builder.staging, part)
    marker.unlink(missing_ok=True)
    for stale in builder.staging.glob(f"parts/*/{part.name}-b*.arrow"):
        stale.unlink()  # rows of an earlier, unfinished attempt at this part
    works = part.entity == "works"
    keep = filters.expr()
    records = kept = flushed = uncompressed = 0
    pending: list[pl.DataFrame] = []

    def flush() -> None:
        nonlocal flushed, pending
        if not pending:
            return
        raw = pl.concat(pending, how="vertical")
        name = f"{part.name}-b{flushed:04d}"
        if works:
            builder.add_works(raw, part=name)
        else:
            builder.add_institutions(raw, part=name)
        flushed += 1
        pending = []

    frames = _frames(part, filters)
    try:
        for raw, count, size in frames:
            if stop.is_set():
                raise _Stopped
            records += count
            uncompressed += size
            if works and raw.height:
                raw = raw.filter(keep)
            if raw.height:
                pending.append(raw)
                kept += raw.height
            if sum(f.height for f in pending) >= FLUSH_ROWS:
                flush()
    finally:
        if hasattr(frames, "close"):
            frames.close()
    if part.record_count is not None and records != part.record_count:
        raise InputError(
            f"{part.path}: {records} records, but {part.manifest} lists "
            f"{part.record_count}; download the part again"
        )
    flush()
    figures = {
        "name": part.name,
        "entity": part.entity,
        "records": records,
        "kept": kept,
        "bytes": part.path.stat().st_size,
        "uncompressed_bytes": uncompressed if part.fmt == "jsonl" else None,
        "files": flushed,
    }
    with atomic_write(marker) as fh:
        json.dump({"identity": task.identity, "figures": figures}, fh, indent=1)
    return figures


# --- the whole snapshot ------------------------------------------------------------------------


def _done(staging: Path, part: SnapshotPart, identity: dict[str, Any]) -> dict[str, Any] | None:
    marker = _marker(staging, part)
    try:
        saved = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved["figures"] if saved.get("identity") == identity else None


def _prepare_staging(final: Path, run: dict[str, Any], names: set[str], refresh: bool) -> None:
    """Start afresh, or keep what an earlier run of the same ingest left (resume)."""
    staging = staging_folder(final)
    state = staging / _STATE / "run.json"
    if refresh:
        shutil.rmtree(staging, ignore_errors=True)
    elif staging.exists():
        try:
            same = json.loads(state.read_text(encoding="utf-8")) == run
        except (OSError, ValueError):
            same = False
        if not same:
            log.warning(
                "%s: left by an ingest of another snapshot, format or filters; starting afresh",
                staging,
            )
            shutil.rmtree(staging)
    (staging / _STATE / "parts").mkdir(parents=True, exist_ok=True)
    with atomic_write(state) as fh:
        json.dump(run, fh, indent=1)
    # Parts no longer listed (the snapshot was synced again) leave nothing behind.
    for path in list((staging / "parts").glob("*/*.arrow")) + list(
        (staging / _STATE / "parts").glob("*.json")
    ):
        stem = path.stem.rsplit("-b", 1)[0] if path.suffix == ".arrow" else path.stem
        if stem not in names:
            path.unlink()


def _run_tasks(tasks: list[_Task], workers: int, on_done: Callable[[_Task], None]) -> None:
    """Run tasks largest first on ``workers`` threads; raise the first failure.

    On a failure (or Ctrl-C) the other parts stop at their next block, unfinished: their
    markers are not written, so a rerun reads them again.
    """
    tasks = sorted(tasks, key=lambda t: t.identity["size"], reverse=True)
    stop = threading.Event()
    pool = cf.ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks))))
    futures = {pool.submit(_ingest_part, task, stop): task for task in tasks}
    try:
        for future in cf.as_completed(futures):
            future.result()
            on_done(futures[future])
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_with_progress(
    todo: list[_Task],
    identities: Mapping[str, dict[str, Any]],
    workers: int,
    progress: ProgressCallback | None,
) -> None:
    total = sum(i["size"] for i in identities.values())
    left = sum(t.identity["size"] for t in todo)
    tracker = Tracker(progress)
    tracker.start("ingest", total=total, done=total - left, unit="bytes")
    _run_tasks(todo, workers, lambda task: tracker.advance(task.identity["size"]))


def _existing(final: Path, snapshot: Path, filters: WorkFilter) -> dict[str, Any]:
    existing: dict[str, Any] = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    asked = {"source": str(snapshot.resolve()), "filters": filters.describe()}
    if {k: existing.get(k) for k in asked} != asked:
        log.warning(
            "%s exists, built from %s with %s; pass --refresh to rebuild it from %s with %s",
            final,
            existing.get("source"),
            existing.get("filters"),
            asked["source"],
            asked["filters"],
        )
    else:
        log.info("%s exists; pass --refresh to rebuild it", final)
    return existing


@writes_dataset("ingest")
def ingest_snapshot(
    snapshot: Path,
    final: Path,
    *,
    filters: WorkFilter,
    fmt: str | None = None,
    workers: int = 1,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Build the dataset ``final`` from the OpenAlex snapshot folder ``snapshot``.

    Parameters
    ----------
    snapshot
        The snapshot folder, in the 2026 layout (``parquet/``, ``jsonl/``, each with its
        ``manifest.json``; or their parent ``data/``) or the legacy one (``works/``,
        ``institutions/``, each with its ``manifest``, and ``merged_ids/``): see
        :func:`~fetchers.snapshot.layout.find_layout`.
    final
        The dataset folder to publish (e.g. ``cache/ai``); built in ``cache/.ai.partial/``.
    filters
        Selections, years and types; the selections are applied here (the snapshot holds all).
    fmt
        ``parquet`` or ``jsonl``: the format folder of a 2026 snapshot to read (default:
        Parquet when present).
    workers
        Parts read at once, each on a thread (plus one gunzipping or decoding ahead of it).
    refresh
        Rebuild even if ``final`` exists, and discard what an interrupted run left.
    progress
        Called with a :class:`biblio.progress.Progress` over the part bytes read.

    Returns
    -------
    dict
        The dataset's manifest.

    Raises
    ------
    InputError
        No snapshot layout, a missing or malformed manifest, a listed part missing on disk, a
        part whose records differ from its manifest count, a damaged gzip stream or Parquet
        file, a line that is not an OpenAlex record: one line naming the file (and line). The
        published dataset is left as it was; finished parts stay staged, so a rerun resumes.
    UsageError
        ``fmt`` names a format the snapshot does not have.
    """
    if (final / "manifest.json").exists() and not refresh:
        return _existing(final, snapshot, filters)
    layout = find_layout(snapshot, fmt)
    log.info("%s", layout.describe())
    plans = {entity: plan_parts(layout, entity) for entity in ENTITIES}
    parts = [p for entity in ENTITIES for p in plans[entity][0]]
    run = {
        "source": str(snapshot.resolve()),
        "data": str(layout.data.resolve()),
        "filters": filters.describe(),
        "apply_selection": filters.apply_selection,
    }
    _prepare_staging(final, run, {p.name for p in parts}, refresh)
    staging = staging_folder(final)
    identities = {p.name: _identity(p) for p in parts}
    todo = [
        _Task(p, final, filters, identities[p.name])
        for p in parts
        if _done(staging, p, identities[p.name]) is None
    ]
    resumed = len(parts) - len(todo)
    if resumed:
        log.info("%s: resuming, %d of %d parts already read", final, resumed, len(parts))
    _run_with_progress(todo, identities, workers, progress)
    figures = [_done(staging, p, identities[p.name]) for p in parts]
    return _finish(final, snapshot, layout, filters, plans, figures, read=len(todo))


def _finish(
    final: Path,
    snapshot: Path,
    layout: SnapshotLayout,
    filters: WorkFilter,
    plans: Mapping[str, tuple[list[SnapshotPart], dict[str, Any]]],
    figures: list[dict[str, Any] | None],
    *,
    read: int,
) -> dict[str, Any]:
    builder = DatasetBuilder(final, filters=filters)
    staged = builder.works_so_far()
    among = staged.select("work_id").unique().collect()["work_id"] if staged is not None else None
    drop_works = merged_work_ids(layout.merged_ids, among)
    survivors = merged_ids(layout.merged_ids, "institutions")
    summary: dict[str, Any] = layout.summary()
    for entity in ENTITIES:
        done = [f for f in figures if f is not None and f["entity"] == entity]
        sizes = [f.get("uncompressed_bytes") for f in done]
        summary[entity] = {
            **plans[entity][1],
            "records": sum(f["records"] for f in done),
            "kept": sum(f["kept"] for f in done),
            "uncompressed_bytes": None if None in sizes else sum(s for s in sizes if s),
        }
    summary["parts_read"] = read
    summary["parts_resumed"] = sum(len(p[0]) for p in plans.values()) - read
    summary["merged_ids_dropped"] = {"works": len(drop_works), "institutions": len(survivors)}
    return builder.finish(
        {"source": str(snapshot.resolve()), "command": "ingest", "snapshot": summary},
        drop_work_ids=drop_works.to_list(),
        drop_institution_ids=list(survivors),
        named_institutions_only=True,
        remap_institution_ids=survivors,
    )
