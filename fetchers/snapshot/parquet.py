"""Reading a Parquet part: only the nested fields biblio needs, as Arrow, batch by batch.

OpenAlex's Parquet files have nested columns that mirror the API's JSON. A part is read
column-projected: of every leaf column of the file, only those on a path of the raw schema
(:func:`biblio.dataset.normalise.raw_works_schema`, the fields the JSON path parses) are decoded,
record batch by record batch, on Arrow's threads; nothing is turned into JSON or Python objects.
Each batch is then conformed to the raw schema (:func:`conform`), so that the one normaliser
gives the same rows as from JSON Lines:

- struct fields are taken by name; a field the file lacks is null (as a key missing from JSON);
- lists may be ``list``, ``large_list`` or ``list_view``; strings ``string``, ``large_string``,
  ``string_view`` or dictionary-encoded; integers of any width;
- dates and timestamps become the text JSON would hold (``publication_date`` as ``2024-05-27``,
  other timestamps as ``2025-05-27T05:08:34.606374``);
- anything else (a nested field stored as text, a number where text is expected) is an error
  naming the file and the column, suggesting ``--format jsonl``.

The record count comes from the file's footer and is checked against the rows read.

Examples
--------
>>> import pyarrow as pa
>>> target = pa.struct([("id", pa.string()), ("subfield", pa.struct([("id", pa.string())]))])
>>> got = pa.array([{"subfield": {"id": "x/1702", "name": "AI"}, "score": 1.0}])
>>> conform(got, target, "primary_topic").to_pylist()
[{'id': None, 'subfield': {'id': 'x/1702'}}]
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from biblio.dataset.normalise import raw_institutions_schema, raw_works_schema
from biblio.dataset.selection import WorkFilter
from biblio.errors import InputError
from fetchers.snapshot.layout import SnapshotPart

__all__ = ["BATCH_ROWS", "conform", "projected_columns", "read_part"]

#: Rows decoded at once: a batch of projected columns is a few tens of MB at most.
BATCH_ROWS = 65_536
#: Text fields that hold a date (rendered ``YYYY-MM-DD``); other timestamps keep their time.
_DATE_FIELDS = frozenset({"publication_date"})
_PARQUET_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OSError)


class _Mismatch(Exception):
    def __init__(self, where: str, found: pa.DataType, wanted: pa.DataType) -> None:
        super().__init__(f"column {where} is {found}, expected {wanted}")


def _is_list(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_list_view(t)
        or pa.types.is_large_list_view(t)
        or pa.types.is_fixed_size_list(t)
    )


def _leaves(t: pa.DataType, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The logical paths of the leaf columns of a type, depth first (Parquet's column order)."""
    if pa.types.is_struct(t):
        for field in t:
            yield from _leaves(field.type, (*prefix, field.name))
    elif _is_list(t):
        yield from _leaves(t.value_type, prefix)
    elif pa.types.is_map(t):
        yield from _leaves(t.key_type, (*prefix, "key"))
        yield from _leaves(t.item_type, (*prefix, "value"))
    else:
        yield prefix


def projected_columns(file: pq.ParquetFile, target: pa.Schema) -> list[str]:
    """The Parquet column paths to read for ``target``: every leaf of the file on a path of the
        target (``authorships.list.element.author.id`` for ``authorships[].author.id``).

        >>> import tempfile
    >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "w.parquet"
        >>> pq.write_table(pa.table({"id": ["W1"], "t": [{"a": 1, "b": "x"}], "z": [2]}), path)
        >>> projected_columns(pq.ParquetFile(path), pa.schema([("id", pa.string()),
        ...     ("t", pa.struct([("b", pa.string())]))]))
        ['id', 't.b']
    """
    wanted = [leaf for field in target for leaf in _leaves(field.type, (field.name,))]
    logical = [leaf for field in file.schema_arrow for leaf in _leaves(field.type, (field.name,))]
    physical = [file.schema.column(i).path for i in range(len(file.schema))]
    if len(logical) != len(physical):  # an unusual nesting: read the top-level fields whole
        names = set(file.schema_arrow.names)
        return [f.name for f in target if f.name in names]

    def on_target_path(leaf: tuple[str, ...]) -> bool:
        return any(w[: len(leaf)] == leaf or leaf[: len(w)] == w for w in wanted)

    return [p for leaf, p in zip(logical, physical, strict=True) if on_target_path(leaf)]


def conform(array: pa.Array, target: pa.DataType, where: str) -> pa.Array:
    """``array`` with exactly the type ``target`` (see the module docstring for what converts).

    >>> got = pa.array([[1, 2], None], pa.large_list(pa.int64()))
    >>> conform(got, pa.list_(pa.int32()), "x").type, conform(got, pa.list_(pa.int32()), "x")[1]
    (ListType(list<item: int32>), <pyarrow.ListScalar: None>)
    """
    found = array.type
    if found == target:
        return array
    if pa.types.is_null(found):
        return pa.nulls(len(array), target)
    if pa.types.is_dictionary(found):
        return conform(array.dictionary_decode(), target, where)
    if pa.types.is_struct(target):
        if not pa.types.is_struct(found):
            raise _Mismatch(where, found, target)
        children = [
            conform(array.field(f.name), f.type, f"{where}.{f.name}")
            if found.get_field_index(f.name) >= 0
            else pa.nulls(len(array), f.type)
            for f in target
        ]
        mask = array.is_null() if array.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)
    if pa.types.is_list(target) or pa.types.is_large_list(target):
        if not _is_list(found):
            raise _Mismatch(where, found, target)
        if not (pa.types.is_list(found) or pa.types.is_large_list(found)):
            array = array.cast(pa.large_list(found.value_type))
        values = conform(array.values, target.value_type, f"{where}[]")
        offsets = array.offsets
        builder = pa.ListArray if pa.types.is_list(target) else pa.LargeListArray
        if pa.types.is_list(target) != pa.types.is_list(array.type):
            offsets = offsets.cast(pa.int32() if pa.types.is_list(target) else pa.int64())
        mask = array.is_null() if array.null_count else None
        return builder.from_arrays(offsets, values, type=target, mask=mask)
    if pa.types.is_string(target) and (pa.types.is_date(found) or pa.types.is_timestamp(found)):
        text = "%Y-%m-%d" if where in _DATE_FIELDS or pa.types.is_date(found) else None
        return pc.strftime(array, format=text or "%Y-%m-%dT%H:%M:%S")
    text_like = pa.types.is_string(found) or pa.types.is_large_string(found)
    text_like = text_like or pa.types.is_string_view(found)
    if pa.types.is_string(target) and not text_like:
        raise _Mismatch(where, found, target)
    if (pa.types.is_integer(target) or pa.types.is_boolean(target)) and text_like:
        raise _Mismatch(where, found, target)
    try:
        return array.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _Mismatch(where, found, target) from exc


def _open(part: SnapshotPart) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(part.path)
    except _PARQUET_ERRORS as exc:
        raise InputError(
            f"{part.path}: not a readable Parquet file ({' '.join(str(exc).split())}); the part "
            "is damaged, download it again"
        ) from exc


def read_part(
    part: SnapshotPart, filters: WorkFilter, batch_rows: int = BATCH_ROWS
) -> Iterator[tuple[pl.DataFrame, int, int]]:
    """Yield ``(raw, records, bytes)`` for each record batch of a Parquet part.

    ``raw`` has the columns and types :func:`biblio.dataset.normalise.read_works` (or
    ``read_institutions``) gives for the same records; ``bytes`` is the batch's share of the
    file's size (for progress). A record count that differs from the manifest's is an error
    raised before anything is decoded.
    """
    works = part.entity == "works"
    target = raw_works_schema(filters.selections) if works else raw_institutions_schema()
    file = _open(part)
    rows = file.metadata.num_rows
    if part.record_count is not None and rows != part.record_count:
        raise InputError(
            f"{part.path}: {rows} records, but {part.manifest} lists {part.record_count}; "
            "download the part again"
        )
    if "id" not in file.schema_arrow.names:
        raise InputError(
            f"{part.path}: no id column, so not a Parquet part of OpenAlex {part.entity}; "
            "download it again, or read the snapshot with --format jsonl"
        )
    columns = projected_columns(file, target)
    size = part.path.stat().st_size
    seen = 0
    try:
        for batch in file.iter_batches(batch_size=batch_rows, columns=columns, use_threads=True):
            arrays = [
                conform(batch.column(f.name), f.type, f.name)
                if f.name in batch.schema.names
                else pa.nulls(batch.num_rows, f.type)
                for f in target
            ]
            table = pa.Table.from_arrays(arrays, schema=target)
            frame = pl.from_arrow(table, rechunk=False)
            assert isinstance(frame, pl.DataFrame)
            seen += batch.num_rows
            yield frame, batch.num_rows, size * batch.num_rows // max(rows, 1)
    except _Mismatch as exc:
        raise InputError(
            f"{part.path}: {exc}; this version of biblio cannot read that Parquet schema, read "
            "the snapshot with --format jsonl"
        ) from None
    except _PARQUET_ERRORS as exc:
        raise InputError(
            f"{part.path}: not a readable Parquet file ({' '.join(str(exc).split())}); the part "
            "is damaged, download it again"
        ) from exc
    if seen != rows:
        raise InputError(
            f"{part.path}: {seen} records read, but its footer says {rows}; download it again"
        )
