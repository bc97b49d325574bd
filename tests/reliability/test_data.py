"""Verified reads: a dataset whose files changed since they were written is refused, whole.

Every case runs ``biblio metrics`` (or ``report``) on a damaged copy of a real dataset and checks
that nothing was written to ``--out``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from biblio.errors import DatasetChanged
from biblio.integrity import VERIFIED, verify_files
from biblio.io import MANIFEST, open_dataset, verify_dataset
from tests.reliability.cases import Case, case, cases
from tests.reliability.conftest import Run

REBUILD = "rebuild the dataset (`biblio fetch` or `biblio ingest` with --refresh)"
CHANGED = (
    "biblio: error: …/{file}: changed since it was written (its SHA-256 is …, the manifest's "
    f"…); {REBUILD}"
)


def _zero_middle(path: Path) -> None:
    """Zero 64 bytes in the middle of a file, as the issue did to ``works.arrow``.

    The 64 bytes are the first not already all zero from the middle on (Arrow files hold
    padding), so the file does change.
    """
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    while not any(data[middle : middle + 64]):
        middle += 64
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))


def _same_size_change_mtime_kept(path: Path) -> None:
    """Change one byte in place, then put the old mtime back (as ``cp -p``, ``rsync -t`` do)."""
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with path.open("r+b") as fh:
        fh.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


def _delete(path: Path) -> None:
    path.unlink()


def _add_part(path: Path) -> None:
    # A part file beside the table: the readers would scan it, the manifest does not list it.
    extra = path.parent / "authorships" / "extra.arrow"
    extra.parent.mkdir()
    shutil.copy(path.parent / "authorships.arrow", extra)


DAMAGE: dict[str, tuple[str, Callable[[Path], None]]] = {}

ZEROED = case(
    "data",
    "64 bytes zeroed in the middle of `works.arrow` (the manifest lists its old SHA-256)",
    sees=CHANGED.format(file="works.arrow"),
    exit=2,
    note="nothing is written to `--out`",
)
DAMAGE[ZEROED.what] = ("works.arrow", _zero_middle)
KEPT_MTIME = case(
    "data",
    "one byte of `authorships.arrow` changed in place, size and mtime put back, after an open "
    "that remembered the file as verified",
    sees=CHANGED.format(file="authorships.arrow"),
    exit=2,
    note="the verified cache does not hide it: the inode's ctime moved",
)
DAMAGE[KEPT_MTIME.what] = ("authorships.arrow", _same_size_change_mtime_kept)
TRUNCATED = case(
    "data",
    "`institutions.arrow` cut short by 100 bytes",
    sees="biblio: error: …/institutions.arrow: not a readable Arrow IPC file (…); refetch the "
    "dataset",
    exit=2,
    note="its footer is gone, which the schema check, before the hash, finds",
)
DAMAGE[TRUNCATED.what] = ("institutions.arrow", _truncate)
DELETED = case(
    "data",
    "`authorships.arrow` deleted",
    sees=f"biblio: error: …/authorships.arrow: missing, but the manifest lists it; the dataset "
    f"changed since it was written; {REBUILD}",
    exit=2,
)
DAMAGE[DELETED.what] = ("authorships.arrow", _delete)
ADDED = case(
    "data",
    "a data file the manifest does not list (`authorships/extra.arrow`)",
    sees="biblio: error: …/authorships/extra.arrow: not in the manifest; it was added since "
    f"the dataset was written: remove it or {REBUILD}",
    exit=2,
)
DAMAGE[ADDED.what] = ("authorships.arrow", _add_part)


@cases(ZEROED, KEPT_MTIME, TRUNCATED, DELETED, ADDED)
def test_a_changed_data_file_is_refused_and_nothing_is_written(
    case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    name, damage = DAMAGE[case.what]
    verify_files(  # remember every file as verified, as an open a while after writing does
        dataset,
        json.loads((dataset / MANIFEST).read_text())["sha256"],
        on_disk=["authorships.arrow", "institutions.arrow", "works.arrow"],
        settle_ns=0,
    )
    remembered = json.loads((dataset / VERIFIED).read_text())["files"]
    assert sorted(remembered) == ["authorships.arrow", "institutions.arrow", "works.arrow"]
    damage(dataset / name)
    out = tmp_path / "out"
    run = cli("metrics", dataset, "--out", out)
    case.check(run.code, run.err)
    assert run.out == ""
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


REPORT = case(
    "data",
    "`biblio report` of a dataset with a changed `works.arrow`",
    sees=CHANGED.format(file="works.arrow"),
    exit=2,
    note="no report folder is made",
)


@cases(REPORT)
def test_report_of_a_changed_dataset_writes_nothing(
    case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    _zero_middle(dataset / "works.arrow")
    run = cli("report", dataset, "--out", tmp_path / "report")
    case.check(run.code, run.err)
    assert not (tmp_path / "report").exists()


def _manifest_not_json(folder: Path) -> None:
    (folder / MANIFEST).write_text('{"sha256": {"works.arrow": ', encoding="utf-8")


def _manifest_without_hashes(folder: Path) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["sha256"]
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _manifest_missing(folder: Path) -> None:
    (folder / MANIFEST).unlink()


def _manifest_a_list(folder: Path) -> None:
    (folder / MANIFEST).write_text("[1, 2]", encoding="utf-8")


MANIFESTS = {
    case(
        "data",
        "`manifest.json` cut off mid-way (not JSON)",
        sees="biblio: error: …/manifest.json: unreadable manifest (Expecting value: line 1 "
        "column 28 (char 27)); rebuild the dataset",
        exit=2,
    ): _manifest_not_json,
    case(
        "data",
        "`manifest.json` without the `sha256` of its files",
        sees="biblio: error: …/manifest.json: lists no SHA-256 of the data files, so they "
        f"cannot be checked; {REBUILD}",
        exit=2,
    ): _manifest_without_hashes,
    case(
        "data",
        "`manifest.json` that is JSON but not an object",
        sees="biblio: error: …/manifest.json: not a manifest (a JSON object); rebuild the dataset",
        exit=2,
    ): _manifest_a_list,
    case(
        "data",
        "`manifest.json` missing (a fetch that never finished)",
        sees="biblio: error: dataset '…' not found at … (it is unfinished; rerun the fetch to "
        "resume it)",
        exit=2,
    ): _manifest_missing,
}


@cases(*MANIFESTS)
def test_a_bad_manifest_is_refused(
    case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    MANIFESTS[case](dataset)
    run = cli("metrics", dataset, "--out", tmp_path / "out")
    case.check(run.code, run.err)
    assert not (tmp_path / "out").exists()


def _other_schema(path: Path) -> None:
    table = pa.table({"work_id": pa.array(["W1"], pa.large_string())})
    with ipc.new_file(path, table.schema) as writer:
        writer.write_table(table)


def _not_arrow(path: Path) -> None:
    path.write_bytes(b"not arrow at all")


REWRITTEN = {
    case(
        "data",
        "`works.arrow` rewritten with other columns, and its SHA-256 in the manifest updated",
        sees="biblio: error: …/works.arrow: column 'doi' is missing; the works table needs the "
        "columns work_id, doi, …",
        exit=2,
    ): _other_schema,
    case(
        "data",
        "`works.arrow` replaced by bytes that are not Arrow, and its SHA-256 updated",
        sees="biblio: error: …/works.arrow: not a readable Arrow IPC file (…); refetch the dataset",
        exit=2,
    ): _not_arrow,
}


@cases(*REWRITTEN)
def test_a_rewritten_file_with_a_matching_hash_is_still_checked(
    case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    from biblio.io import file_sha256

    REWRITTEN[case](dataset / "works.arrow")
    manifest = json.loads((dataset / MANIFEST).read_text())
    manifest["sha256"]["works.arrow"] = file_sha256(dataset / "works.arrow")
    (dataset / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    run = cli("metrics", dataset, "--out", tmp_path / "out")
    case.check(run.code, run.err)
    assert not (tmp_path / "out").exists()


GARBAGE_CACHE = case(
    "data",
    "`.verified.json` (the cache of verified files) overwritten with garbage",
    sees="",
    exit=0,
    note="ignored: every file is hashed again",
)


@cases(GARBAGE_CACHE)
def test_a_garbage_cache_costs_a_hash_and_nothing_else(
    case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    (dataset / VERIFIED).write_bytes(b"\x00garbage{")
    run = cli("metrics", dataset, "--out", tmp_path / "out")
    case.check(run.code, run.err)
    assert (tmp_path / "out" / "summary.json").exists()


def test_a_fresh_file_is_not_remembered_until_it_settled(dataset: Path) -> None:
    # Written a moment ago: a change within the same timestamp tick could go unseen, so the
    # open hashes the files and remembers none of them.
    for path in dataset.glob("*.arrow"):
        path.write_bytes(path.read_bytes())  # rewritten now, same bytes
    open_dataset(dataset)
    assert not (dataset / VERIFIED).exists()


def test_a_remembered_file_is_trusted_only_with_the_manifest_digest(dataset: Path) -> None:
    manifest = json.loads((dataset / MANIFEST).read_text())
    verify_files(dataset, manifest["sha256"], on_disk=list(manifest["sha256"]), settle_ns=0)
    cache = json.loads((dataset / VERIFIED).read_text())
    assert {e["sha256"] for e in cache["files"].values()} == set(manifest["sha256"].values())
    verify_dataset(dataset, manifest)  # the remembered identities still hold
    # A manifest that names another digest is not satisfied by the remembered one.
    manifest["sha256"]["works.arrow"] = "0" * 64
    with pytest.raises(DatasetChanged, match=r"works\.arrow: changed since it was written"):
        verify_dataset(dataset, manifest)


def test_the_tables_read_after_verification_are_the_written_ones(dataset: Path) -> None:
    opened = open_dataset(dataset)
    assert opened.works.select(pl.len()).collect().item() == opened.manifest["records"]["works"]
