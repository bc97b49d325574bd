"""``biblio ingest``: snapshot folders built from the contract corpora and the real sample.

Every test builds its snapshot in ``tmp_path``; nothing needs the network.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
import pytest
from isal import igzip
from polars.testing import assert_frame_equal

from biblio.cli import main
from biblio.dataset.builder import staging_folder
from biblio.dataset.normalise import normalise_works, read_works, short_id
from biblio.dataset.selection import Selection, WorkFilter
from biblio.errors import InputError
from fetchers.snapshot import ingest as snap
from fetchers.snapshot import ingest_snapshot, prefilter_block, write_entity
from fetchers.snapshot.jsonl import blocks, needles
from fetchers.snapshot.layout import find_layout, plan_parts
from tests.fetchers.conftest import SAMPLES, assert_same_dataset, reference_dataset

Records = list[dict[str, Any]]
GO = SAMPLES / "max-planck-innovation-competition__go-openalex" / "sample" / "openalex"
FILTERS = WorkFilter(years=(2015, 2024))


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def _gz_lines(path: Path) -> list[bytes]:
    return igzip.decompress(path.read_bytes()).splitlines()


# --- building snapshot folders ---------------------------------------------------------------


def _split_snapshot(root: Path, works: Records, institutions: Records) -> dict[str, Any]:
    """c400 as three ``updated_date`` partitions, with re-published and merged records.

    Returns what the dataset must hold: the surviving work records and institution records.
    """
    ai = [w for w in works if "subfields/1702" in json.dumps(w.get("primary_topic"))]
    old, back = ai[0], ai[2]
    # `old` is re-published later with new content (and no authorships but its first);
    # `back` is in the newest partition with an OLDER updated_date than its copy in the first:
    # the record's own updated_date decides, not the partition.
    old_v2 = {
        **old,
        "title": "Revised title",
        "updated_date": "2030-01-01T00:00:00.000000",
        "authorships": old["authorships"][:1],
    }
    back_new = {**back, "title": "Newest by date", "updated_date": "2030-06-01T00:00:00.000000"}
    back_old = {**back, "title": "Older by date", "updated_date": "2001-01-01T00:00:00.000000"}
    merged = [ai[3]["id"], ai[4]["id"]]  # both full URLs and short ids occur in merged_ids
    rest = [w for w in works if w["id"] not in {old["id"], back["id"]}]
    partitions = {
        "updated_date=2024-01-10/part_000.gz": [old, back_new, *rest[0::3]],
        "updated_date=2024-03-05/part_000.gz": rest[1::3][:60],
        "updated_date=2024-03-05/part_001.gz": rest[1::3][60:],
        "updated_date=2024-06-20/part_000.gz": [*rest[2::3], old_v2, back_old],
    }
    write_entity(root, "works", {k: [_line(r) for r in v] for k, v in partitions.items()})
    renamed = {**institutions[0], "display_name": "Renamed in the newer partition"}
    write_entity(
        root,
        "institutions",
        {
            "updated_date=2024-02-01/part_000.gz": [_line(r) for r in institutions[::2]],
            "updated_date=2024-05-01/part_000.gz": [
                _line(r) for r in [renamed, *institutions[1::2]]
            ],
        },
    )
    merged_dir = root / "merged_ids" / "works"
    merged_dir.mkdir(parents=True)
    (merged_dir / "2024-02-01.csv.gz").write_bytes(
        igzip.compress(
            f"merge_date,id,merge_into_id\n2024-02-01,{short_id(merged[0])},W1\n".encode()
        )
    )
    (merged_dir / "2024-04-01.csv").write_text(
        f"merge_date,id,merge_into_id\n2024-04-01,{merged[1]},W2\n"
    )
    surviving = [r for r in [*rest, old_v2, back_new] if r["id"] not in merged]
    return {"works": surviving, "institutions": [renamed, *institutions[1:]]}


@pytest.fixture
def split(tmp_path: Path, c400: tuple[Records, Records]) -> tuple[Path, dict[str, Any]]:
    expected = _split_snapshot(tmp_path / "snapshot", *c400)
    return tmp_path / "snapshot", expected


class _Page(msgspec.Struct):
    results: list[msgspec.Raw]


# --- the dataset -----------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_snapshot_gives_the_builder_dataset(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], workers: int
) -> None:
    root, expected = split
    manifest = ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS, workers=workers)
    want = reference_dataset(
        tmp_path / "ref" / "ai", expected["works"], expected["institutions"], FILTERS
    )
    assert_same_dataset(tmp_path / "cache" / "ai", want)
    works = pl.read_ipc(tmp_path / "cache" / "ai" / "works.arrow")
    titles = dict(zip(works["work_id"], works["title"], strict=True))
    assert "Revised title" in titles.values()
    assert "Newest by date" in titles.values()
    assert manifest["snapshot"]["works"]["records"] == 400 + 2
    assert manifest["snapshot"]["merged_ids_dropped"]["works"] == 2
    assert manifest["source"] == str(root.resolve())
    assert not staging_folder(tmp_path / "cache" / "ai").exists()


def test_c400_snapshot_equals_the_fetch_reference(
    tmp_path: Path, c400: tuple[Records, Records], reference: Callable[[WorkFilter], Path]
) -> None:
    works, institutions = c400
    root = tmp_path / "snapshot"
    write_entity(root, "works", {"updated_date=2024-01-01/part_000.gz": [_line(w) for w in works]})
    write_entity(
        root,
        "institutions",
        {"updated_date=2024-01-01/part_000.gz": [_line(i) for i in institutions]},
    )
    ingest_snapshot(root, tmp_path / "cache" / "c400", filters=FILTERS)
    assert_same_dataset(tmp_path / "cache" / "c400", reference(FILTERS))


def test_small_blocks_and_flushes_give_the_same_dataset(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = split
    ingest_snapshot(root, tmp_path / "cache" / "big", filters=FILTERS)
    monkeypatch.setattr(snap, "BLOCK_BYTES", 50_000)  # many blocks per part
    monkeypatch.setattr(snap, "FLUSH_ROWS", 7)  # many part files per part
    manifest = ingest_snapshot(root, tmp_path / "cache" / "small", filters=FILTERS)
    assert_same_dataset(tmp_path / "cache" / "big", tmp_path / "cache" / "small")
    assert manifest["snapshot"]["works"]["records"] == 402


@pytest.mark.parametrize(
    "selection", ["subfield:1702", "topic-subfield:1702", "concept:C154945302"]
)
def test_prefilter_never_drops_a_matching_record(
    c400: tuple[Records, Records], selection: str
) -> None:
    chosen = Selection.parse(selection)
    filters = WorkFilter(selections=(chosen,))
    block = b"\n".join(_line(w) for w in c400[0]) + b"\n"
    needle = needles(filters)
    assert needle is not None
    # Small samples so the pre-filter really skips lines rather than returning the block.
    for start in range(0, 400, 40):
        part = b"\n".join(block.splitlines()[start : start + 40]) + b"\n"
        small = prefilter_block(part, needle[0], needle[1])
        whole = read_works(part, selections=[chosen]).filter(filters.expr())
        kept = (
            read_works(small, selections=[chosen]).filter(filters.expr())
            if small
            else whole.clear()
        )
        assert_frame_equal(kept, whole)


def test_prefilter_keeps_blocks_with_escapes_or_odd_lines() -> None:
    escaped = b'{"s": "subfields/\\u0031702"}\n' + b'{"x": 1}\n' * 10
    assert prefilter_block(escaped, [b"1702"], needles(WorkFilter())[1]) is escaped  # type: ignore[index]
    crlf = b'{"x": 1}\r\n' * 10
    assert prefilter_block(crlf, [b"1702"]) is crlf
    plain = b'{"x": 1}\n' * 10
    assert prefilter_block(plain, [b"1702"]) == b""


def test_same_record_gives_same_rows_from_snapshot_and_api_page(
    tmp_path: Path, c400: tuple[Records, Records]
) -> None:
    works = c400[0][:50]
    root = tmp_path / "snapshot"
    write_entity(root, "works", {"updated_date=2024-01-01/part_000.gz": [_line(w) for w in works]})
    parts, _ = plan_parts(find_layout(root), "works")
    [(_, data, end)] = list(blocks(parts[0], snap.BLOCK_BYTES))
    from_snapshot = data[:end]
    # The API path (fetchers.http): a page body decoded with its results left raw, the raw
    # results joined by newlines.
    body = json.dumps({"meta": {"count": 50, "page": 1}, "results": works}).encode()
    from_api = b"\n".join(msgspec.json.decode(body, type=_Page).results)
    assert from_api != from_snapshot.rstrip(b"\n")  # different bytes (key spacing), same records
    for selection in (Selection(), Selection.parse("concept:C154945302")):
        a = normalise_works(read_works(from_snapshot, selections=[selection]))
        b = normalise_works(read_works(from_api, selections=[selection]))
        assert_frame_equal(a[0], b[0])
        assert_frame_equal(a[1], b[1])


# --- the real go-openalex sample (2023 schema: concepts, no topics) ---------------------------


def _go_copy(root: Path) -> Path:
    """The sample's real parts with manifests listing what is on disk (the sample's own works
    manifest lists 465 parts of the full 2023 snapshot; its works entry for the part present is
    kept verbatim)."""
    rel = "updated_date=2023-05-16/part_000.gz"
    (root / "works" / "updated_date=2023-05-16").mkdir(parents=True)
    shutil.copy(GO / "works" / rel, root / "works" / rel)
    entries = json.loads((GO / "works" / "manifest").read_text())["entries"]
    mine = [e for e in entries if e["url"].endswith(f"/works/{rel}")]
    (root / "works" / "manifest").write_text(json.dumps({"entries": mine, "meta": {}}))
    inst = "updated_date=2023-09-04/part_000.gz"
    write_entity(root, "institutions", {inst: _gz_lines(GO / "institutions" / inst)})
    shutil.copytree(GO / "merged_ids", root / "merged_ids")
    return root


def test_real_sample_ingests_with_the_concept_selection(tmp_path: Path) -> None:
    root = _go_copy(tmp_path / "go")
    records = [
        json.loads(x) for x in _gz_lines(root / "works" / "updated_date=2023-05-16" / "part_000.gz")
    ]
    with_concept = {
        short_id(r["id"])
        for r in records
        if any(c["id"].endswith("/C154945302") for c in r.get("concepts") or [])
    }
    filters = WorkFilter(selections=(Selection.parse("concept:C154945302"),))
    manifest = ingest_snapshot(root, tmp_path / "cache" / "go", filters=filters, workers=2)
    works = pl.read_ipc(tmp_path / "cache" / "go" / "works.arrow")
    assert set(works["work_id"]) == with_concept
    assert manifest["snapshot"]["works"]["records"] == 27
    inst = pl.read_ipc(tmp_path / "cache" / "go" / "institutions.arrow")
    named = pl.read_ipc(tmp_path / "cache" / "go" / "authorships.arrow")["institution_ids"]
    assert set(inst["institution_id"]) <= set(named.explode().drop_nulls()) | {
        a for lineage in inst["lineage"] for a in lineage
    }


def test_real_sample_gives_zero_works_with_the_default_selection(tmp_path: Path) -> None:
    root = _go_copy(tmp_path / "go")
    manifest = ingest_snapshot(root, tmp_path / "cache" / "go", filters=WorkFilter())
    assert manifest["records"] == {"works": 0, "authorships": 0, "institutions": 0}
    assert manifest["snapshot"]["works"]["records"] == 27


def test_real_sample_as_shipped_names_a_missing_listed_part(tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"updated_date=2023-07-17/part_000\.gz: listed in .*"
        r"manifest but missing \(and \d+ more",
    ):
        ingest_snapshot(GO, tmp_path / "cache" / "go", filters=WorkFilter())
    assert not (tmp_path / "cache" / "go").exists()


def test_unlisted_files_are_skipped_with_a_warning_naming_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _go_copy(tmp_path / "go")
    shutil.copy(
        GO / "works" / "updated_date=2023-05-16" / "part_000",
        root / "works" / "updated_date=2023-05-16" / "part_000",
    )
    shutil.copy(GO / "works" / "W2741809807", root / "works" / "W2741809807")
    with caplog.at_level(logging.WARNING, logger="fetchers.snapshot"):
        manifest = ingest_snapshot(
            root,
            tmp_path / "cache" / "go",
            filters=WorkFilter(selections=(Selection.parse("concept:C41008148"),)),
        )
    [warning] = [r.getMessage() for r in caplog.records if "does not list" in r.getMessage()]
    assert "W2741809807" in warning
    assert warning.endswith("updated_date=2023-05-16/part_000")
    assert manifest["snapshot"]["works"]["records"] == 27  # the unlisted copy was not read
    assert manifest["snapshot"]["works"]["unlisted_files_skipped"] == [
        "W2741809807",
        "updated_date=2023-05-16/part_000",
    ]


# --- bad input: one clear line, nothing published ----------------------------------------------


def _cli(root: Path, cache: Path, *extra: str) -> int:
    """``biblio ingest`` through its entry point; one worker unless ``extra`` says otherwise."""
    return main(
        [
            "ingest",
            str(root),
            "--name",
            "ai",
            "--cache",
            str(cache),
            "--years",
            "2015-2024",
            "--no-progress",
            "--workers",
            "1",
            *extra,
        ]
    )


def _rewrite_part(path: Path, edit: Callable[[list[bytes]], list[bytes]]) -> Path:
    lines = edit(_gz_lines(path))
    path.write_bytes(igzip.compress(b"\n".join(lines) + b"\n"))
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_truncated_gzip_is_one_error_naming_file_and_line(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = split
    part = root / "works" / "updated_date=2024-03-05" / "part_000.gz"
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])
    assert _cli(root, tmp_path / "cache", "--workers", "2") == 2
    line = _one_error_line(capsys)
    assert str(part) in line
    assert "line " in line
    assert "gzip" in line
    assert not (tmp_path / "cache" / "ai").exists()


def test_truncated_gzip_names_the_line_it_breaks_in(tmp_path: Path) -> None:
    root = tmp_path / "snapshot"
    lines = [
        b'{"id": "https://openalex.org/W%d", "n": %d}' % (i, i * 7919 % 10007) for i in range(20000)
    ]
    write_entity(root, "works", {"updated_date=2024-01-01/part_000.gz": lines})
    write_entity(root, "institutions", {})
    part = root / "works" / "updated_date=2024-01-01" / "part_000.gz"
    cut = part.read_bytes()[: part.stat().st_size // 2]
    part.write_bytes(cut)
    decodable = zlib.decompressobj(31).decompress(cut)  # what any gunzip gets out of it
    line = decodable.count(b"\n") + 1
    with pytest.raises(InputError, match=rf"part_000\.gz, line {line}: the gzip stream breaks"):
        ingest_snapshot(root, tmp_path / "cache" / "x", filters=WorkFilter())


def test_non_json_line_is_one_error_naming_file_and_line(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = split
    path = _rewrite_part(
        root / "works" / "updated_date=2024-06-20/part_000.gz",
        lambda lines: [*lines[:4], b"not json at all", *lines[5:]],
    )
    assert _cli(root, tmp_path / "cache") == 2
    line = _one_error_line(capsys)
    assert f"{path}, line 5: not JSON" in line
    assert not (tmp_path / "cache" / "ai").exists()


def test_a_bad_value_names_file_and_line(
    tmp_path: Path, split: tuple[Path, dict[str, Any]]
) -> None:
    root, _ = split

    def bad_year(lines: list[bytes]) -> list[bytes]:
        record = json.loads(lines[2])
        record["publication_year"] = "twenty"
        return [*lines[:2], _line(record), *lines[3:]]

    path = _rewrite_part(root / "works" / "updated_date=2024-01-10/part_000.gz", bad_year)
    with pytest.raises(InputError, match=rf"{path}, line 3: not OpenAlex JSON Lines"):
        ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)


def test_record_count_mismatch_is_an_error_naming_the_part(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = split
    path = _rewrite_part(
        root / "works" / "updated_date=2024-03-05/part_001.gz", lambda lines: lines[:-1]
    )
    assert _cli(root, tmp_path / "cache") == 2
    line = _one_error_line(capsys)
    assert f"{path}: " in line
    assert "records, but" in line
    assert "manifest lists" in line
    assert not (tmp_path / "cache" / "ai").exists()


def test_listed_part_missing_is_an_error_naming_it(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = split
    gone = root / "works" / "updated_date=2024-03-05" / "part_001.gz"
    gone.unlink()
    assert _cli(root, tmp_path / "cache") == 2
    assert f"{gone}: listed in" in _one_error_line(capsys)


def test_missing_manifest_is_an_error(tmp_path: Path, split: tuple[Path, dict[str, Any]]) -> None:
    root, _ = split
    (root / "institutions" / "manifest").unlink()
    with pytest.raises(InputError, match=r"institutions/manifest: missing"):
        ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)


def test_bad_input_leaves_a_published_dataset_unchanged(
    tmp_path: Path, split: tuple[Path, dict[str, Any]]
) -> None:
    root, _ = split
    final = tmp_path / "cache" / "ai"
    first = ingest_snapshot(root, final, filters=FILTERS)
    before = {p.name: p.read_bytes() for p in final.iterdir()}
    _rewrite_part(
        root / "works" / "updated_date=2024-06-20/part_000.gz", lambda lines: [b"{oops", *lines]
    )
    with pytest.raises(InputError, match="line 1: not JSON"):
        ingest_snapshot(root, final, filters=FILTERS, refresh=True)
    assert {p.name: p.read_bytes() for p in final.iterdir()} == before
    assert ingest_snapshot(root, final, filters=FILTERS) == first  # finished: not rebuilt


# --- resume ------------------------------------------------------------------------------------


def test_rerun_after_a_failure_resumes_with_the_same_result(
    tmp_path: Path, split: tuple[Path, dict[str, Any]]
) -> None:
    root, _ = split
    ingest_snapshot(root, tmp_path / "cache" / "clean", filters=FILTERS)
    # The smallest part is read last (largest first): every other part is done when it fails.
    smallest = min(root.glob("*/updated_date=*/*.gz"), key=lambda p: p.stat().st_size)
    good = smallest.read_bytes()
    _rewrite_part(smallest, lambda lines: [*lines[:-1], b"{broken"])
    with pytest.raises(InputError, match="not JSON"):
        ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)
    staging = staging_folder(tmp_path / "cache" / "ai")
    assert staging.exists()
    assert not (tmp_path / "cache" / "ai").exists()
    smallest.write_bytes(good)  # fixed: downloaded again
    manifest = ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)
    assert manifest["snapshot"]["parts_read"] == 1
    assert manifest["snapshot"]["parts_resumed"] == 5
    assert_same_dataset(tmp_path / "cache" / "clean", tmp_path / "cache" / "ai")
    clean = json.loads((tmp_path / "cache" / "clean" / "manifest.json").read_text())
    assert manifest["sha256"] == clean["sha256"]


def test_rerun_with_other_filters_starts_afresh(
    tmp_path: Path, split: tuple[Path, dict[str, Any]]
) -> None:
    root, _ = split
    rel = "updated_date=2024-01-10/part_000.gz"
    good = (root / "works" / rel).read_bytes()
    _rewrite_part(root / "works" / rel, lambda lines: [*lines[:-1], b"{broken"])
    with pytest.raises(InputError):
        ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)
    (root / "works" / rel).write_bytes(good)
    other = replace(FILTERS, years=(2020, 2024))
    manifest = ingest_snapshot(root, tmp_path / "cache" / "ai", filters=other)
    assert manifest["snapshot"]["parts_resumed"] == 0
    ingest_snapshot(root, tmp_path / "cache" / "ref", filters=other)
    assert_same_dataset(tmp_path / "cache" / "ref", tmp_path / "cache" / "ai")


def test_a_finished_dataset_is_not_rebuilt(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    root, _ = split
    final = tmp_path / "cache" / "ai"
    first = ingest_snapshot(root, final, filters=FILTERS)
    with caplog.at_level(logging.INFO, logger="fetchers.snapshot"):
        assert ingest_snapshot(root, final, filters=FILTERS) == first
        assert ingest_snapshot(root, final, filters=WorkFilter()) == first
    messages = [r.getMessage() for r in caplog.records]
    assert any("exists; pass --refresh" in m for m in messages)
    assert any("exists, built from" in m and "with other" not in m for m in messages)
    again = ingest_snapshot(root, final, filters=FILTERS, refresh=True)
    assert again["sha256"] == first["sha256"]
    assert again["created"] >= first["created"]


def test_a_part_killed_midway_is_read_again_from_its_start(
    tmp_path: Path, split: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = split
    monkeypatch.setattr(snap, "FLUSH_ROWS", 10)  # several part files per snapshot part
    ingest_snapshot(root, tmp_path / "cache" / "clean", filters=FILTERS)
    smallest = min(root.glob("*/updated_date=*/*.gz"), key=lambda p: p.stat().st_size)
    good = smallest.read_bytes()
    _rewrite_part(smallest, lambda lines: [*lines[:-1], b"{broken"])
    with pytest.raises(InputError):
        ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)
    smallest.write_bytes(good)
    # As if killed while writing a part: its marker is gone and a stray file of an earlier
    # attempt lies beside its part files (same rows: kept, it would duplicate works).
    staging = staging_folder(tmp_path / "cache" / "ai")
    name = "works-2024-01-10-part_000"
    (staging / "snapshot" / "parts" / f"{name}.json").unlink()
    for table in ("works", "authorships"):
        first = staging / "parts" / table / f"{name}-b0000.arrow"
        shutil.copy(first, first.with_name(f"{name}-b0099.arrow"))
    manifest = ingest_snapshot(root, tmp_path / "cache" / "ai", filters=FILTERS)
    assert (manifest["snapshot"]["parts_read"], manifest["snapshot"]["parts_resumed"]) == (2, 4)
    assert_same_dataset(tmp_path / "cache" / "clean", tmp_path / "cache" / "ai")


def test_kill_9_midway_then_rerun_gives_the_same_dataset(
    tmp_path: Path, c400: tuple[Records, Records]
) -> None:
    works, institutions = c400
    root = tmp_path / "snapshot"
    write_entity(
        root,
        "works",
        {
            f"updated_date=2024-01-{1 + k // 10:02d}/part_{k % 10:03d}.gz": [
                _line(w) for w in works[k::40]
            ]
            for k in range(40)
        },
    )
    write_entity(
        root,
        "institutions",
        {"updated_date=2024-01-01/part_000.gz": [_line(i) for i in institutions]},
    )
    ingest_snapshot(root, tmp_path / "cache" / "clean", filters=FILTERS)
    cache = tmp_path / "cache"
    # One record a block and a part file per record: the ingest takes seconds, so the kill
    # always lands mid-way (the test never skips).
    code = (
        "import sys; import fetchers.snapshot.ingest as s; s.BLOCK_BYTES = 1; s.FLUSH_ROWS = 1; "
        "from biblio.cli import main; sys.exit(main(['ingest', sys.argv[1], "
        "'--name', 'ai', '--cache', sys.argv[2], '--years', '2015-2024', '--workers', '1', "
        "'--no-progress']))"
    )
    markers = staging_folder(cache / "ai") / "snapshot" / "parts"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(root), str(cache)], cwd=Path(__file__).resolve().parents[2]
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if len(list(markers.glob("*.json"))) >= 3:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    assert not (cache / "ai").exists()
    manifest = ingest_snapshot(root, cache / "ai", filters=FILTERS)
    assert manifest["snapshot"]["parts_resumed"] >= 3
    assert_same_dataset(cache / "clean", cache / "ai")


@pytest.mark.parametrize("block_bytes", [1, 7, 100, 1 << 20])
def test_blocks_are_whole_lines_in_order(tmp_path: Path, block_bytes: int) -> None:
    lines = [b'{"id": %d, "pad": "%s"}' % (i, b"x" * (i * 37 % 300)) for i in range(200)]
    write_entity(tmp_path, "works", {"updated_date=2024-01-01/part_000.gz": lines})
    [part] = plan_parts(find_layout(tmp_path), "works")[0]
    units = list(blocks(part, block_bytes))
    assert b"".join(data[:end] for _, data, end in units) == b"\n".join(lines) + b"\n"
    assert all(data[:end].endswith(b"\n") for _, data, end in units)
    assert [offset for offset, _, _ in units] == [
        sum(end for _, _, end in units[:k]) for k in range(len(units))
    ]


def test_prefilter_with_several_selections_keeps_what_any_of_them_matches(
    c400: tuple[Records, Records],
) -> None:
    three = tuple(
        Selection.parse(s) for s in ("subfield:1702", "topic-subfield:1702", "concept:C154945302")
    )
    filters = WorkFilter(selections=three)
    found = needles(filters)
    assert found is not None
    assert len(found[0]) == 2
    # Each record among four that match nothing, so that the pre-filter skips lines.
    filler = [b'{"id": "https://openalex.org/W9%d", "type": "article"}' % k for k in range(4)]
    lines = [line for w in c400[0] for line in (_line(w), *filler)]
    skipped = 0
    for start in range(0, len(lines), 100):
        part = b"\n".join(lines[start : start + 100]) + b"\n"
        small = prefilter_block(part, *found)
        skipped += part.count(b"\n") - small.count(b"\n")
        whole = read_works(part, selections=three).filter(filters.expr())
        kept = whole.clear()
        if small:
            kept = read_works(small, selections=three).filter(filters.expr())
        assert_frame_equal(kept.with_columns(filters.tags()), whole.with_columns(filters.tags()))
    assert skipped > 0  # the pre-filter really dropped lines
