"""Build a dataset from OpenAlex snapshot files: what ``biblio ingest`` runs.

An OpenAlex snapshot holds, per entity, ``<entity>/updated_date=YYYY-MM-DD/part_NNN.gz``
(gzipped JSON Lines) and ``<entity>/manifest`` listing every part with its record count, plus
``merged_ids/<entity>/*.csv.gz`` (``merge_date,id,merge_into_id``) naming ids merged away.

What happens, in order:

1. Each entity's ``manifest`` is authoritative. A listed part missing on disk is an error naming
   it; files it does not list (left over from an older sync) are skipped with a warning naming
   them. Nothing is read before the whole plan checks out.
2. Parts are read in worker processes, whole parts per task, largest first: ISA-L gunzip as a
   stream, cut on newline boundaries into blocks of :data:`BLOCK_BYTES`, each block parsed by the
   one shared normaliser (:func:`biblio.dataset.normalise.read_works`, the API fetcher's code)
   and filtered; the kept rows are written as part files by a
   :class:`biblio.dataset.builder.DatasetBuilder` opened on the dataset's staging folder.
   Records are counted as they stream by and checked against the manifest. A worker holds one
   block and the kept rows of at most :data:`FLUSH_ROWS` works, whatever the size of the
   snapshot.
3. A part is done when its marker file is written, after its last rows. A rerun skips done
   parts (resume at part granularity) and redoes the others from their start.
4. The builder keeps the newest version of each work (``updated_date``, then the later
   partition), leaves out the ids of ``merged_ids``, keeps the institutions the authorships name
   with every ancestor of their lineages, and publishes the dataset in one rename.

Examples
--------
>>> import tempfile
>>> from biblio.dataset.selection import WorkFilter
>>> root = Path(tempfile.mkdtemp())
>>> work = (b'{"id": "https://openalex.org/W1", "publication_year": 2024, "updated_date": '
...         b'"2025-01-01", "primary_topic": {"subfield": '
...         b'{"id": "https://openalex.org/subfields/1702"}}}')
>>> write_entity(root / "snapshot", "works", {"updated_date=2025-01-01/part_000.gz": [work]})
>>> write_entity(root / "snapshot", "institutions", {})
>>> manifest = ingest_snapshot(root / "snapshot", root / "cache" / "ai", filters=WorkFilter())
>>> manifest["records"]["works"], manifest["snapshot"]["works"]["records"]
(1, 1)
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import json
import logging
import multiprocessing
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl
import pyarrow as pa
from isal import igzip, isal_zlib

from biblio.dataset.builder import DatasetBuilder, staging_folder
from biblio.dataset.normalise import read_institutions, read_works
from biblio.dataset.selection import WorkFilter
from biblio.errors import FetchError, InputError
from biblio.io import atomic_write
from biblio.lock import writes_dataset
from biblio.progress import ProgressCallback, Tracker

__all__ = [
    "BLOCK_BYTES",
    "ENTITIES",
    "FLUSH_ROWS",
    "SnapshotPart",
    "ingest_snapshot",
    "plan_entity",
    "prefilter_block",
    "write_entity",
    "write_manifest",
]

log = logging.getLogger(__name__)

#: The entity folders a dataset is built from.
ENTITIES = ("works", "institutions")
#: Uncompressed JSON Lines handed to the normaliser at once (cut on a newline).
BLOCK_BYTES = 32 << 20
#: Kept rows of one part gathered before they are written as one part file.
FLUSH_ROWS = 50_000

_ZLIB_ERRORS = cast(tuple[type[Exception], ...], (EOFError, OSError, isal_zlib.error))
_SAMPLE = 1 << 20  # bytes of a block the pre-filter looks at to guess the share of matches
_STATE = "snapshot"  # our sub-folder of the staging folder: run identity and part markers
_MANIFEST = "manifest"


@dataclass(frozen=True)
class SnapshotPart:
    """One part file an entity manifest lists.

    >>> p = SnapshotPart("works", "updated_date=2023-05-16/part_000.gz", Path("w.gz"),
    ...                  Path("manifest"), 27, 6937)
    >>> p.name
    'works-2023-05-16-part_000'
    """

    entity: str
    relpath: str  # relative to the entity folder, e.g. "updated_date=2023-05-16/part_000.gz"
    path: Path
    manifest: Path  # the entity manifest that lists it
    record_count: int | None
    content_length: int | None

    @property
    def name(self) -> str:
        """The part name in the staging folder; sorts by partition date, then part file."""
        stem = re.sub(r"\.(gz|jsonl?|json)$", "", self.relpath.replace("updated_date=", ""))
        return f"{self.entity}-{re.sub(r'[^A-Za-z0-9_.]+', '-', stem)}"


def plan_entity(snapshot: Path, entity: str) -> tuple[list[SnapshotPart], dict[str, Any]]:
    """Read ``<snapshot>/<entity>/manifest``; return the parts it lists and its summary.

    Raises :class:`~biblio.errors.InputError` naming the manifest when it is missing or not an
    OpenAlex manifest, and naming the first listed part missing on disk. Files in the entity
    folder that the manifest does not list are logged as a warning that names them.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> write_entity(root, "works", {"updated_date=2024-01-02/part_000.gz": [b'{"id": "W1"}']})
    >>> parts, summary = plan_entity(root, "works")
    >>> [p.name for p in parts], summary["record_count"]
    (['works-2024-01-02-part_000'], 1)
    """
    folder = snapshot / entity
    manifest_path = folder / _MANIFEST
    if not manifest_path.is_file():
        raise InputError(
            f"{manifest_path}: missing; download the {entity}/ folder of the snapshot "
            "together with its manifest"
        )
    try:
        manifest = json.loads(manifest_path.read_bytes())
        entries = [(e["url"], e.get("meta") or {}) for e in manifest["entries"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{manifest_path}: not an OpenAlex manifest ({_one_line(exc)}); download it again"
        ) from exc
    parts: list[SnapshotPart] = []
    for url, meta in entries:
        rel = _relpath(str(url), entity, manifest_path)
        parts.append(
            SnapshotPart(
                entity,
                rel,
                folder / rel,
                manifest_path,
                _int(meta.get("record_count")),
                _int(meta.get("content_length")),
            )
        )
    missing = [p for p in parts if not p.path.is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more listed parts)" if len(missing) > 1 else ""
        raise InputError(
            f"{missing[0].path}: listed in {manifest_path} but missing{more}; download the "
            "missing parts (or the manifest that matches the files you have)"
        )
    listed = {p.relpath for p in parts} | {_MANIFEST}
    unlisted = sorted(
        f.relative_to(folder).as_posix()
        for f in folder.rglob("*")
        if f.is_file() and f.relative_to(folder).as_posix() not in listed
    )
    if unlisted:
        log.warning(
            "%s: skipping %d file(s) its manifest does not list: %s",
            folder,
            len(unlisted),
            ", ".join(unlisted),
        )
    counts = [p.record_count for p in parts]
    summary = {
        "parts": len(parts),
        "record_count": None if None in counts else sum(c for c in counts if c is not None),
        "unlisted_files_skipped": unlisted,
    }
    return parts, summary


def _relpath(url: str, entity: str, manifest_path: Path) -> str:
    # "s3://openalex/data/works/updated_date=2023-05-16/part_000.gz" → the part after "works/".
    marker = f"/{entity}/"
    rel = url.split(marker, 1)[1] if marker in url else url
    if not rel or rel.startswith("/") or ".." in rel.split("/"):
        raise InputError(f"{manifest_path}: entry {url!r} is not a part of {entity}/")
    return rel


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --- the pre-filter ----------------------------------------------------------------------------


def _needle(filters: WorkFilter) -> tuple[bytes, tuple[bytes, ...]] | None:
    """The bytes every line that can match the selection holds, and the escapes that may hide
    them (see :func:`prefilter_block`); ``None`` where the pre-filter does not apply (the server
    selected already, or several selections: one needle cannot stand for them)."""
    value = filters.selection.value
    if (
        not filters.apply_selection
        or len(filters.selections) > 1
        or not re.fullmatch(r"[A-Za-z0-9_.-]+", value)
    ):
        return None
    escapes = {f"\\u{ord(c):04x}".encode() for c in value}
    escapes |= {f"\\u{ord(c):04X}".encode() for c in value}
    return value.encode() + b'"', tuple(sorted(escapes))


def prefilter_block(block: bytes, needle: bytes, escapes: Sequence[bytes] = ()) -> bytes:
    """The lines of ``block`` that can match a selection, ``needle`` being its value + ``"``.

    Every selection compares the last path segment of an id string (``…/subfields/1702``,
    ``…/C154945302``) with the selection's value, so the decoded string of a matching line ends
    with the value, and its raw bytes hold the value followed by the closing quote: literally, or
    with some of its characters written as ``\\uXXXX`` escapes (the only escapes JSON allows for
    letters and digits; ``escapes`` lists them). A line without ``needle``, in a block without
    such an escape, therefore cannot match and is not parsed: the pre-filter cannot drop a
    matching record. The block is returned whole (so the normaliser parses and checks every
    line) when it has such an escape, when its lines are not all ``{…}`` (blank lines,
    ``\\r\\n``, text that is not JSON), or when a sample of it says most lines match anyway.

    Lines skipped here are checked for shape only (each starts with ``{`` and ends with ``}``),
    not parsed; gzip's CRC and the manifest's record count guard them.

    >>> block = b'{"id": 1, "s": "subfields/1702"}\\n{"id": 2, "s": "subfields/17021"}\\n'
    >>> prefilter_block(block + b'{"id": 3}\\n' * 4, b'1702"')
    b'{"id": 1, "s": "subfields/1702"}\\n'
    >>> prefilter_block(b"not json\\n", b'1702"')
    b'not json\\n'
    """
    return bytes(_prefilter(block, len(block), needle, escapes)[0])


def _prefilter(
    data: bytes, end: int, needle: bytes, escapes: Sequence[bytes]
) -> tuple[bytes | memoryview, int | None]:
    """:func:`prefilter_block` on the lines ``data[:end]`` (not copied), plus their line count
    when it skipped lines."""
    sample = data[: min(end, _SAMPLE)]
    if _lines_holding(sample, needle) * 2 > sample.count(b"\n"):
        return _view(data, end), None  # mostly matching: skipping lines would only cost time
    array = np.frombuffer(data, dtype=np.uint8, count=end)
    ends = np.flatnonzero(array == 10)  # "\n"
    if (
        not len(ends)
        or ends[-1] != end - 1
        or array[0] != 123  # "{"
        or not (array[ends - 1] == 125).all()  # "}" ends every line
        or not (array[ends[:-1] + 1] == 123).all()  # "{" starts every line
    ):
        return _view(data, end), None
    backslashes = np.flatnonzero(array[:-1] == 92)  # "\\"
    for at in backslashes[array[backslashes + 1] == 117].tolist():  # "\\u": rare in OpenAlex
        if any(data.startswith(e, at, end) for e in escapes):
            return _view(data, end), None
    kept: list[bytes] = []
    pos = data.find(needle, 0, end)
    while pos >= 0:
        line = int(np.searchsorted(ends, pos))
        start = int(ends[line - 1]) + 1 if line else 0
        stop = int(ends[line]) + 1
        kept.append(data[start:stop])
        pos = data.find(needle, stop, end)
    return b"".join(kept), len(ends)


def _view(data: bytes, end: int) -> bytes | memoryview:
    return data if end == len(data) else memoryview(data)[:end]


def _lines_holding(data: bytes, needle: bytes) -> int:
    count, pos = 0, data.find(needle)
    while pos >= 0:
        count += 1
        end = data.find(b"\n", pos)
        if end < 0:
            break
        pos = data.find(needle, end)
    return count


# --- one part, in a worker ---------------------------------------------------------------------


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


def _open(part: SnapshotPart) -> io.BufferedIOBase:
    if part.path.suffix == ".gz":
        return cast(io.BufferedIOBase, igzip.open(part.path, "rb"))
    return open(part.path, "rb")


def _blocks(part: SnapshotPart, block_bytes: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(offset, data, end)``: ``data[:end]`` are the part's next whole lines, uncompressed.

    Each read is handed on as it is (not copied); the line a read cuts in two is completed from
    the stream and handed on alone, right after.
    """
    offset = 0
    with _open(part) as fh:
        while True:
            try:
                chunk = fh.read(block_bytes)
                rest = fh.readline() if chunk and not chunk.endswith(b"\n") else b""
            except _ZLIB_ERRORS as exc:
                raise _broken(part, exc) from exc
            if not chunk:
                return
            cut = chunk.rfind(b"\n") + 1
            if cut:
                yield offset, chunk, cut
                offset += cut
            line = chunk[cut:] + rest
            if line.strip():
                line += b"" if line.endswith(b"\n") else b"\n"
                yield offset, line, len(line)
            offset += len(line)


def _broken(part: SnapshotPart, exc: Exception) -> InputError:
    """The error for a gzip stream that ends early or is damaged, naming the line it breaks in."""
    line = 1
    with open(part.path, "rb") as fh:  # error path only: decode again, as far as it goes
        inflate = isal_zlib.decompressobj(31)
        try:
            while chunk := fh.read(1 << 20):
                while chunk:  # a gzip file may hold several members
                    line += inflate.decompress(chunk).count(b"\n")
                    chunk = inflate.unused_data if inflate.eof else b""
                    if inflate.eof:
                        inflate = isal_zlib.decompressobj(31)
        except _ZLIB_ERRORS:
            pass
    listed = f", the manifest lists {part.content_length}" if part.content_length else ""
    return InputError(
        f"{part.path}, line {line}: the gzip stream breaks inside this line ({_one_line(exc)}; "
        f"{part.path.stat().st_size} bytes on disk{listed}); download the part again"
    )


def _first_line(part: SnapshotPart, offset: int) -> int:
    """The number of the line at uncompressed ``offset`` (error path only: reads again)."""
    line, seen = 1, 0
    with _open(part) as fh:
        while seen < offset and (chunk := fh.read(min(1 << 22, offset - seen))):
            line += chunk.count(b"\n")
            seen += len(chunk)
    return line


def _locate(block: bytes, offset: int, part: SnapshotPart, error: InputError) -> InputError:
    """The error of the first bad line of a block that failed to parse, naming file and line."""
    read = read_works if part.entity == "works" else read_institutions
    first_line = _first_line(part, offset)
    for number, line in enumerate(block.split(b"\n"), start=first_line):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError as exc:
            return InputError(
                f"{part.path}, line {number}: not JSON ({_one_line(exc)}); the part is damaged, "
                "download it again"
            )
        try:
            read(line, source=f"{part.path}, line {number}")
        except InputError as exc:
            return InputError(_one_line(exc))
    return InputError(_one_line(error))


def _ingest_part(task: _Task) -> dict[str, Any]:
    """Read one part into the staging folder; write its marker last; return its figures."""
    part, filters = task.part, task.filters
    builder = DatasetBuilder(task.final, filters=filters)
    marker = _marker(builder.staging, part)
    marker.unlink(missing_ok=True)
    for stale in builder.staging.glob(f"parts/*/{part.name}-b*.arrow"):
        stale.unlink()  # rows of an earlier, unfinished attempt at this part
    works = part.entity == "works"
    needle = _needle(filters) if works else None
    keep = filters.expr()
    records = kept = flushed = 0
    uncompressed = 0
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

    for offset, data, end in _blocks(part, BLOCK_BYTES):
        uncompressed += end
        text, lines = (_view(data, end), None) if needle is None else _prefilter(data, end, *needle)
        source = f"{part.path}, bytes {offset}-{offset + end} uncompressed"
        try:
            if not text:  # the pre-filter found no line that can match
                raw = pl.DataFrame()
            elif works:  # pyarrow reads any buffer: a view of the read block is not copied
                raw = read_works(cast(bytes, text), selections=filters.selections, source=source)
            else:
                raw = read_institutions(cast(bytes, text), source=source)
        except InputError as exc:
            raise _locate(data[:end], offset, part, exc) from None
        # Records are counted without a second parse: rows when the block was parsed whole,
        # lines when the pre-filter skipped some (it only does so when every line is one {…}).
        records += raw.height if lines is None else lines
        if works and raw.height:
            raw = raw.filter(keep)
        if raw.height:
            pending.append(raw)
            kept += raw.height
        if sum(f.height for f in pending) >= FLUSH_ROWS:
            flush()
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
        "uncompressed_bytes": uncompressed,
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
                "%s: left by an ingest of another snapshot or filters; starting afresh", staging
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


def _worker_init() -> None:
    # The processes already use every core; one parser thread each wastes less on hand-offs.
    pa.set_cpu_count(1)


def _run_tasks(tasks: list[_Task], workers: int, on_done: Callable[[_Task], None]) -> None:
    """Run tasks largest first, in ``workers`` processes; raise the first failure."""
    tasks = sorted(tasks, key=lambda t: t.identity["size"], reverse=True)
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            _ingest_part(task)
            on_done(task)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    pool = cf.ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=context, initializer=_worker_init
    )
    try:
        futures = {pool.submit(_ingest_part, task): task for task in tasks}
        for future in cf.as_completed(futures):
            future.result()
            on_done(futures[future])
    except cf.process.BrokenProcessPool as exc:
        raise FetchError(
            "a worker process died (out of memory?); rerun with fewer --workers to resume"
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _merged_ids(snapshot: Path, entity: str, among: pl.Series | None) -> pl.Series:
    """Ids listed in ``merged_ids/<entity>/*.csv[.gz]`` (only those in ``among``, if given)."""
    folder = snapshot / "merged_ids" / entity
    files = sorted(folder.glob("*.csv")) + sorted(folder.glob("*.csv.gz"))
    found: list[pl.Series] = []
    for path in files:
        try:
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = igzip.decompress(data)
            ids = pl.read_csv(data, columns=["id"], schema_overrides={"id": pl.String})["id"]
        except (*_ZLIB_ERRORS, pl.exceptions.PolarsError) as exc:  # type: ignore[misc]
            raise InputError(
                f"{path}: not a merged-ids CSV with an id column ({_one_line(exc)}); "
                "download it again"
            ) from exc
        ids = ids.drop_nulls().str.split("/").list.last()  # "W1" or "https://openalex.org/W1"
        found.append(ids.filter(ids.is_in(among.implode())) if among is not None else ids)
    return pl.concat(found).unique() if found else pl.Series("id", [], dtype=pl.String)


@writes_dataset("ingest")
def ingest_snapshot(
    snapshot: Path,
    final: Path,
    *,
    filters: WorkFilter,
    workers: int = 1,
    refresh: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Build the dataset ``final`` from the OpenAlex snapshot folder ``snapshot``.

    Parameters
    ----------
    snapshot
        Folder holding ``works/`` and ``institutions/`` (each with its ``manifest``) and
        optionally ``merged_ids/``.
    final
        The dataset folder to publish (e.g. ``cache/ai``); built in ``cache/.ai.partial/``.
    filters
        Selection, years and types; the selection is applied here (the snapshot holds all).
    workers
        Worker processes reading parts (1: in this process).
    refresh
        Rebuild even if ``final`` exists, and discard what an interrupted run left.
    progress
        Called with a :class:`biblio.progress.Progress` over the compressed bytes read.

    Returns
    -------
    dict
        The dataset's manifest.

    Raises
    ------
    InputError
        A missing or malformed manifest, a listed part missing on disk, a part whose records
        differ from its manifest count, a damaged gzip stream or a line that is not an OpenAlex
        record: one line naming the file (and line). The published dataset is left as it was;
        finished parts stay staged, so a rerun resumes.
    """
    manifest_path = final / "manifest.json"
    if manifest_path.exists() and not refresh:
        existing: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
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
    if not snapshot.is_dir():
        raise InputError(
            f"{snapshot}: not a folder; give the snapshot folder holding works/ and institutions/"
        )
    source = snapshot.resolve()
    plans = {entity: plan_entity(snapshot, entity) for entity in ENTITIES}
    parts = [p for entity in ENTITIES for p in plans[entity][0]]
    run = {
        "source": str(source),
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
    builder = DatasetBuilder(final, filters=filters)
    staged = builder.works_so_far()
    among = staged.select("work_id").unique().collect()["work_id"] if staged is not None else None
    drop_works = _merged_ids(snapshot, "works", among)
    drop_institutions = _merged_ids(snapshot, "institutions", None)
    summary: dict[str, Any] = {}
    for entity in ENTITIES:
        done = [f for f in figures if f is not None and f["entity"] == entity]
        summary[entity] = {
            **plans[entity][1],
            "records": sum(f["records"] for f in done),
            "kept": sum(f["kept"] for f in done),
            "uncompressed_bytes": sum(f["uncompressed_bytes"] for f in done),
        }
    summary["parts_read"] = len(todo)
    summary["parts_resumed"] = resumed
    summary["merged_ids_dropped"] = {
        "works": len(drop_works),
        "institutions": len(drop_institutions),
    }
    return builder.finish(
        {"source": str(source), "command": "ingest", "snapshot": summary},
        drop_work_ids=drop_works.to_list(),
        drop_institution_ids=drop_institutions.to_list(),
        named_institutions_only=True,
    )


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


# --- writing snapshot folders (tests, benchmarks, subsets) ----------------------------------


def write_entity(
    snapshot: Path,
    entity: str,
    parts: Mapping[str, Iterable[bytes]],
    *,
    level: int = 1,
) -> None:
    """Write ``<snapshot>/<entity>/`` as OpenAlex does: gzipped parts and a ``manifest``.

    ``parts`` maps a path relative to the entity folder (``updated_date=…/part_000.gz``) to its
    JSON lines (without newlines).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> write_entity(root, "works", {"updated_date=2024-01-02/part_000.gz": [b'{"id": "W1"}']})
    >>> json.loads((root / "works" / "manifest").read_text())["meta"]["record_count"]
    1
    """
    folder = snapshot / entity
    counts: dict[str, int] = {}
    for rel, lines in parts.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with igzip.open(path, "wb", compresslevel=level) as fh:
            for line in lines:
                fh.write(line.rstrip(b"\n") + b"\n")
                count += 1
        counts[rel] = count
    write_manifest(snapshot, entity, counts)


def write_manifest(snapshot: Path, entity: str, counts: Mapping[str, int]) -> None:
    """Write ``<snapshot>/<entity>/manifest`` for the parts ``counts`` lists with their records.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> write_manifest(root, "works", {})
    >>> json.loads((root / "works" / "manifest").read_text())
    {'entries': [], 'meta': {'content_length': 0, 'record_count': 0}}
    """
    folder = snapshot / entity
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {rel: (folder / rel).stat().st_size for rel in counts}
    entries = [
        {
            "url": f"s3://openalex/data/{entity}/{rel}",
            "meta": {"content_length": sizes[rel], "record_count": count},
        }
        for rel, count in counts.items()
    ]
    meta = {"content_length": sum(sizes.values()), "record_count": sum(counts.values())}
    (folder / _MANIFEST).write_text(json.dumps({"entries": entries, "meta": meta}, indent=1))
