"""Fuzzed OpenAlex records through the normaliser, from API pages and from snapshot lines.

Records that fit (nulls, missing fields, lists with null entries, huge lists, unusual Unicode,
ids with or without their URL) must become exactly the rows an independent reading of the record
gives (:func:`expected_rows`): never a silently wrong row. A record with one value changed to a
wrong type, or an id or date that cannot be read, must be refused with an error naming its id
and the field's path: never a crash.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from biblio.dataset.normalise import _RAW_WORK_FIELDS, normalise_works, read_works
from biblio.dataset.selection import WorkFilter
from biblio.errors import InputError, RecordError
from biblio.io import open_dataset
from fetchers.http import OpenAlexClient
from fetchers.query import Query
from fetchers.snapshot import ingest_snapshot, write_entity
from tests.fetchers.conftest import fetch_argv
from tests.openalex_server import OpenAlexServer
from tests.reliability.cases import Case, case, cases
from tests.reliability.conftest import Run

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

# -- records that fit ---------------------------------------------------------------------------

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
unusual = st.sampled_from(
    ["", "\u0000", "Zürich", "北京大学", "\u202eevil\u202c", "e\u0301", "👩‍🔬", "\ufeffBOM", "a\tb"]
)
some_text = st.one_of(text, unusual)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def openalex_ids(draw: st.DrawFn, letter: str) -> str:
    number = draw(st.integers(1, 10**10))
    return draw(st.sampled_from([f"https://openalex.org/{letter}{number}", f"{letter}{number}"]))


def _optional_dict(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(required, optional=optional)


reference = _optional_dict({}, {"id": _maybe(openalex_ids("I"))})
authorship = _optional_dict(
    {},
    {
        "author_position": _maybe(st.sampled_from(["first", "middle", "last"]) | some_text),
        "author": _maybe(_optional_dict({}, {"id": _maybe(openalex_ids("A"))})),
        "institutions": _maybe(st.lists(_maybe(reference), max_size=4)),
        "countries": _maybe(st.lists(_maybe(st.sampled_from(["CN", "US", "GB", "TW", "X"])))),
        "is_corresponding": _maybe(st.booleans()),
        "raw_author_name": some_text,  # a field biblio does not read
    },
)
dates = st.dates(date(1000, 1, 1), date(9999, 12, 31))
timestamps = st.one_of(
    st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31)).map(
        lambda d: d.isoformat(timespec="microseconds")
    ),
    dates.map(date.isoformat),
)
topic = _optional_dict(
    {},
    {
        "id": _maybe(openalex_ids("T")),
        "subfield": _maybe(_optional_dict({}, {"id": _maybe(st.sampled_from(["1702", "1707"]))})),
        "field": _maybe(_optional_dict({}, {"id": _maybe(st.sampled_from(["17", "22"]))})),
        "display_name": some_text,
    },
)
counts = st.lists(
    _maybe(
        _optional_dict(
            {},
            {
                "year": _maybe(st.integers(*INT32)),
                "cited_by_count": _maybe(st.integers(*INT64)),
            },
        )
    ),
    max_size=5,
)


@st.composite
def works(draw: st.DrawFn) -> dict[str, Any]:
    """An OpenAlex work record that fits: any field may be missing or null."""
    record = {"id": draw(openalex_ids("W"))}
    optional = {
        "doi": _maybe(some_text),
        "title": _maybe(some_text),
        "publication_year": _maybe(st.integers(*INT32)),
        "publication_date": _maybe(dates.map(date.isoformat)),
        "type": _maybe(st.sampled_from(["article", "preprint"]) | some_text),
        "cited_by_count": _maybe(st.integers(*INT64)),
        "counts_by_year": _maybe(counts),
        "primary_topic": _maybe(topic),
        "is_retracted": _maybe(st.booleans()),
        "is_paratext": _maybe(st.booleans()),
        "updated_date": _maybe(timestamps),
        "authorships": _maybe(st.lists(_maybe(authorship), max_size=6)),
        "abstract_inverted_index": _maybe(st.dictionaries(text, st.lists(st.integers()))),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            record[name] = draw(strategy)
    return record


def many_works(max_size: int = 6) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(works(), min_size=1, max_size=max_size, unique_by=lambda r: _short(r["id"]))


# -- what a record should give, read independently ---------------------------------------------


def _short(value: str | None) -> str | None:
    return None if value is None else value.rsplit("/", 1)[-1]


def _get(record: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    return (
        datetime.fromisoformat(value) if "T" in value else datetime.fromisoformat(value + "T00:00")
    )


def expected_rows(record: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The works row and authorship rows of one record that fits, by hand."""
    work_id = _short(record["id"])
    published = record.get("publication_date")
    counts_by_year = record.get("counts_by_year")
    work = {
        "work_id": work_id,
        "doi": record.get("doi"),
        "title": record.get("title"),
        "publication_year": record.get("publication_year"),
        "publication_date": date.fromisoformat(published) if published else None,
        "type": record.get("type"),
        "cited_by_count": record.get("cited_by_count"),
        "counts_by_year": None
        if counts_by_year is None
        else [
            None
            if c is None
            else {"year": c.get("year"), "cited_by_count": c.get("cited_by_count")}
            for c in counts_by_year
        ],
        "primary_topic_id": _short(_get(record, "primary_topic", "id")),
        "subfield_id": _short(_get(record, "primary_topic", "subfield", "id")),
        "field_id": _short(_get(record, "primary_topic", "field", "id")),
        "is_retracted": record.get("is_retracted"),
        "is_paratext": record.get("is_paratext"),
        "updated_date": _timestamp(record.get("updated_date")),
    }
    authorships = []
    for index, a in enumerate(record.get("authorships") or []):
        if a is None:
            continue
        institutions = a.get("institutions")
        countries = a.get("countries")
        authorships.append(
            {
                "work_id": work_id,
                "author_index": index,
                "author_position": a.get("author_position"),
                "author_id": _short(_get(a, "author", "id")),
                "is_corresponding": a.get("is_corresponding"),
                "institution_ids": None
                if institutions is None
                else [_short(i["id"]) for i in institutions if i and i.get("id") is not None],
                "countries": None if countries is None else [c for c in countries if c is not None],
            }
        )
    return work, authorships


def _rows(frame: pl.DataFrame, drop: tuple[str, ...] = ("selections",)) -> list[dict[str, Any]]:
    return frame.drop([c for c in drop if c in frame.columns]).to_dicts()


def assert_rows(
    records: list[dict[str, Any]], works_frame: pl.DataFrame, authorships: pl.DataFrame
) -> None:
    expected = [expected_rows(r) for r in records]
    order = {w["work_id"]: i for i, (w, _) in enumerate(expected)}
    got = sorted(_rows(works_frame), key=lambda w: order[w["work_id"]])
    assert got == [w for w, _ in expected]
    got_authorships = sorted(
        _rows(authorships), key=lambda a: (order[a["work_id"]], a["author_index"])
    )
    assert got_authorships == [a for _, rows in expected for a in rows]


# -- the two ways records arrive ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAlexServer]:
    with OpenAlexServer() as running:
        yield running


def from_api(server: OpenAlexServer, records: list[dict[str, Any]]) -> pl.DataFrame:
    """Serve ``records`` as one API page and read it as the fetcher does."""
    server.tables["works"] = type(server.tables["works"])(records)
    # Whole records, as the fetcher holds them once it has fetched cut ones again by id.
    server.authors_cut = None
    with OpenAlexClient(rate=100) as client:
        page = client.get(Query(server.url).per_page(200))
    assert page.size == len(records)
    return read_works(page.results, source="works 2024")


def from_snapshot(folder: Path, records: list[dict[str, Any]]) -> Path:
    """Write ``records`` as snapshot lines and ingest them; return the dataset folder."""
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    write_entity(folder / "snapshot", "works", {"updated_date=2024-01-01/part_000.gz": lines})
    write_entity(folder / "snapshot", "institutions", {})
    final = folder / "cache" / "ai"
    ingest_snapshot(folder / "snapshot", final, filters=WorkFilter(apply_selection=False))
    return final


GOOD = case(
    "records",
    "records that fit but are odd: any field missing or null, null where a list is expected, "
    "null entries in lists, ids without `https://openalex.org/`, unusual Unicode (NUL, RTL "
    "overrides, combining marks, emoji, BOM), extreme integers, fields biblio does not read",
    sees="",
    exit=0,
    note="each becomes exactly the rows a reading by hand gives",
)


@cases(GOOD)
@FUZZ
@given(records=many_works())
def test_records_that_fit_become_the_right_rows_from_api_pages(
    case: Case, server: OpenAlexServer, records: list[dict[str, Any]]
) -> None:
    works_frame, authorships = normalise_works(from_api(server, records))
    assert_rows(records, works_frame, authorships)
    case.check(0, "")


@cases(GOOD)
@settings(max_examples=15, deadline=None)
@given(records=many_works())
def test_records_that_fit_become_the_right_rows_from_snapshot_lines(
    case: Case, tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]
) -> None:
    final = from_snapshot(tmp_path_factory.mktemp("snap"), records)
    dataset = open_dataset(final)
    assert_rows(records, dataset.works.collect(), dataset.authorships.collect())
    case.check(0, "")


HUGE = case(
    "records",
    "a work with 5,000 authorships, each with 20 institutions",
    sees="",
    exit=0,
)


@cases(HUGE)
def test_a_huge_record_becomes_its_rows(case: Case, server: OpenAlexServer) -> None:
    record = {
        "id": "W1",
        "authorships": [
            {
                "author": {"id": f"A{i}"},
                "institutions": [{"id": f"I{j}"} for j in range(20)],
                "countries": ["CN"],
            }
            for i in range(5000)
        ],
    }
    works_frame, authorships = normalise_works(from_api(server, [record]))
    assert_rows([record], works_frame, authorships)
    case.check(0, "")


# -- records that do not fit ---------------------------------------------------------------------


def _wrong_values(dtype: pa.DataType) -> st.SearchStrategy[Any]:
    """JSON values of another type than ``dtype`` (or an integer out of its range)."""
    floats = st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither
    scalar = st.one_of(st.booleans(), st.integers(-5, 5), floats, text)
    compound = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(text, st.integers()))
    if pa.types.is_string(dtype):
        return st.one_of(st.booleans(), st.integers(), floats, compound)
    if pa.types.is_integer(dtype):
        low, high = INT32 if dtype == pa.int32() else INT64
        out_of_range = st.integers(high + 1, 2 * high) | st.integers(2 * low, low - 1)
        return st.one_of(st.booleans(), floats, text, compound, out_of_range)
    if pa.types.is_boolean(dtype):
        return st.one_of(st.integers(), floats, text, compound)
    if pa.types.is_list(dtype):
        return st.one_of(scalar, st.dictionaries(text, st.integers()))
    return st.one_of(scalar, st.lists(st.integers(), max_size=2))


def _places(value: Any, dtype: pa.DataType, path: str) -> Iterator[tuple[str, pa.DataType]]:
    """Every place in a record (``authorships[1].author.id``) and the type it must have."""
    yield path, dtype
    if isinstance(value, list) and pa.types.is_list(dtype):
        for i, item in enumerate(value):
            yield from _places(item, dtype.value_type, f"{path}[{i}]")
    elif isinstance(value, dict) and pa.types.is_struct(dtype):
        for child in dtype:
            yield from _places(value.get(child.name), child.type, f"{path}.{child.name}")


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    steps = [s for part in path.replace("]", "").split(".") for s in part.split("[")]
    target: Any = record
    for step in steps[:-1]:
        target = target[int(step)] if isinstance(target, list) else target[step]
    last = steps[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


@st.composite
def broken_works(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int, str]:
    """Good records, one of which has one value of a wrong type: (records, which, field)."""
    records = draw(many_works(4))
    which = draw(st.integers(0, len(records) - 1))
    record = copy.deepcopy(records[which])
    places = [
        p
        for name, dtype in _RAW_WORK_FIELDS.items()
        for p in _places(record.get(name), dtype, name)
    ]
    field, dtype = draw(st.sampled_from(places))
    _set(record, field, draw(_wrong_values(dtype)))
    records[which] = record
    return records, which, field


WRONG_TYPE_API = case(
    "records",
    "one value of a wrong JSON type anywhere in a record of an API page (a string for a year, an "
    "object for a title, a string for a list, a number for an id, a year out of range…)",
    sees="biblio: error: works 2024…: not OpenAlex JSON Lines: …record…: field '…' is …; fix or "
    "remove that record",
    exit=2,
    note="names the record's id and the field's path, e.g. `authorships[2].countries`",
)


@cases(WRONG_TYPE_API)
@FUZZ
@given(broken=broken_works())
@example(broken=([{"id": "W1", "publication_year": "2024"}], 0, "publication_year"))
@example(broken=([{"id": "W1"}, {"id": "W2", "authorships": [{"countries": "CN"}]}], 1, "x"))
def test_a_wrong_type_names_the_record_and_field_from_api_pages(
    case: Case, server: OpenAlexServer, broken: tuple[list[dict[str, Any]], int, str]
) -> None:
    records, which, field = broken
    with pytest.raises(RecordError) as caught:
        from_api(server, records)
    error = caught.value
    record_id = records[which]["id"]
    assert error.record_id == (record_id if isinstance(record_id, str) else None)
    if field != "x":
        assert error.field == field
    # The server pages in its own sort order, so the record's line on the page is not ``which``.
    line = r", line \d+" if len(records) > 1 else ""
    assert re.match(rf"works 2024{line}: not OpenAlex JSON Lines: ", str(error)), str(error)
    case.check(error.exit_code, f"biblio: error: {error}")


WRONG_TYPE_SNAPSHOT = case(
    "records",
    "the same in a line of a snapshot part",
    sees="biblio: error: …/part_000.gz, line …: not OpenAlex JSON Lines: …record…: field '…' is "
    "…; fix or remove that record",
    exit=2,
    note="names the file, the line, the record's id and the field",
)


@cases(WRONG_TYPE_SNAPSHOT)
@settings(max_examples=15, deadline=None)
@given(broken=broken_works())
def test_a_wrong_type_names_file_line_record_and_field_from_snapshot_lines(
    case: Case,
    tmp_path_factory: pytest.TempPathFactory,
    broken: tuple[list[dict[str, Any]], int, str],
) -> None:
    records, which, field = broken
    with pytest.raises(InputError) as caught:
        from_snapshot(tmp_path_factory.mktemp("snap"), records)
    message = str(caught.value)
    assert f"part_000.gz, line {which + 1}: " in message
    assert f"field {field!r}" in message
    record_id = records[which]["id"]
    if isinstance(record_id, str):
        assert f"record {record_id}: " in message
    case.check(caught.value.exit_code, f"biblio: error: {message}")


# Lines of the default selection's subfield, so that ingest's pre-filter hands them to the parser.
TOPIC = b'"primary_topic": {"subfield": {"id": "https://openalex.org/subfields/1702"}}'


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode()[:-1] + b", " + TOPIC + b"}"


NOT_UTF8 = b'{"id": "W9", "title": "caf\xff", ' + TOPIC + b"}"
BAD_LINES = {
    case(
        "records",
        'a record without an id (or `"id": null`)',
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: a record without an id: field "
        "'id' is missing; fix or remove that record",
        exit=2,
    ): _line({"title": "x"}),
    case(
        "records",
        'an id with nothing after its last `/` (`"https://openalex.org/"`)',
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: record https://openalex.org/: "
        "field 'id' is 'https://openalex.org/', which is not valid; fix or remove that record",
        exit=2,
    ): _line({"id": "https://openalex.org/"}),
    case(
        "records",
        "a line holding only `null` (it crashed pyarrow's JSON reader with a segfault)",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: the line is null, not a "
        "record (a JSON object); fix or remove that record",
        exit=2,
    ): b"null",
    case(
        "records",
        "a line that is a JSON list, not an object",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: the line is a list, not a "
        "record (a JSON object); fix or remove that record",
        exit=2,
    ): b'[{"id": "W9"}]',
    case(
        "records",
        "bytes that are not UTF-8 inside a title, in a page",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: the line is not UTF-8 text "
        "(invalid start byte); fix or remove that record",
        exit=2,
        note="pyarrow let them through and polars then panicked",
    ): NOT_UTF8,
    case(
        "records",
        "bytes that are not UTF-8 inside a title, in a snapshot part",
        sees="biblio: error: …/part_000.gz, line 2: not JSON ('utf-8' codec can't decode byte "
        "0xff in position 26: invalid start byte); the part is damaged, download it again",
        exit=2,
    ): NOT_UTF8,
    case(
        "records",
        "a lone surrogate escape (`\\udc00`) in a title",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: record W9: field 'title' holds a "
        "lone surrogate escape, which is not Unicode text; fix or remove that record",
        exit=2,
    ): b'{"id": "W9", "title": "a\\udc00b", ' + TOPIC + b"}",
    case(
        "records",
        "a `publication_date` that is not a date (`2024-13-45`)",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: record W9: field "
        "'publication_date' is '2024-13-45', which is not valid; fix or remove that record",
        exit=2,
    ): _line({"id": "W9", "publication_date": "2024-13-45"}),
    case(
        "records",
        "an `updated_date` that is not a time",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: record W9: field "
        "'updated_date' is 'yesterday', which is not valid; fix or remove that record",
        exit=2,
    ): _line({"id": "W9", "updated_date": "yesterday"}),
    case(
        "records",
        "a field given twice in one record",
        sees="biblio: error: …, line 2: not OpenAlex JSON Lines: record W9: field 'title' is "
        "given twice; fix or remove that record",
        exit=2,
    ): b'{"id": "W9", "title": "a", "title": "b", ' + TOPIC + b"}",
}


@cases(*BAD_LINES)
def test_a_bad_line_is_refused_naming_it(
    case: Case, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    good = _line({"id": "https://openalex.org/W1", "publication_year": 2020})
    if not case.what.endswith("in a snapshot part"):
        with pytest.raises(RecordError) as caught:
            read_works(good + b"\n" + BAD_LINES[case], source="works 2024")
        case.check(caught.value.exit_code, f"biblio: error: {caught.value}")
    if not case.what.endswith("in a page"):
        root = tmp_path / "snapshot"
        write_entity(
            root, "works", {"updated_date=2024-01-01/part_000.gz": [good, BAD_LINES[case]]}
        )
        write_entity(root, "institutions", {})
        run = cli("ingest", root, "--name", "ai", "--cache", tmp_path / "cache", "--no-progress")
        case.check(run.code, run.err)
        assert "part_000.gz, line 2: " in run.err
    assert not (tmp_path / "cache" / "ai").exists()


@pytest.mark.parametrize("before", [b"", b" ", b"\n", b"\n \t"])
def test_a_null_line_is_refused_wherever_the_data_is_cut(
    before: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `null` line where a piece starts crashed pyarrow; elsewhere it parses as nulls.

    With pieces of a few lines, the null line falls at the start of a piece, in its middle and
    at its end in turn; each time it is refused naming its line.
    """
    monkeypatch.setattr("biblio.dataset.normalise._BLOCK", 300)
    good = _line({"id": "https://openalex.org/W1", "publication_year": 2020})
    for position in range(8):
        lines = [good] * 8
        lines.insert(position, before + b"null")
        data = b"\n".join(lines)
        with pytest.raises(RecordError, match=r"line \d+: .* the line is null"):
            read_works(data, source="works")
        assert read_works(b"\n".join([good] * 8), source="works").height == 8


FETCHED = case(
    "records",
    "`biblio fetch` meets a record whose `cited_by_count` is a string",
    sees="biblio: error: works …, line …: not OpenAlex JSON Lines: record "
    "https://openalex.org/W2: field 'cited_by_count' is a string, expected an integer; fix or "
    "remove that record",
    exit=2,
    note="the dataset is not published",
)


@cases(FETCHED)
def test_fetch_refuses_a_bad_record(case: Case, tmp_path: Path, cli: Callable[..., Run]) -> None:
    topic = {"subfield": {"id": "https://openalex.org/subfields/1702"}}
    records = [
        {"id": "https://openalex.org/W1", "publication_year": 2020, "primary_topic": topic},
        {"id": "https://openalex.org/W2", "publication_year": 2020, "primary_topic": topic},
    ]
    records[1]["cited_by_count"] = "12"
    with OpenAlexServer(records) as server:
        run = cli(*fetch_argv(server.url, tmp_path, "--no-progress"))
    case.check(run.code, run.err)
    assert not (tmp_path / "ai").exists()


def test_a_gzip_part_with_every_bad_line_kind_is_refused_not_crashed(tmp_path: Path) -> None:
    # Each bad line alone in its part: the first line of a block is where pyarrow crashed.
    for number, line in enumerate(BAD_LINES.values()):
        root = tmp_path / f"s{number}"
        write_entity(root, "works", {"updated_date=2024-01-01/part_000.gz": [line]})
        write_entity(root, "institutions", {})
        with pytest.raises(InputError, match=r"line 1: not (OpenAlex JSON Lines|JSON)"):
            ingest_snapshot(root, tmp_path / f"c{number}" / "ai", filters=WorkFilter())
        assert gzip.decompress((root / "works/updated_date=2024-01-01/part_000.gz").read_bytes())
