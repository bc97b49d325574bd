"""Datasets on disk: names, atomic writes, the manifest, and reading the three tables lazily.

A dataset is a folder holding ``works.arrow``, ``authorships.arrow`` and ``institutions.arrow``
(Arrow IPC; a table may instead be split into ``<table>/*.arrow`` parts) and ``manifest.json``.
The manifest is written last, so a folder without one is not a dataset. Writers build a dataset in
a sibling staging folder and move it into place in one rename (:func:`publish_dataset`), holding
the dataset's writer lock (:mod:`biblio.lock`). :func:`open_dataset` checks every data file
against the manifest's SHA-256 first (:mod:`biblio.integrity`). A dataset's name is a plain name
(:func:`check_name`).

Examples
--------
>>> import tempfile
>>> from biblio.schema import INSTITUTIONS
>>> root = Path(tempfile.mkdtemp())
>>> empty = empty_frame(INSTITUTIONS)
>>> write_table(empty, root / "institutions.arrow", INSTITUTIONS)
>>> sorted(p.name for p in root.iterdir())
['institutions.arrow']
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

from biblio.errors import InputError, SchemaError, UsageError
from biblio.integrity import verify_files
from biblio.schema import INPUT_TABLES, empty_table

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_CACHE",
    "Dataset",
    "atomic_path",
    "atomic_write",
    "check_name",
    "dataset_builders",
    "ensure_dataset",
    "file_sha256",
    "open_dataset",
    "publish_dataset",
    "resolve_dataset",
    "write_manifest",
    "write_table",
]

DEFAULT_CACHE = Path("cache")
#: Rows per Arrow record batch: readers decode batches in parallel, so one huge batch would
#: confine reading a table to one core.
BATCH_ROWS = 1 << 18


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import, before any thread starts writing
MANIFEST = "manifest.json"
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


def check_name(name: str) -> str:
    """``name`` if it is a plain dataset name, else :class:`~biblio.errors.UsageError`.

    A plain name is 1 to 200 ASCII letters, digits, ``.``, ``_`` and ``-``, not starting with
    ``.``: never a path, so a dataset stays a folder of its cache.

    >>> check_name("ai-2024_v1.2")
    'ai-2024_v1.2'
    >>> check_name("../../etc/evil")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    biblio.errors.UsageError: dataset name '../../etc/evil': use a plain name ...
    """
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"dataset name {name!r}: use a plain name of letters, digits, '.', '_' and '-' "
            "(not starting with '.', at most 200 characters), e.g. ai-2024"
        )
    return name


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    On any exception the temporary file is removed and ``target`` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates the file 0600; give it the permissions open() would (reports get served).
    tmp_path.chmod(0o666 & ~_UMASK)
    try:
        yield tmp_path
        with tmp_path.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp_path.replace(target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_write(target: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a file that appears at ``target`` only once it is completely written.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_write(p) as fh:
    ...     _ = fh.write("done")
    >>> p.read_text()
    'done'
    """
    with (
        atomic_path(target) as tmp,
        tmp.open(mode, encoding=None if "b" in mode else "utf-8") as fh,
    ):
        yield fh


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def write_table(frame: pl.DataFrame | pa.Table, path: Path, schema: pa.Schema) -> None:
    """Write ``frame`` as an Arrow IPC file with exactly ``schema``, atomically."""
    table = frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame
    table = table.select(schema.names).cast(schema)
    with atomic_path(path) as tmp, ipc.new_file(tmp, schema) as writer:
        writer.write_table(table, max_chunksize=BATCH_ROWS)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.arrow") if not p.name.startswith("."))


def write_manifest(
    folder: Path, fields: Mapping[str, Any], *, extra_files: Collection[str] = ()
) -> dict[str, Any]:
    """Write ``manifest.json`` last: ``fields`` plus record counts and a SHA-256 per data file.

    ``fields`` carries source, selection, years and the like; it must never hold an API key.
    ``extra_files`` (names in ``folder``, such as ``validation.csv``) are checksummed too.
    """
    from biblio import __version__

    manifest: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        **fields,
    }
    manifest["records"] = {
        name: int(_scan(folder, name).select(pl.len()).collect().item()) for name in INPUT_TABLES
    }
    files = [*_data_files(folder), *(folder / name for name in extra_files)]
    manifest["sha256"] = {p.relative_to(folder).as_posix(): file_sha256(p) for p in files}
    with atomic_write(folder / MANIFEST) as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
    return manifest


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    False where the system or the file system cannot (the caller then renames in two steps).
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    c_int, c_path = ctypes.c_int, ctypes.c_char_p
    renameat2.argtypes = [c_int, c_path, c_int, c_path, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a))


def publish_dataset(staging: Path, final: Path) -> None:
    """Move a finished staging folder to ``final``, replacing an older dataset there.

    An older dataset is swapped with the new one in one step where the system allows it
    (Linux), so a reader finds one complete dataset or the other at ``final``, never none; else
    it is renamed aside first. It is removed once the new one is in place.
    """
    if not (staging / MANIFEST).exists():
        raise InputError(f"{staging}: no {MANIFEST}; the dataset is not finished")
    if final.is_dir() and _exchange(staging, final):
        shutil.rmtree(staging)  # the old dataset, now where the staging folder was
        return
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.replace(old)
    staging.replace(final)
    if old.exists():
        shutil.rmtree(old)


def _table_files(folder: Path, name: str) -> list[Path]:
    single = folder / f"{name}.arrow"
    if single.exists():
        return [single]
    return sorted(p for p in (folder / name).glob("*.arrow") if not p.name.startswith("."))


_TEXT = {"string", "large_string", "string_view"}
_TIME_UNITS = ("s", "ms", "us", "ns")


def _converts(found: pa.DataType, expected: pa.DataType) -> bool:
    """Whether a column of Arrow type ``found`` reads as ``expected`` with no value lost.

    What other writers produce for our columns: ``string`` or a dictionary of strings for
    ``large_string``, ``list`` for ``large_list``, integers of another width or sign, structs
    with the same fields in another order, coarser timestamp units. An integer is cast with a
    check: a value that does not fit the narrower type stops the computation, never wraps.

    >>> _converts(pa.int32(), pa.int64()), _converts(pa.uint64(), pa.int32())
    (True, True)
    >>> _converts(pa.float64(), pa.int64()), _converts(pa.string(), pa.int32())
    (False, False)
    >>> words = pa.list_(pa.dictionary(pa.int8(), pa.string()))
    >>> _converts(words, pa.large_list(pa.large_string()))
    True
    >>> us = pa.timestamp("us")
    >>> _converts(pa.timestamp("ms"), us), _converts(pa.timestamp("ns"), us)
    (True, False)
    >>> _converts(pa.string(), pa.large_list(pa.large_string()))
    False
    """
    t = pa.types
    if found.equals(expected):
        return True
    if t.is_dictionary(found):
        return str(found.value_type) in _TEXT and _converts(found.value_type, expected)
    if str(expected) in _TEXT:
        return str(found) in _TEXT
    if t.is_integer(expected):
        return bool(t.is_integer(found))
    if t.is_floating(expected):
        return bool(t.is_floating(found) and found.bit_width <= expected.bit_width)
    if t.is_list(expected) or t.is_large_list(expected):
        is_list = t.is_list(found) or t.is_large_list(found) or t.is_fixed_size_list(found)
        return is_list and _converts(found.value_type, expected.value_type)
    if t.is_struct(expected):
        if not t.is_struct(found) or found.num_fields != expected.num_fields:
            return False
        fields = {found.field(i).name: found.field(i).type for i in range(found.num_fields)}
        wanted = [expected.field(i) for i in range(expected.num_fields)]
        return all(f.name in fields and _converts(fields[f.name], f.type) for f in wanted)
    if t.is_timestamp(expected):
        return bool(
            t.is_timestamp(found)
            and found.tz == expected.tz
            and _TIME_UNITS.index(found.unit) <= _TIME_UNITS.index(expected.unit)
        )
    return False


@functools.cache
def polars_types(schema: pa.Schema) -> pl.Schema:
    """The polars type of each column of the Arrow ``schema``.

    >>> polars_types(pa.schema([("n", pa.int32())]))
    Schema([('n', Int32)])
    """
    return empty_frame(schema).schema


def empty_frame(schema: pa.Schema) -> pl.DataFrame:
    """A frame of no rows with the columns and types of the Arrow ``schema``."""
    empty = pl.from_arrow(empty_table(schema))
    assert isinstance(empty, pl.DataFrame)
    return empty


def _file_schema(path: Path, name: str) -> pa.Schema:
    """The Arrow schema of one file, checked against the ``name`` table's."""
    schema = INPUT_TABLES[name]
    try:
        found = ipc.open_file(path).schema
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"{path}: not a readable Arrow IPC file ({exc}); refetch the dataset"
        ) from exc
    missing = [f.name for f in schema if f.name not in found.names]
    if missing:
        raise SchemaError(
            f"{path}: column {missing[0]!r} is missing; the {name} table needs the columns "
            + ", ".join(schema.names)
        )
    for field in schema:
        if not _converts(found.field(field.name).type, field.type):
            raise SchemaError(
                f"{path}: column {field.name!r} is {found.field(field.name).type}, expected "
                f"{field.type}; write it with that type or one that converts to it without loss"
            )
    return found


def _scan(folder: Path, name: str) -> pl.LazyFrame:
    """The ``name`` table of a dataset folder, lazily, in exactly the types of biblio.schema.

    Files are checked now (schema only); columns of another lossless type are cast lazily.
    """
    files = _table_files(folder, name)
    schema = INPUT_TABLES[name]
    if not files:
        return empty_frame(schema).lazy()
    # Files with one schema are scanned together, as one source.
    groups: dict[tuple[tuple[str, str], ...], tuple[pa.Schema, list[Path]]] = {}
    for path in files:
        found = _file_schema(path, name)
        key = tuple(zip(found.names, map(str, found.types), strict=True))
        groups.setdefault(key, (found, []))[1].append(path)
    targets = polars_types(schema)
    frames = []
    for found, paths in groups.values():
        cast = [f.name for f in schema if not found.field(f.name).type.equals(f.type)]
        frames.append(
            pl.scan_ipc(paths)
            .select(schema.names)
            .with_columns(pl.col(column).cast(targets[column]) for column in cast)
        )
    return frames[0] if len(frames) == 1 else pl.concat(frames)


@dataclass(frozen=True)
class Dataset:
    """A dataset folder opened for reading: three lazy tables and the manifest."""

    path: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        """The dataset's name: its folder's name."""
        return self.path.name

    @property
    def works(self) -> pl.LazyFrame:
        """The ``works`` table, lazily (``biblio.schema.WORKS``)."""
        return _scan(self.path, "works")

    @property
    def authorships(self) -> pl.LazyFrame:
        """The ``authorships`` table, lazily (``biblio.schema.AUTHORSHIPS``)."""
        return _scan(self.path, "authorships")

    @property
    def institutions(self) -> pl.LazyFrame:
        """The ``institutions`` table, lazily (``biblio.schema.INSTITUTIONS``)."""
        return _scan(self.path, "institutions")


def resolve_dataset(dataset: str | Path, cache: Path = DEFAULT_CACHE) -> Path:
    """A dataset argument as a folder: a path that exists, else a plain name under ``cache``.

    >>> resolve_dataset("ai", Path("cache")).as_posix()
    'cache/ai'
    >>> resolve_dataset("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    biblio.errors.UsageError: dataset 'no/such/folder': no such folder, and not a plain name ...
    """
    path = Path(dataset)
    if path.is_dir():
        return path
    try:
        return cache / check_name(str(dataset))
    except UsageError:
        raise UsageError(
            f"dataset {str(dataset)!r}: no such folder, and not a plain name (letters, digits, "
            "'.', '_', '-') of a dataset under --cache"
        ) from None


def verify_dataset(path: Path, manifest: Mapping[str, Any]) -> None:
    """Check every data file of the dataset folder ``path`` against ``manifest["sha256"]``.

    Raises :class:`~biblio.errors.DatasetChanged` naming the first file that changed since the
    dataset was written (see :mod:`biblio.integrity`).
    """
    listed = manifest.get("sha256")
    if not isinstance(listed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in listed.items()
    ):
        raise InputError(
            f"{path / MANIFEST}: lists no SHA-256 of the data files, so they cannot be checked; "
            "rebuild the dataset (`biblio fetch` or `biblio ingest` with --refresh)"
        )
    on_disk = [p.relative_to(path).as_posix() for p in _data_files(path)]
    # Files beside the tables that the manifest lists (validation.csv) are checked too.
    on_disk += [name for name in listed if not name.endswith(".arrow") and (path / name).is_file()]
    verify_files(path, listed, on_disk=on_disk)


def open_dataset(dataset: str | Path | Dataset, cache: Path = DEFAULT_CACHE) -> Dataset:
    """Open a dataset folder (or a name under ``cache``) after checking it is complete.

    Every data file is checked against the manifest's SHA-256 and every table's schema against
    :mod:`biblio.schema` before anything is read. A :class:`Dataset` is returned as it is (it
    was checked when it was opened).
    """
    if isinstance(dataset, Dataset):
        return dataset
    path = resolve_dataset(dataset, cache)
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        hint = (
            "run `biblio fetch` or `biblio ingest` first"
            if not path.exists()
            else ("it is unfinished; rerun the fetch to resume it")
        )
        raise InputError(f"dataset {str(dataset)!r} not found at {path} ({hint})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{manifest_path}: unreadable manifest ({_one_line(exc)}); rebuild the dataset"
        ) from exc
    if not isinstance(manifest, dict):
        raise InputError(f"{manifest_path}: not a manifest (a JSON object); rebuild the dataset")
    for name in INPUT_TABLES:
        _scan(path, name)  # validates every file's schema now (reads footers only)
    verify_dataset(path, manifest)  # then every byte, against the manifest
    return Dataset(path, manifest)


def dataset_builders() -> dict[str, Callable[[Path], object]]:
    """Builders of named datasets, from the ``biblio.datasets`` entry points (``demo``).

    A source package registers ``name = "module:function"``; the function builds that dataset
    into the folder it is given. This is how ``demo`` (generated by :mod:`fetchers.demo`) is
    found without biblio importing fetchers.

    >>> "demo" in dataset_builders()
    True
    """
    return {ep.name: ep.load() for ep in entry_points(group="biblio.datasets")}


def ensure_dataset(
    dataset: str | Path,
    cache: Path = DEFAULT_CACHE,
    *,
    builders: Mapping[str, Callable[[Path], object]] | None = None,
) -> Dataset:
    """``dataset`` (a folder, or a name under ``cache``) opened, built first if need be.

    ``builders`` maps dataset names to a function that builds that dataset into a folder
    (default: :func:`dataset_builders`, which gives ``demo``). A name with no builder must
    exist already. A build holds the dataset's writer lock; a second process waits for it.

    Raises :class:`~biblio.errors.InputError` naming the dataset when it does not exist.

    >>> import tempfile
    >>> ensure_dataset("nothing-here", Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    biblio.errors.InputError: dataset 'nothing-here' not found at ...
    >>> cache = Path(tempfile.mkdtemp())
    >>> ensure_dataset("made", cache, builders={"made": lambda p: p.mkdir()})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    biblio.errors.InputError: ...
    """
    path = resolve_dataset(dataset, cache)
    if not path.exists():
        build = (dataset_builders() if builders is None else builders).get(str(dataset))
        if build is not None:
            from biblio.lock import dataset_lock

            with dataset_lock(path, wait=True):
                if not path.exists():  # not built by the process we waited for
                    build(path)
    return open_dataset(dataset, cache)
