"""OpenAlex JSON → the Arrow tables of :mod:`biblio.schema`, for the API and snapshots alike.

Records arrive as JSON Lines (one OpenAlex record a line: a snapshot part, or the ``results`` of
an API page joined by newlines). ``pyarrow.json`` parses only the fields the schema needs, typed,
in C++ and on every core; polars expressions then flatten and tidy them. No Python code runs per
record, so one path serves both the fetcher and ``biblio ingest`` and gives the same rows.

A record either becomes rows or the whole block is refused with a
:class:`~biblio.errors.RecordError` naming the first record that does not fit (line, id, field;
found by :mod:`biblio.dataset.records`): a value of the wrong JSON type, a work or institution
without an id, a ``publication_date`` or ``updated_date`` that is not a date, a line that is not
a JSON object. What the normaliser does by design: ``null`` where a list is expected is no
entries (authorships) or null (other lists); null entries of a list are dropped (authorships,
countries, institution ids); ids lose everything up to their last ``/``, so ``W1`` and
``https://openalex.org/W1`` give the same row; fields biblio does not need are not read.

Examples
--------
>>> line = (b'{"id": "https://openalex.org/W1", "publication_year": 2024, "authorships": '
...         b'[{"author": {"id": "https://openalex.org/A9"}, "countries": ["CN", "GB"], '
...         b'"institutions": [{"id": "https://openalex.org/I3"}]}]}')
>>> works, authorships = normalise_works(read_works(line))
>>> works["work_id"].to_list(), authorships["author_id"].to_list()
(['W1'], ['A9'])
>>> authorships["countries"].to_list()
[['CN', 'GB']]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pyarrow as pa
import pyarrow.json as pj

from biblio.dataset.records import Misfit, find_misfit
from biblio.dataset.selection import Selection, short_id_expr
from biblio.errors import InputError, RecordError
from biblio.io import empty_frame, polars_types
from biblio.schema import AUTHORSHIPS, INSTITUTIONS, WORKS

__all__ = [
    "SELECT_FIELDS",
    "normalise_institutions",
    "normalise_works",
    "raw_institutions_schema",
    "raw_works_schema",
    "read_institutions",
    "read_works",
    "short_id",
]

_s = pa.string()
_ref = pa.struct([("id", _s)])
_authorship = pa.struct(
    [
        ("author_position", _s),
        ("author", _ref),
        ("institutions", pa.list_(_ref)),
        ("countries", pa.list_(_s)),
        ("is_corresponding", pa.bool_()),
    ]
)

#: The raw fields of a work record that the schema needs (the API's ``select``).
SELECT_FIELDS = (
    "id",
    "doi",
    "title",
    "publication_year",
    "publication_date",
    "type",
    "cited_by_count",
    "counts_by_year",
    "primary_topic",
    "is_retracted",
    "is_paratext",
    "updated_date",
    "authorships",
)

_RAW_WORK_FIELDS: dict[str, pa.DataType] = {
    "id": _s,
    "doi": _s,
    "title": _s,
    "publication_year": pa.int32(),
    "publication_date": _s,
    "type": _s,
    "cited_by_count": pa.int64(),
    "counts_by_year": pa.list_(pa.struct([("year", pa.int32()), ("cited_by_count", pa.int64())])),
    "primary_topic": pa.struct([("id", _s), ("subfield", _ref), ("field", _ref)]),
    "is_retracted": pa.bool_(),
    "is_paratext": pa.bool_(),
    "updated_date": _s,
    "authorships": pa.list_(_authorship),
}
# Only read when a selection needs them (they are long lists in full records).
_RAW_SELECTION_FIELDS: dict[str, pa.DataType] = {
    "topics": pa.list_(pa.struct([("subfield", _ref)])),
    "concepts": pa.list_(_ref),
}
_RAW_INSTITUTION = pa.schema(
    [
        ("id", _s),
        ("ror", _s),
        ("display_name", _s),
        ("country_code", _s),
        ("type", _s),
        ("lineage", pa.list_(_s)),
    ]
)
_BLOCK = 1 << 24  # 16 MiB pieces: small enough to use both cores


def short_id(url: str | None) -> str | None:
    """The last path segment of an OpenAlex id URL.

    >>> short_id("https://openalex.org/W2741809807"), short_id("https://openalex.org/subfields/1702")
    ('W2741809807', '1702')
    >>> short_id("I27837315") is None
    False
    """
    return None if url is None else url.rsplit("/", 1)[-1]


def _timestamp(expr: pl.Expr) -> pl.Expr:
    # OpenAlex writes "2025-05-27T05:08:34.606374" in records and "2023-05-16" in some dumps.
    return pl.coalesce(
        expr.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False),
        expr.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    )


def _no_id(name: str) -> pl.Expr:
    return pl.col(name).is_null() | (short_id_expr(pl.col(name)) == "")


def _not_a(parsed: pl.Expr, name: str) -> pl.Expr:
    return pl.col(name).is_not_null() & parsed.is_null()


# What must hold beyond the JSON types: field -> predicate, true where the value is wrong.
_WORK_RULES = {
    "id": _no_id("id"),
    "publication_date": _not_a(
        pl.col("publication_date").str.to_date("%Y-%m-%d", strict=False), "publication_date"
    ),
    "updated_date": _not_a(_timestamp(pl.col("updated_date")), "updated_date"),
}
_INSTITUTION_RULES = {"id": _no_id("id")}
# A line holding only `null` where pyarrow starts a block crashes its JSON reader (a segfault,
# pyarrow 15-26). In the middle of a block it is read as a record of nulls, which the `id` rule
# refuses. So the data is cut into pieces after line ends, each parsed as one block, and only the
# first line of each piece is checked (a regular expression over every line cost 9 % of an
# ingest).
_NULL_FIRST = re.compile(rb"[ \t\r\n]*null\b")
_LINE_END = re.compile(rb"\n")


def pieces(data: bytes | memoryview, size: int) -> list[memoryview]:
    r"""``data`` cut after the first line end past every ``size`` bytes (not copied).

    >>> [bytes(p) for p in pieces(b"ab\ncd\nef\n", 4)]
    [b'ab\ncd\n', b'ef\n']
    >>> [bytes(p) for p in pieces(b"abcdefgh\nij", 4)]
    [b'abcdefgh\n', b'ij']
    """
    view, cuts = memoryview(data), [0]
    while cuts[-1] + size < len(view) and (line_end := _LINE_END.search(view, cuts[-1] + size)):
        cuts.append(line_end.end())
    if cuts[-1] < len(view):
        cuts.append(len(view))
    return [view[start:end] for start, end in itertools.pairwise(cuts)]


def _parse(piece: memoryview, schema: pa.Schema) -> pa.Table:
    # Arrow's own threads parse (use_threads): parsed on the fetcher's 8 threads, each kept an
    # allocator cache of its own (+80 MiB peak RSS while paging 20,000 works).
    return pj.read_json(
        pa.BufferReader(piece),  # zero-copy: BytesIO costs ~10% of the parse
        read_options=pj.ReadOptions(block_size=len(piece) + 1),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


def _refuse(data: bytes, schema: pa.Schema, rules: Mapping[str, pl.Expr], source: str) -> None:
    """Raise the :class:`RecordError` of the first record of ``data`` that does not fit."""
    misfit: Misfit | None = find_misfit(data, schema, rules)
    if misfit is None:
        return
    where = f"{source}, line {misfit.line}" if bytes(data).strip().count(b"\n") else source
    if misfit.field == "record":
        what = f"the line {misfit.problem}"
    else:
        who = f"record {misfit.record_id}" if misfit.record_id else "a record without an id"
        what = f"{who}: field {misfit.field!r} {misfit.problem}"
    raise RecordError(
        f"{where}: not OpenAlex JSON Lines: {what}; fix or remove that record",
        record_id=misfit.record_id,
        field=misfit.field,
    )


def _read(
    data: bytes, schema: pa.Schema, source: str, rules: Mapping[str, pl.Expr]
) -> pl.DataFrame:
    if not data:
        return empty_frame(schema)
    parts = pieces(data, _BLOCK)
    if any(_NULL_FIRST.match(piece) for piece in parts):
        _refuse(data, schema, rules, source)
    try:
        if len(parts) == 1:
            table = _parse(parts[0], schema)
        else:
            with ThreadPoolExecutor(len(parts)) as pool:
                table = pa.concat_tables(pool.map(_parse, parts, itertools.repeat(schema)))
        table.validate(full=True)  # the reader lets invalid UTF-8 through; polars panics on it
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        _refuse(data, schema, rules, source)
        raise InputError(f"{source}: not OpenAlex JSON Lines ({exc}); check the file") from exc
    frame = pl.from_arrow(table, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    if frame.select(pl.any_horizontal(*rules.values()).any()).item():
        _refuse(data, schema, rules, source)
        raise InputError(f"{source}: a record does not fit; check the file")
    return frame


def raw_works_schema(selections: Sequence[Selection] = ()) -> pa.Schema:
    """The raw fields of a work record biblio reads, with those the selections' predicates read.

    It is also what the snapshot's Parquet reader projects.

    >>> raw_works_schema().names[:3]
    ['id', 'doi', 'title']
    """
    fields = dict(_RAW_WORK_FIELDS)
    for name in (f for s in selections for f in s.raw_fields):
        fields[name] = _RAW_SELECTION_FIELDS[name]
    return pa.schema(list(fields.items()))


def raw_institutions_schema() -> pa.Schema:
    """The raw fields of an institution record biblio reads."""
    return _RAW_INSTITUTION


def read_works(
    data: bytes, *, selections: Sequence[Selection] = (), source: str = "works"
) -> pl.DataFrame:
    """Parse JSON Lines of work records into a raw frame with the fields biblio needs.

    ``selections`` add the raw fields their predicates read; ``source`` names the input in errors.
    """
    return _read(data, raw_works_schema(selections), source, _WORK_RULES)


def read_institutions(data: bytes, *, source: str = "institutions") -> pl.DataFrame:
    """Parse JSON Lines of institution records into a raw frame."""
    return _read(data, _RAW_INSTITUTION, source, _INSTITUTION_RULES)


def normalise_works(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn raw work records into the ``works`` and ``authorships`` tables of the schema.

    Ids lose their ``https://openalex.org/`` prefix; ``author_index`` is the authorship's
    0-based position in the record; lists are kept as OpenAlex gives them. ``selections`` is
    taken from the raw frame when the dataset builder tagged it
    (:meth:`~biblio.dataset.selection.WorkFilter.tags`), else null.
    """
    topic = pl.col("primary_topic")
    tags = pl.col("selections") if "selections" in raw.columns else pl.lit(None)
    works = raw.select(
        short_id_expr(pl.col("id")).alias("work_id"),
        "doi",
        "title",
        "publication_year",
        pl.col("publication_date").str.to_date("%Y-%m-%d", strict=False),
        "type",
        "cited_by_count",
        "counts_by_year",
        short_id_expr(topic.struct.field("id")).alias("primary_topic_id"),
        short_id_expr(topic.struct.field("subfield").struct.field("id")).alias("subfield_id"),
        short_id_expr(topic.struct.field("field").struct.field("id")).alias("field_id"),
        "is_retracted",
        "is_paratext",
        _timestamp(pl.col("updated_date")).alias("updated_date"),
        tags.cast(pl.List(pl.String)).alias("selections"),
    )
    if works.select((pl.col("work_id").is_null() | (pl.col("work_id") == "")).any()).item():
        # read_works refuses these with their line; raw frames from elsewhere (Parquet) get here
        raise RecordError(
            "a work record without an id (null or nothing after the last '/'); fix or remove it",
            record_id=None,
            field="id",
        )
    authorships = (
        raw.select(
            short_id_expr(pl.col("id")).alias("work_id"),
            pl.col("authorships").fill_null([]),
        )
        .with_columns(pl.int_ranges(pl.col("authorships").list.len()).alias("author_index"))
        .explode("authorships", "author_index")
        .drop_nulls("authorships")
        .unnest("authorships")
        .select(
            "work_id",
            "author_index",
            "author_position",
            short_id_expr(pl.col("author").struct.field("id")).alias("author_id"),
            "is_corresponding",
            pl.col("institutions")
            .list.eval(short_id_expr(pl.element().struct.field("id")))
            .list.drop_nulls()
            .alias("institution_ids"),
            pl.col("countries").list.drop_nulls(),
        )
    )
    return _conform(works, WORKS), _conform(authorships, AUTHORSHIPS)


def normalise_institutions(raw: pl.DataFrame) -> pl.DataFrame:
    """Turn raw institution records into the ``institutions`` table of the schema."""
    frame = raw.select(
        short_id_expr(pl.col("id")).alias("institution_id"),
        "ror",
        "display_name",
        "country_code",
        "type",
        pl.col("lineage").list.eval(short_id_expr(pl.element())),
    ).filter(pl.col("institution_id").is_not_null())
    return _conform(frame, INSTITUTIONS)


def _conform(frame: pl.DataFrame, schema: pa.Schema) -> pl.DataFrame:
    # Every column in exactly the polars type of the schema's (e.g. int32 indices); casting in
    # polars, not through Arrow, saves converting every buffer twice.
    return frame.cast(polars_types(schema))
