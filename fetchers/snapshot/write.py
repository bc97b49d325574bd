"""Writing snapshot folders as OpenAlex does: for tests, benchmarks and subsets.

:func:`write_entity` writes the legacy layout (``<entity>/updated_date=…/part_000.gz`` and a
per-entity ``manifest``); :func:`write_snapshot` the 2026 layout, one folder per format with one
combined ``manifest.json``. Parquet parts are written with one schema per entity, inferred from
all its records at once (as an export would: ``pyarrow.json``'s inference, so dates become
timestamps), snappy-compressed. Free-keyed objects (``abstract_inverted_index``) are written as
JSON text, not as a struct with one field per word.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> work = {"id": "https://openalex.org/W1", "publication_date": "2024-05-27"}
>>> write_snapshot(root, {"works": {"updated_date=2024-06-01/part_0000": [work]}})
>>> for path in sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*")):
...     print(path)
jsonl/manifest.json
jsonl/works/updated_date=2024-06-01/part_0000.gz
parquet/manifest.json
parquet/works/updated_date=2024-06-01/part_0000.parquet
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
from isal import igzip

from biblio.schema import empty_table
from fetchers.snapshot.layout import COMBINED_MANIFEST, ENTITY_MANIFEST

__all__ = [
    "infer_parquet_schema",
    "write_combined_manifest",
    "write_entity",
    "write_manifest",
    "write_parquet_part",
    "write_snapshot",
]

#: Objects whose keys are data (words), written as JSON text in Parquet.
FREE_KEYED = ("abstract_inverted_index",)


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
    (folder / ENTITY_MANIFEST).write_text(json.dumps({"entries": entries, "meta": meta}, indent=1))


def _parquet_line(record: Mapping[str, Any]) -> bytes:
    out = {k: json.dumps(v) if k in FREE_KEYED and v is not None else v for k, v in record.items()}
    return json.dumps(out, ensure_ascii=False).encode()


def infer_parquet_schema(lines: Iterable[bytes]) -> pa.Schema:
    """The schema ``pyarrow.json`` infers from every line at once (one schema per entity)."""
    data = b"\n".join(lines) + b"\n"
    block = max(1 << 20, len(data) + 1)
    return pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=block)).schema


def write_parquet_part(path: Path, lines: Sequence[bytes] | bytes, schema: pa.Schema) -> int:
    """Write JSON lines as one snappy Parquet file with ``schema``; return the rows written.

    The lines are a sequence, or one newline-separated buffer.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    joined = b"\n".join(lines) + b"\n" if lines and not isinstance(lines, bytes) else b""
    data = lines if isinstance(lines, bytes) else joined
    if data:
        table = pj.read_json(
            pa.BufferReader(data),
            read_options=pj.ReadOptions(block_size=max(1 << 20, len(data) + 1)),
            parse_options=pj.ParseOptions(explicit_schema=schema),
        )
    else:
        table = empty_table(schema)
    pq.write_table(table, path, compression="snappy")
    return int(table.num_rows)


def write_combined_manifest(root: Path, fmt: str, counts: Mapping[str, Mapping[str, int]]) -> None:
    """Write ``root/<fmt>/manifest.json`` listing ``{entity: {part path: records}}``.

    Each entry is a ``url`` and a ``meta`` with ``content_length`` and ``record_count`` (our
    guess at the unpublished shape; the reader does not depend on it).
    """
    folder = root / fmt
    entries = [
        {
            "url": f"s3://openalex/data/{fmt}/{entity}/{rel}",
            "meta": {
                "content_length": (folder / entity / rel).stat().st_size,
                "record_count": count,
            },
        }
        for entity, parts in counts.items()
        for rel, count in parts.items()
    ]
    (folder / COMBINED_MANIFEST).write_text(json.dumps({"entries": entries}, indent=1))


def write_snapshot(
    root: Path,
    entities: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]],
    *,
    formats: Sequence[str] = ("jsonl", "parquet"),
) -> None:
    """Write records in the 2026 layout, with one manifest per format.

    The parts go to ``root/<format>/<entity>/<part>.gz|.parquet``, the manifest to
    ``root/<format>/manifest.json`` (entries with ``url`` and ``meta``).

    ``entities`` maps an entity to its parts: a path relative to the entity folder without
    suffix (``updated_date=2026-06-24/part_0000``) → records (dicts, as the API gives them).
    """
    counts: dict[str, dict[str, dict[str, int]]] = {f: {} for f in formats}
    for entity, parts in entities.items():
        if "jsonl" in formats:
            folder = root / "jsonl" / entity
            counts["jsonl"][entity] = {}
            for rel, records in parts.items():
                path = folder / f"{rel}.gz"
                path.parent.mkdir(parents=True, exist_ok=True)
                lines = [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records]
                path.write_bytes(igzip.compress(b"".join(lines), compresslevel=1))
                counts["jsonl"][entity][f"{rel}.gz"] = len(records)
        if "parquet" in formats:
            every = [_parquet_line(r) for records in parts.values() for r in records]
            schema = infer_parquet_schema(every) if every else pa.schema([("id", pa.string())])
            counts["parquet"][entity] = {}
            for rel, records in parts.items():
                path = root / "parquet" / entity / f"{rel}.parquet"
                rows = write_parquet_part(path, [_parquet_line(r) for r in records], schema)
                counts["parquet"][entity][f"{rel}.parquet"] = rows
    for fmt in formats:
        (root / fmt).mkdir(parents=True, exist_ok=True)
        write_combined_manifest(root, fmt, counts[fmt])
