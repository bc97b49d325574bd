"""Where a snapshot's parts are: the 2026 and the legacy layouts, and their manifests.

Since 2026 OpenAlex publishes one folder per format, each with one folder per entity and one
combined ``manifest.json`` for all of them; the pre-2026 flat layout (JSON Lines only, one
``manifest`` per entity) and ``merged_ids/`` are kept under ``legacy-data/``::

    ROOT/                               ROOT/  (legacy)
    ├── jsonl/                          ├── works/
    │   ├── manifest.json               │   ├── manifest
    │   └── works/updated_date=…/       │   └── updated_date=…/part_000.gz
    │       └── part_0000.gz            ├── institutions/…
    ├── parquet/                        └── merged_ids/works/*.csv.gz
    │   ├── manifest.json
    │   └── works/updated_date=…/part_0000.parquet
    └── legacy-data/merged_ids/…

:func:`find_layout` says which one a folder holds (also the bucket root, with ``data/`` and
``legacy-data/``); :func:`plan_parts` lists the parts of an entity its manifest names.

The keys of the combined manifest are not published in full, so a manifest is read for what
any version must give: the file of each entry (a URL or path whose segments name the entity
and the partition) and, when given, its record count and size. Every object holding a
``url``-like string that names a part file of an entity is an entry; its count is the first
integer found under a known key (``record_count``, ``records``, ``num_rows``…) in it or in an
object it holds (such as ``meta``). Other keys are ignored.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> (root / "parquet" / "works").mkdir(parents=True)
>>> (root / "jsonl" / "works").mkdir(parents=True)
>>> layout = find_layout(root)
>>> layout.kind, layout.fmt, layout.formats
('2026', 'parquet', ('parquet', 'jsonl'))
>>> find_layout(root, "jsonl").data == root / "jsonl"
True
>>> manifest = {"works": {"files": [{"url": "s3://openalex/data/jsonl/works/"
...     "updated_date=2026-06-24/part_0000.gz", "meta": {"record_count": 3}}]}}
>>> [(e.entity, e.relpath, e.record_count) for e in manifest_entries(manifest)]
[('works', 'updated_date=2026-06-24/part_0000.gz', 3)]
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biblio.errors import InputError, UsageError

__all__ = [
    "ENTITIES",
    "FORMATS",
    "ManifestEntry",
    "SnapshotLayout",
    "SnapshotPart",
    "find_layout",
    "manifest_entries",
    "plan_parts",
]

log = logging.getLogger(__name__)

#: The entity folders a dataset is built from.
ENTITIES = ("works", "institutions")
#: The format folders of the 2026 layout, in order of preference.
FORMATS = ("parquet", "jsonl")
COMBINED_MANIFEST = "manifest.json"
ENTITY_MANIFEST = "manifest"

_URL_KEYS = ("url", "path", "key", "uri", "file", "s3_url", "location", "href", "name")
_COUNT_KEYS = ("record_count", "records", "num_records", "row_count", "num_rows", "count", "rows")
_LENGTH_KEYS = ("content_length", "size", "size_bytes", "bytes", "file_size")


@dataclass(frozen=True)
class SnapshotPart:
    """One part file a manifest lists.

    >>> p = SnapshotPart("works", "updated_date=2023-05-16/part_000.gz", Path("w.gz"),
    ...                  Path("manifest"), 27, 6937)
    >>> p.name, p.fmt
    ('works-2023-05-16-part_000', 'jsonl')
    >>> SnapshotPart("works", "updated_date=2026-06-24/part_0000.parquet", Path("w.parquet"),
    ...              Path("manifest.json"), None, None).fmt
    'parquet'
    """

    entity: str
    relpath: str  # relative to the entity folder, e.g. "updated_date=2023-05-16/part_000.gz"
    path: Path
    manifest: Path  # the manifest that lists it
    record_count: int | None
    content_length: int | None

    @property
    def fmt(self) -> str:
        """``parquet`` for a ``.parquet`` file, else ``jsonl`` (gzipped or plain JSON Lines)."""
        return "parquet" if self.path.suffix == ".parquet" else "jsonl"

    @property
    def name(self) -> str:
        """The part name in the staging folder; sorts by partition date, then part file."""
        stem = re.sub(r"\.(gz|jsonl?|json|parquet)$", "", self.relpath.replace("updated_date=", ""))
        return f"{self.entity}-{re.sub(r'[^A-Za-z0-9_.]+', '-', stem)}"


@dataclass(frozen=True)
class ManifestEntry:
    """One entry of a manifest: the part file (relative to its entity folder) and its figures."""

    entity: str
    relpath: str
    record_count: int | None
    content_length: int | None


@dataclass(frozen=True)
class SnapshotLayout:
    """What :func:`find_layout` found under a snapshot folder."""

    kind: str  # "2026" or "legacy"
    fmt: str  # the format read: "parquet" or "jsonl"
    root: Path  # the folder given
    data: Path  # the folder holding the entity folders
    formats: tuple[str, ...]  # the format folders present (2026), ("jsonl",) (legacy)
    merged_ids: Path | None  # the folder holding merged_ids/<entity>/, if any

    def describe(self) -> str:
        """One line for the user: which layout and format, read from where."""
        name = {"parquet": "Parquet", "jsonl": "JSON Lines"}[self.fmt]
        others = [f"{f}/" for f in self.formats if f != self.fmt]
        also = f"; {', '.join(others)} not read" if others else ""
        merged = f"; merged ids from {self.merged_ids}" if self.merged_ids else "; no merged_ids/"
        return f"{self.kind} snapshot layout, {name} from {self.data}{also}{merged}"

    def manifest_path(self, entity: str) -> Path:
        """The manifest listing the parts of ``entity``: the combined ``manifest.json`` (2026)
        or the entity's own ``manifest`` (legacy, and 2026 folders that only have those)."""
        combined = self.data / COMBINED_MANIFEST
        if self.kind == "legacy" or (
            not combined.is_file() and (self.data / entity / ENTITY_MANIFEST).is_file()
        ):
            return self.data / entity / ENTITY_MANIFEST
        return combined

    def summary(self) -> dict[str, Any]:
        """The layout as written into the dataset manifest."""
        return {
            "layout": self.kind,
            "format": self.fmt,
            "formats_present": list(self.formats),
            "data": str(self.data.resolve()),
            "merged_ids": str(self.merged_ids.resolve()) if self.merged_ids else None,
        }


def _formats(folder: Path) -> tuple[str, ...]:
    return tuple(f for f in FORMATS if (folder / f).is_dir())


def find_layout(root: Path, fmt: str | None = None) -> SnapshotLayout:
    """Find the snapshot under ``root``: the 2026 layout (``jsonl/``, ``parquet/``, possibly
    under ``data/``) before the legacy one (``works/``, possibly under ``legacy-data/``).

    ``fmt`` chooses the format folder of a 2026 snapshot (default: Parquet when present).
    Raises :class:`~biblio.errors.InputError` when ``root`` holds neither layout and
    :class:`~biblio.errors.UsageError` when ``fmt`` names a format the snapshot lacks.
    """
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: use parquet or jsonl")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder; give the folder of the OpenAlex snapshot")
    data = next((d for d in (root, root / "data") if _formats(d)), None)
    legacy = next((d for d in (root, root / "legacy-data") if (d / "works").is_dir()), None)
    if data is not None:
        formats = _formats(data)
        if fmt is not None and fmt not in formats:
            raise UsageError(
                f"--format {fmt}: {data} has no {fmt}/ folder (it has "
                f"{', '.join(f + '/' for f in formats)}); leave --format out or download it"
            )
        chosen = fmt or formats[0]
        merged = [root, root / "legacy-data", data.parent / "legacy-data"]
        return SnapshotLayout("2026", chosen, root, data / chosen, formats, _merged(merged))
    if legacy is not None:
        if fmt == "parquet":
            raise UsageError(
                f"--format parquet: {legacy} is a legacy snapshot (JSON Lines only, no parquet/ "
                "folder); leave --format out"
            )
        return SnapshotLayout("legacy", "jsonl", root, legacy, ("jsonl",), _merged([legacy]))
    raise InputError(
        f"{root}: not an OpenAlex snapshot: no jsonl/ or parquet/ folder (2026 layout) and no "
        "works/ folder (legacy layout); give the folder synced from s3://openalex/data"
    )


def _merged(candidates: list[Path]) -> Path | None:
    return next((c for c in candidates if (c / "merged_ids").is_dir()), None)


# --- manifests --------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _split_url(url: str, default_entity: str | None) -> tuple[str, str] | None:
    """``(entity, path below the entity folder)`` of a part file's URL or path, if it names one.

    The entity is the folder above the first ``updated_date=`` partition (or, without one, the
    last folder named like an entity we read); a bare ``updated_date=…/part`` path belongs to
    ``default_entity`` (the entity of a per-entity manifest).
    """
    segments = [s for s in re.split(r"[/\\]", url.split("?", 1)[0]) if s and s != "."]
    if len(segments) < 2 or ".." in segments or segments[-1].startswith("updated_date="):
        return None
    at = next((i for i, s in enumerate(segments) if s.startswith("updated_date=")), None)
    if at is None:
        at = max((i + 1 for i, s in enumerate(segments[:-1]) if s in ENTITIES), default=None)
    if at is None:
        return None
    if at == 0:
        return (default_entity, "/".join(segments)) if default_entity else None
    return segments[at - 1], "/".join(segments[at:])


def _first_int(entry: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        if _int(entry.get(key)) is not None:
            return _int(entry.get(key))
    for value in entry.values():
        if isinstance(value, dict):
            found = next((_int(value.get(k)) for k in keys if _int(value.get(k)) is not None), None)
            if found is not None:
                return found
    return None


def manifest_entries(manifest: Any, default_entity: str | None = None) -> list[ManifestEntry]:
    """Every part file a manifest lists, whatever its shape (see the module docstring).

    Duplicates (the same file listed twice) are kept once, with the first count given.

    >>> manifest_entries({"entries": [{"url": "updated_date=2024-01-01/part_000.gz",
    ...     "meta": {"record_count": 2, "content_length": 99}}]}, "works")[0].content_length
    99
    >>> [entry] = manifest_entries(["parquet/institutions/updated_date=2026-01-02/part_0.parquet"])
    >>> entry.entity, entry.relpath, entry.record_count
    ('institutions', 'updated_date=2026-01-02/part_0.parquet', None)
    """
    found: dict[tuple[str, str], ManifestEntry] = {}

    def add(entity: str, rel: str, count: int | None, length: int | None) -> None:
        old = found.get((entity, rel))
        if old is None or (old.record_count is None and count is not None):
            found[(entity, rel)] = ManifestEntry(entity, rel, count, length)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in _URL_KEYS:
                value = node.get(key)
                split = _split_url(value, default_entity) if isinstance(value, str) else None
                if split is not None:
                    add(*split, _first_int(node, _COUNT_KEYS), _first_int(node, _LENGTH_KEYS))
                    return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                split = _split_url(item, default_entity) if isinstance(item, str) else None
                if split is not None:
                    add(*split, None, None)
                else:
                    walk(item)

    walk(manifest)
    return list(found.values())


def _read_manifest(path: Path, entity: str) -> list[ManifestEntry]:
    if not path.is_file():
        raise InputError(
            f"{path}: missing; download the {path.parent.name}/ folder of the snapshot together "
            "with its manifest"
        )
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: not an OpenAlex manifest ({' '.join(str(exc).split())}); download it again"
        ) from exc
    default = entity if path.name == ENTITY_MANIFEST else None
    entries = manifest_entries(data, default)
    if not entries and path.name == COMBINED_MANIFEST and _data_files(path.parent / entity):
        raise InputError(
            f"{path}: lists no part file this version of biblio can read (it looks for objects "
            "whose url or path names <entity>/updated_date=…/part_…); check the file, or report "
            "its shape"
        )
    return entries


def _data_files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(
        f.relative_to(folder).as_posix()
        for f in folder.rglob("*")
        if f.is_file() and f.name != ENTITY_MANIFEST
    )


def plan_parts(layout: SnapshotLayout, entity: str) -> tuple[list[SnapshotPart], dict[str, Any]]:
    """The parts of ``entity`` the manifest lists, and a summary for the dataset manifest.

    Raises :class:`~biblio.errors.InputError` naming the manifest when it is missing or not
    JSON, and naming the first listed part missing on disk. Files in the entity folder that the
    manifest does not list are logged as a warning that names them.

    >>> import tempfile
    >>> from fetchers.snapshot.write import write_entity
    >>> root = Path(tempfile.mkdtemp())
    >>> write_entity(root, "works", {"updated_date=2024-01-02/part_000.gz": [b'{"id": "W1"}']})
    >>> parts, summary = plan_parts(find_layout(root), "works")
    >>> [p.name for p in parts], summary["record_count"]
    (['works-2024-01-02-part_000'], 1)
    """
    manifest = layout.manifest_path(entity)
    folder = layout.data / entity
    entries = [e for e in _read_manifest(manifest, entity) if e.entity == entity]
    parts = [
        SnapshotPart(
            entity, e.relpath, folder / e.relpath, manifest, e.record_count, e.content_length
        )
        for e in entries
    ]
    missing = [p for p in parts if not p.path.is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more listed parts)" if len(missing) > 1 else ""
        raise InputError(
            f"{missing[0].path}: listed in {manifest} but missing{more}; download the "
            "missing parts (or the manifest that matches the files you have)"
        )
    listed = {p.relpath for p in parts}
    unlisted = [f for f in _data_files(folder) if f not in listed]
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
