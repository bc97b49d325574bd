"""``biblio ingest`` of the 2026 snapshot layout: Parquet and JSON Lines format folders, one
combined ``manifest.json`` each, ``legacy-data/merged_ids``; and merged ids in either layout.

Snapshots are built from the test corpora with :func:`fetchers.snapshot.write_snapshot` (a
Parquet schema inferred once per entity, as an export would); nothing needs the network.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from isal import igzip

from biblio.cli import main
from biblio.dataset.normalise import short_id
from biblio.dataset.selection import Selection, WorkFilter
from biblio.errors import InputError, UsageError
from fetchers.snapshot import find_layout, ingest_snapshot, write_entity, write_snapshot
from fetchers.snapshot.layout import manifest_entries
from tests.fetchers.conftest import (
    assert_same_dataset,
    fetch_argv,
    reference_dataset,
)
from tests.openalex_server import OpenAlexServer
from tests.paths import OPENALEX_CURRENT

Records = list[dict[str, Any]]
FILTERS = WorkFilter(years=(2015, 2024))
THREE = tuple(
    Selection.parse(s) for s in ("subfield:1702", "topic-subfield:1702", "concept:C154945302")
)


def _parts(records: Records, n: int, date: str = "2024-0{k}-01") -> dict[str, Records]:
    """``records`` over ``n`` parts in partitions named by ``date`` (``{k}`` = 1 + part)."""
    return {
        f"updated_date={date.format(k=1 + k % 3)}/part_{k:04d}": records[k::n] for k in range(n)
    }


@pytest.fixture
def snapshot26(tmp_path: Path, c400: tuple[Records, Records]) -> Path:
    works, institutions = c400
    root = tmp_path / "snapshot"
    write_snapshot(root, {"works": _parts(works, 5), "institutions": _parts(institutions, 2)})
    return root


def _ingest(root: Path, final: Path, filters: WorkFilter = FILTERS, **kw: Any) -> dict[str, Any]:
    return ingest_snapshot(root, final, filters=filters, workers=2, **kw)


# --- the same dataset through every path ------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [FILTERS, WorkFilter(selections=THREE, years=(2015, 2024)), WorkFilter(selections=THREE[2:])],
    ids=["default", "three-selections", "concept"],
)
def test_parquet_and_jsonl_give_the_reference_dataset(
    tmp_path: Path,
    snapshot26: Path,
    c400: tuple[Records, Records],
    filters: WorkFilter,
) -> None:
    by_parquet = _ingest(snapshot26, tmp_path / "cache" / "pq", filters)
    by_jsonl = _ingest(snapshot26, tmp_path / "cache" / "js", filters, fmt="jsonl")
    want = reference_dataset(tmp_path / "ref" / "ai", *c400, filters)
    assert_same_dataset(tmp_path / "cache" / "pq", want)
    assert_same_dataset(tmp_path / "cache" / "js", want)
    assert (by_parquet["snapshot"]["format"], by_jsonl["snapshot"]["format"]) == (
        "parquet",
        "jsonl",
    )
    assert by_parquet["snapshot"]["layout"] == "2026"
    assert by_parquet["snapshot"]["works"]["records"] == 400
    assert by_parquet["sha256"] == by_jsonl["sha256"]


def test_same_records_same_dataset_through_parquet_jsonl_and_the_api(
    tmp_path: Path,
    snapshot26: Path,
    server: OpenAlexServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    assert main(fetch_argv(server.url, cache, "--no-progress")) == 0
    for fmt in ("parquet", "jsonl"):
        argv = ["ingest", str(snapshot26), "--name", fmt, "--cache", str(cache)]
        argv += ["--years", "2015-2024", "--format", fmt, "--no-progress"]
        assert main(argv) == 0
        assert_same_dataset(cache / "ai", cache / fmt)
    out = capsys.readouterr().out
    assert "2026 snapshot layout, Parquet from" in out
    assert "JSON Lines from" in out


def test_real_current_records_give_the_same_dataset_from_parquet_and_jsonl(
    tmp_path: Path,
) -> None:
    works = load_jsonl_gz(OPENALEX_CURRENT / "works.jsonl.gz")
    institutions = load_jsonl_gz(OPENALEX_CURRENT / "institutions.jsonl.gz")
    root = tmp_path / "snapshot"
    write_snapshot(root, {"works": _parts(works, 3), "institutions": _parts(institutions, 1)})
    filters = WorkFilter(selections=THREE)
    _ingest(root, tmp_path / "cache" / "pq", filters)
    _ingest(root, tmp_path / "cache" / "js", filters, fmt="jsonl")
    assert_same_dataset(tmp_path / "cache" / "pq", tmp_path / "cache" / "js")
    assert_same_dataset(
        tmp_path / "cache" / "pq",
        reference_dataset(tmp_path / "ref" / "ai", works, institutions, filters),
    )
    # tests/data holds a subset of the real records: 54 of its works meet one of the selections.
    assert pl.read_ipc(tmp_path / "cache" / "pq" / "works.arrow").height > 40


def load_jsonl_gz(path: Path) -> Records:
    return [json.loads(line) for line in igzip.decompress(path.read_bytes()).splitlines() if line]


def test_other_parquet_types_give_the_same_dataset(tmp_path: Path, snapshot26: Path) -> None:
    _ingest(snapshot26, tmp_path / "cache" / "plain")
    # The same files with large lists and strings, dictionary-encoded ids and typed dates.
    typed = {"publication_date": pa.date32(), "updated_date": pa.timestamp("us")}
    for path in (snapshot26 / "parquet").rglob("*.parquet"):
        table = pq.read_table(path)
        fields = [pa.field(f.name, typed.get(f.name) or _widen(f.type)) for f in table.schema]
        table = table.cast(pa.schema(fields))
        table = table.set_column(0, "id", table["id"].dictionary_encode())
        pq.write_table(table, path)
    assert pq.read_schema(path).field("updated_date").type == pa.timestamp("us")
    (snapshot26 / "jsonl").rename(tmp_path / "jsonl-elsewhere")
    _ingest(snapshot26, tmp_path / "cache" / "wide", refresh=True)
    assert_same_dataset(tmp_path / "cache" / "plain", tmp_path / "cache" / "wide")


def _widen(t: pa.DataType) -> pa.DataType:
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _widen(f.type)) for f in t])
    if pa.types.is_list(t):
        return pa.large_list(_widen(t.value_type))
    if pa.types.is_string(t):
        return pa.large_string()
    if pa.types.is_integer(t):
        return pa.int64()
    return t


def test_a_nested_field_stored_as_text_names_file_and_column(
    tmp_path: Path, snapshot26: Path
) -> None:
    path = next((snapshot26 / "parquet" / "works").rglob("*.parquet"))
    table = pq.read_table(path)
    text = pa.array([json.dumps(v) for v in table["authorships"].to_pylist()])
    pq.write_table(
        table.set_column(table.schema.get_field_index("authorships"), "authorships", text), path
    )
    with pytest.raises(
        InputError, match=rf"{path.name}: column authorships is string.*--format jsonl"
    ):
        _ingest(snapshot26, tmp_path / "cache" / "ai", refresh=True)


# --- layouts and manifests --------------------------------------------------------------------


def test_layouts_are_found_and_the_format_chosen(tmp_path: Path, snapshot26: Path) -> None:
    assert find_layout(snapshot26).fmt == "parquet"
    assert find_layout(snapshot26, "jsonl").data == snapshot26 / "jsonl"
    bucket = tmp_path / "bucket"
    (bucket / "data").mkdir(parents=True)
    (snapshot26 / "jsonl").rename(bucket / "data" / "jsonl")
    (bucket / "legacy-data" / "merged_ids" / "works").mkdir(parents=True)
    found = find_layout(bucket)
    assert (found.kind, found.fmt, found.merged_ids) == ("2026", "jsonl", bucket / "legacy-data")
    with pytest.raises(UsageError, match=r"--format parquet: .* has no parquet/ folder"):
        find_layout(bucket, "parquet")
    legacy = tmp_path / "legacy"
    write_entity(legacy, "works", {})
    assert find_layout(legacy).kind == "legacy"
    with pytest.raises(UsageError, match="legacy snapshot"):
        find_layout(legacy, "parquet")
    with pytest.raises(InputError, match="not an OpenAlex snapshot"):
        find_layout(tmp_path / "bucket" / "legacy-data" / "merged_ids" / "works")


@pytest.mark.parametrize("shape", ["by-entity", "flat-list", "other-keys"])
def test_combined_manifests_of_other_shapes_give_the_same_dataset(
    tmp_path: Path, snapshot26: Path, shape: str
) -> None:
    _ingest(snapshot26, tmp_path / "cache" / "as-written")
    path = snapshot26 / "parquet" / "manifest.json"
    entries = json.loads(path.read_text())["entries"]
    if shape == "by-entity":  # grouped per entity, with a summary and unknown keys
        new: Any = {"version": 3, "entities": {}}
        for e in entries:
            entity = e["url"].split("/parquet/")[1].split("/")[0]
            group = new["entities"].setdefault(entity, {"files": [], "total": {"records": 0}})
            group["files"].append({**e, "md5": "0" * 32})
    elif shape == "flat-list":  # paths only, no counts
        new = [e["url"].split("/data/")[1] for e in entries]
    else:  # other key names
        new = {
            "files": [
                {"path": e["url"], "num_rows": e["meta"]["record_count"], "size": 1}
                for e in entries
            ]
        }
    path.write_text(json.dumps(new))
    manifest = _ingest(snapshot26, tmp_path / "cache" / shape)
    assert_same_dataset(tmp_path / "cache" / "as-written", tmp_path / "cache" / shape)
    counted = manifest["snapshot"]["works"]["record_count"]
    assert counted == (None if shape == "flat-list" else 400)


def test_manifest_entries_ignore_what_is_not_a_part_of_ours() -> None:
    manifest = {
        "entries": [
            {"url": "s3://openalex/data/jsonl/authors/updated_date=2026-01-01/part_0000.gz"},
            {"url": "s3://openalex/data/jsonl/works/updated_date=2026-01-01/"},
            {"url": "s3://openalex/data/jsonl/works/updated_date=2026-01-01/part_0000.gz",
             "meta": {"record_count": 5, "note": "x"}},
        ],
        "meta": {"record_count": 99},
    }  # fmt: skip
    found = [(e.entity, e.relpath, e.record_count) for e in manifest_entries(manifest)]
    assert found == [
        ("authors", "updated_date=2026-01-01/part_0000.gz", None),
        ("works", "updated_date=2026-01-01/part_0000.gz", 5),
    ]


def test_listed_part_missing_is_an_error_naming_it(tmp_path: Path, snapshot26: Path) -> None:
    gone = next((snapshot26 / "parquet" / "works").rglob("*.parquet"))
    gone.unlink()
    with pytest.raises(InputError, match=rf"{gone}: listed in .*manifest.json but missing"):
        _ingest(snapshot26, tmp_path / "cache" / "ai")


def test_record_count_mismatch_is_an_error_naming_the_part(
    tmp_path: Path, snapshot26: Path
) -> None:
    path = snapshot26 / "parquet" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["entries"][1]["meta"]["record_count"] += 1
    path.write_text(json.dumps(manifest))
    part = manifest["entries"][1]["url"].split("/parquet/")[1]
    with pytest.raises(InputError, match=rf"{part}: \d+ records, but .*manifest.json lists"):
        _ingest(snapshot26, tmp_path / "cache" / "ai")


def test_unlisted_files_are_skipped_with_a_warning_naming_them(
    tmp_path: Path, snapshot26: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _ingest(snapshot26, tmp_path / "cache" / "clean")
    extra = snapshot26 / "parquet" / "works" / "updated_date=2020-01-01" / "part_0000.parquet"
    extra.parent.mkdir()
    extra.write_bytes(b"left over from an older sync, not even Parquet")
    with caplog.at_level(logging.WARNING, logger="fetchers.snapshot"):
        manifest = _ingest(snapshot26, tmp_path / "cache" / "ai")
    [warning] = [r.getMessage() for r in caplog.records if "does not list" in r.getMessage()]
    assert "updated_date=2020-01-01/part_0000.parquet" in warning
    assert manifest["snapshot"]["works"]["unlisted_files_skipped"] == [
        "updated_date=2020-01-01/part_0000.parquet"
    ]
    assert_same_dataset(tmp_path / "cache" / "clean", tmp_path / "cache" / "ai")


def test_a_manifest_listing_nothing_we_know_is_an_error(tmp_path: Path, snapshot26: Path) -> None:
    (snapshot26 / "parquet" / "manifest.json").write_text(json.dumps({"parts": [1, 2, 3]}))
    with pytest.raises(InputError, match=r"manifest\.json: lists no part file"):
        _ingest(snapshot26, tmp_path / "cache" / "ai")


def test_a_damaged_parquet_part_names_the_file(tmp_path: Path, snapshot26: Path) -> None:
    path = next((snapshot26 / "parquet" / "works").rglob("*.parquet"))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match=rf"{path}: not a readable Parquet file"):
        _ingest(snapshot26, tmp_path / "cache" / "ai")


# --- merged ids ------------------------------------------------------------------------------


def _merged_csv(folder: Path, entity: str, rows: list[tuple[str, str]]) -> None:
    (folder / "merged_ids" / entity).mkdir(parents=True, exist_ok=True)
    text = "merge_date,id,merge_into_id\n" + "".join(f"2024-05-01,{a},{b}\n" for a, b in rows)
    (folder / "merged_ids" / entity / "2024-05-01.csv.gz").write_bytes(
        igzip.compress(text.encode())
    )


def _named(works: Records, filters: WorkFilter, tmp_path: Path, inst: Records) -> list[str]:
    """Institution ids the authorships of the selected works name, most named first."""
    ref = reference_dataset(tmp_path / "named" / "ai", works, inst, filters)
    ids = pl.read_ipc(ref / "authorships.arrow")["institution_ids"].explode().drop_nulls()
    return ids.value_counts(sort=True)["institution_ids"].to_list()


@pytest.mark.parametrize("layout", ["2026", "legacy"])
def test_merged_institutions_count_for_their_survivor(
    tmp_path: Path, c400: tuple[Records, Records], layout: str
) -> None:
    works, institutions = c400
    named = _named(works, FILTERS, tmp_path, institutions)
    merged, chained, survivor = named[0], named[1], named[2]
    root = tmp_path / "snapshot"
    if layout == "2026":
        write_snapshot(root, {"works": _parts(works, 3), "institutions": _parts(institutions, 1)})
        merged_root = root / "legacy-data"
    else:
        write_entity(
            root, "works", {"updated_date=2024-01-01/part_000.gz": [_line(w) for w in works]}
        )
        write_entity(
            root,
            "institutions",
            {"updated_date=2024-01-01/part_000.gz": [_line(i) for i in institutions]},
        )
        merged_root = root
    # merged → chained → survivor: both count for the survivor.
    _merged_csv(
        merged_root,
        "institutions",
        [(merged, f"https://openalex.org/{chained}"), (chained, survivor)],
    )
    manifest = _ingest(root, tmp_path / "cache" / "ai")
    # What the dataset must be: the same records with the merged ids replaced.
    swap = {f"https://openalex.org/{merged}": f"https://openalex.org/{survivor}",
            f"https://openalex.org/{chained}": f"https://openalex.org/{survivor}"}  # fmt: skip
    expected_works = [_swap_institutions(w, swap) for w in works]
    kept = [i for i in institutions if i["id"] not in swap]
    want = reference_dataset(tmp_path / "ref" / "ai", expected_works, kept, FILTERS)
    assert_same_dataset(tmp_path / "cache" / "ai", want)
    before = pl.read_ipc(tmp_path / "named" / "ai" / "authorships.arrow")["institution_ids"]
    assert manifest["institution_ids_remapped"] == sum(
        1 for ids in before for i in ids if i in (merged, chained)
    )
    assert manifest["snapshot"]["merged_ids_dropped"]["institutions"] == 2
    names = set(pl.read_ipc(tmp_path / "cache" / "ai" / "institutions.arrow")["institution_id"])
    assert survivor in names
    assert merged not in names
    assert chained not in names


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def _swap_institutions(work: dict[str, Any], swap: dict[str, str]) -> dict[str, Any]:
    authorships = [
        {
            **a,
            "institutions": [
                {**i, "id": swap.get(i.get("id"), i.get("id"))} for i in a.get("institutions") or []
            ],
        }
        for a in work.get("authorships") or []
    ]
    return {**work, "authorships": authorships}


def test_merged_works_are_left_out_in_the_2026_layout(
    tmp_path: Path, c400: tuple[Records, Records]
) -> None:
    works, institutions = c400
    root = tmp_path / "bucket"
    write_snapshot(
        root / "data", {"works": _parts(works, 2), "institutions": _parts(institutions, 1)}
    )
    listed = reference_dataset(tmp_path / "all" / "ai", works, institutions, FILTERS)
    gone = pl.read_ipc(listed / "works.arrow")["work_id"].sort().head(2).to_list()
    _merged_csv(root / "legacy-data", "works", [(gone[0], "W1"), (gone[1], "W2")])
    manifest = _ingest(root, tmp_path / "cache" / "ai")
    kept = set(pl.read_ipc(tmp_path / "cache" / "ai" / "works.arrow")["work_id"])
    assert not kept & set(gone)
    assert manifest["snapshot"]["merged_ids_dropped"]["works"] == 2
    want = reference_dataset(
        tmp_path / "ref" / "ai",
        [w for w in works if short_id(w["id"]) not in gone],
        institutions,
        FILTERS,
    )
    assert_same_dataset(tmp_path / "cache" / "ai", want)


def test_cli_ingest_says_which_layout_it_found(
    tmp_path: Path, snapshot26: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ingest", str(snapshot26), "--name", "ai", "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--no-progress", "--format", "jsonl"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2026 snapshot layout, JSON Lines from")
    assert "parquet/ not read" in out[0]
    argv = ["ingest", str(tmp_path), "--name", "x", "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--no-progress"]) == 2
    assert "not an OpenAlex snapshot" in capsys.readouterr().err
