"""``biblio benchmark``: tables, data package, checksums, year over year, byte-identical reruns."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from biblio.cli import main
from biblio.schema import OUTPUT_TABLES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundles(
    demo_cache: Path, shared_build: Callable[[str, Callable[[Path], None]], Path]
) -> dict[str, Path]:
    """2023 and 2024 (with --previous) through main(); 2023 again through a real subprocess."""
    cache = ["--cache", str(demo_cache)]

    def build(root: Path) -> None:
        b2023, b2024 = str(root / "b2023"), str(root / "b2024")
        assert main([*cache, "benchmark", "demo", "--year", "2023", "--out", b2023]) == 0
        assert main([*cache, "benchmark", "demo", "--out", b2024, "--previous", b2023]) == 0
        command = [sys.executable, "-m", "biblio.cli", *cache, "benchmark", "demo"]
        done = subprocess.run(
            [*command, "--year", "2023", "--out", str(root / "again")],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=root,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "benchmark bundle in" in done.stdout

    root = shared_build("bundles", build)
    return {"2023": root / "b2023", "2024": root / "b2024", "again": root / "again"}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_bundle_layout(bundles: dict[str, Path]) -> None:
    files = _files(bundles["2024"])
    for name in (
        "index.html",
        "report.md",
        "manifest.json",
        "datapackage.json",
        "CITATION.cff",
        "SHA256SUMS",
        "tables/summary.json",
    ):
        assert name in files
    for table in OUTPUT_TABLES:
        assert f"tables/{table}.parquet" in files and f"tables/{table}.csv" in files
    assert not [p for p in bundles["2024"].parent.iterdir() if p.name.endswith(".partial")]


def test_checksums_verify(bundles: dict[str, Path]) -> None:
    folder = bundles["2024"]
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert list(listed) == sorted(listed)
    assert set(listed) == set(_files(folder)) - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder, check=True)


def test_tables_parse_and_match_the_schema(bundles: dict[str, Path]) -> None:
    for table, schema in OUTPUT_TABLES.items():
        parquet = pl.read_parquet(bundles["2024"] / "tables" / f"{table}.parquet")
        assert parquet.columns == schema.names
        assert parquet.height > 0
        csv = pl.read_csv(bundles["2024"] / "tables" / f"{table}.csv", schema=parquet.schema)
        assert_frame_equal(csv, parquet)


def test_datapackage_describes_every_table(bundles: dict[str, Path]) -> None:
    folder = bundles["2024"]
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["biblio"]["report_year"] == 2024 and package["biblio"]["synthetic"] is True
    resources = {r["name"]: r for r in package["resources"]}
    kinds = {"integer": pl.Int64, "number": pl.Float64, "string": pl.String}
    for table, schema in OUTPUT_TABLES.items():
        for name in (table, f"{table}-parquet"):
            resource = resources[name]
            fields = resource["schema"]["fields"]
            assert [f["name"] for f in fields] == schema.names
            path = folder / resource["path"]
            assert resource["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
            assert resource["bytes"] == path.stat().st_size
        frame = pl.read_parquet(folder / resources[f"{table}-parquet"]["path"])
        assert {f["name"]: kinds[f["type"]] for f in fields} == dict(frame.schema)
        key = resources[table]["schema"]["primaryKey"]
        assert not frame.select(key).is_duplicated().any()
        for field in fields:
            bounds = field.get("constraints")
            if bounds and frame[field["name"]].drop_nulls().len():
                assert bounds["minimum"] <= frame[field["name"]].min()  # type: ignore[operator]
                assert frame[field["name"]].max() <= bounds["maximum"]  # type: ignore[operator]


def test_citation_file(bundles: dict[str, Path]) -> None:
    text = (bundles["2024"] / "CITATION.cff").read_text()
    assert text.startswith("cff-version: 1.2.0\n")
    assert "type: dataset" in text and "synthetic demonstration data" in text
    assert "OpenAlex" in text


def test_second_run_is_byte_identical(bundles: dict[str, Path]) -> None:
    first, again = _files(bundles["2023"]), _files(bundles["again"])
    assert sorted(first) == sorted(again)
    differing = [name for name in first if first[name] != again[name]]
    assert differing == []


def test_year_over_year_section(bundles: dict[str, Path]) -> None:
    md = (bundles["2024"] / "report.md").read_text()
    section = md.split("## Changes since 2023", 1)[1].split("\n## ", 1)[0]
    assert "| headline figure | 2023 | 2024 | change |" in section
    assert "AI works naming a country" in section and "pp |" in section
    assert "crossed" in section or "None." in section
    assert "Changes since" not in (bundles["2023"] / "report.md").read_text()


def test_previous_must_be_a_bundle(
    demo_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--cache",
            str(demo_cache),
            "benchmark",
            "demo",
            "--out",
            str(tmp_path / "b"),
            "--previous",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "--previous" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_tables_are_those_of_the_year(
    bundles: dict[str, Path], demo_cache: Path, tmp_path: Path
) -> None:
    """The bundle's tables are byte for byte what `biblio metrics --years YEAR` writes."""
    out = tmp_path / "m"
    assert (
        main(["--cache", str(demo_cache), "metrics", "demo", "--years", "2023", "--out", str(out)])
        == 0
    )
    written = _files(out)
    assert written == {
        name.removeprefix("tables/"): data
        for name, data in _files(bundles["2023"]).items()
        if name.startswith("tables/")
    }
