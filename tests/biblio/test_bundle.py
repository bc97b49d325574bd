"""``biblio benchmark``: tables, data package, checksums, year over year, byte-identical reruns."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import frictionless
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from biblio.cli import main
from biblio.schema import OUTPUT_TABLES
from tests.biblio.quotable import unquotable_text
from tests.contract import build_dataset, nan_columns

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
        assert f"tables/{table}.parquet" in files
        assert f"tables/{table}.csv" in files
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
    assert package["biblio"]["report_year"] == 2024
    assert package["biblio"]["synthetic"] is True
    resources = {r["name"]: r for r in package["resources"]}
    kinds = {"integer": pl.Int64, "number": pl.Float64, "string": pl.String}
    for table, schema in OUTPUT_TABLES.items():
        for name in (table, f"{table}-parquet"):
            resource = resources[name]
            fields = resource["schema"]["fields"]
            assert [f["name"] for f in fields] == schema.names
            path = folder / resource["path"]
            assert resource["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
            # frictionless counts no bytes of a Parquet file (it reports any count as wrong),
            # so only the CSV resources state theirs.
            assert resource.get("bytes") == (path.stat().st_size if name == table else None)
        frame = pl.read_parquet(folder / resources[f"{table}-parquet"]["path"])
        assert {f["name"]: kinds[f["type"]] for f in fields} == dict(frame.schema)
        key = resources[table]["schema"]["primaryKey"]
        assert not frame.select(key).is_duplicated().any()
        for field in fields:
            bounds = field.get("constraints")
            if bounds and frame[field["name"]].drop_nulls().len():
                assert bounds["minimum"] <= frame[field["name"]].min()  # type: ignore[operator]
                assert frame[field["name"]].max() <= bounds["maximum"]  # type: ignore[operator]


@pytest.fixture(scope="module")
def c400_bundle(shared_build: Callable[[str, Callable[[Path], None]], Path]) -> Path:
    """The bundle of the c400 contract corpus: its nulls where ratios are undefined, and a
    sixth of the demo's rows (the validator reads 10,000 rows a second)."""

    def build(root: Path) -> None:
        dataset = build_dataset("c400", root / "cache")
        assert main(["benchmark", str(dataset), "--out", str(root / "b")]) == 0

    return shared_build("c400-bundle", build) / "b"


def test_frictionless_validates_the_bundle(c400_bundle: Path) -> None:
    """The reference validator reads every resource, CSV and Parquet, row by row."""
    report = frictionless.validate(c400_bundle / "datapackage.json")
    problems = report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    assert report.valid, problems[:10]
    assert {task.name for task in report.tasks} >= {f"{t}-parquet" for t in OUTPUT_TABLES}
    asymmetry = pl.read_parquet(c400_bundle / "tables" / "asymmetry.parquet")
    assert asymmetry["asymmetry"].null_count() > 0  # the nulls were there to be read


def test_frictionless_rejects_a_nan_in_a_csv(bundles: dict[str, Path], tmp_path: Path) -> None:
    """NaN is not a missing value of the CSV tables: the validator catches one."""
    package = json.loads((bundles["2024"] / "datapackage.json").read_text())
    resource = next(r for r in package["resources"] if r["name"] == "output")
    frame = pl.read_csv(bundles["2024"] / resource["path"]).head(3)
    frame.with_columns(share_frac=pl.Series([0.5, float("nan"), 0.25])).write_csv(
        tmp_path / "output.csv"
    )
    del resource["bytes"], resource["hash"]
    report = frictionless.validate({**resource, "path": "output.csv"}, basepath=str(tmp_path))
    assert not report.valid
    assert [(e.row_number, e.field_name) for e in report.tasks[0].errors] == [
        (3, "share_frac"),
        (3, "share_frac"),
    ]


def test_no_table_holds_nan(bundles: dict[str, Path]) -> None:
    """Undefined values are null, never NaN, in Parquet and CSV (the demo's tables)."""
    for table in OUTPUT_TABLES:
        parquet = pl.read_parquet(bundles["2024"] / "tables" / f"{table}.parquet")
        csv = pl.read_csv(bundles["2024"] / "tables" / f"{table}.csv", infer_schema=False)
        assert nan_columns(parquet) == nan_columns(csv) == [], table


def test_citation_file(bundles: dict[str, Path]) -> None:
    text = (bundles["2024"] / "CITATION.cff").read_text()
    assert text.startswith("cff-version: 1.2.0\n")
    assert "type: dataset" in text
    assert "synthetic demonstration data" in text
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
    assert "AI works naming a country" in section
    assert "pp |" in section
    assert "crossed" in section or "None." in section
    assert "Changes since" not in (bundles["2023"] / "report.md").read_text()


_SHARE_WITH_COUNT = re.compile(r"^\d+\.\d % \(\d[\d,.]* of \d[\d,]* [a-z ]+\)$")
_COUNT = re.compile(r"\d[\d,]*(?: \(of \d[\d,]* [^)]+\))?")
_UNIT_WITH_COUNT = re.compile(r"^[A-Z][\w .+-]*(?: \([A-Z0-9+]+\))? \(\d[\d,.]*[^)]*\)$")


def _unquotable(table: list[list[str]]) -> list[str]:
    """The cells of a year-over-year table that are not safe to quote.

    A share without the counts it rests on, a unit without the count that made it the one, a
    figure without its counting.
    """
    header, *rows = table
    counting = header.index("counting")
    bad = []
    for row in rows:
        if not row[counting].endswith("counting") and not row[counting].startswith("none needed"):
            bad.append(f"{row[0]}: no counting")
        for value in row[1 : header.index("change")]:
            if value == "—" or _COUNT.fullmatch(value):  # missing, or itself a count
                continue
            pattern = _SHARE_WITH_COUNT if "%" in value else _UNIT_WITH_COUNT
            if not pattern.match(value):
                bad.append(f"{row[0]}: {value}")
    return bad


def _md_table(text: str) -> list[list[str]]:
    """The first Markdown table in ``text``: its header and rows, as cells."""
    lines = text[text.index("\n|") + 1 :].split("\n\n", 1)[0].splitlines()
    return [
        [c.strip() for c in line.strip("|").split(" | ")] for line in lines if "---" not in line
    ]


def test_year_over_year_cells_give_their_counting_and_counts(bundles: dict[str, Path]) -> None:
    md = (bundles["2024"] / "report.md").read_text()
    section = md.split("## Changes since 2023", 1)[1].split("\n## ", 1)[0]
    table = _md_table(section)
    assert table[0] == ["headline figure", "2023", "2024", "change", "counting"]
    assert len(table) > 20
    assert _unquotable(table) == []
    assert unquotable_text(md) == []  # and every other share of the bundle's report
    cells = [c for row in table for c in row]
    assert any(re.match(r"\d+\.\d % \(\d[\d,]* of \d[\d,]* works\)", c) for c in cells)
    assert any("fractional counting" in c for c in cells)
    assert any("China (CN) (" in c for c in cells)  # units by name, code beside, count after
    # The check fails on what the table printed before: shares, units and codes alone.
    old = [
        ["headline figure", "2023", "2024", "change", "counting"],
        ["flow share US→CN", "9.5 %", "10.5 %", "+1.0 pp", "full counting"],
        ["top partner of CN", "US", "US", "same", "full counting"],
        ["citation share leader", "China (CN) (7,849 of 28,843 citations)", "—", "—", ""],
    ]
    assert len(_unquotable(old)) == 5


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


def test_report_and_benchmark_write_the_same_report(
    bundles: dict[str, Path],
    demo_cache: Path,
    shared_build: Callable[[str, Callable[[Path], None]], Path],
) -> None:
    """The same dataset gives the same sentences, figures and figure data either way."""

    def build(folder: Path) -> None:  # the report fixture of test_report.py, shared
        out = ["--out", str(folder / "2024")]
        assert main(["--cache", str(demo_cache), "report", "demo", "--year", "2024", *out]) == 0

    report = shared_build("demo-report", build) / "2024"
    bundle = (bundles["2024"] / "report.md").read_text()
    changes = re.compile(r"\n## Changes since 2023\n.*?(?=\n## )", re.S)
    assert changes.search(bundle)
    assert changes.sub("", bundle) == (report / "report.md").read_text()
    figures = {p.name: p.read_bytes() for p in (report / "figures").iterdir()}
    assert {n: (bundles["2024"] / "figures" / n).read_bytes() for n in figures} == figures


def test_the_bundle_ships_every_figure_s_data(bundles: dict[str, Path]) -> None:
    folder = bundles["2024"]
    listed = (folder / "SHA256SUMS").read_text()
    pngs = sorted(p.stem for p in (folder / "figures").glob("*.png"))
    assert pngs
    assert sorted(p.stem for p in (folder / "figures").glob("*.csv")) == pngs
    for stem in pngs:
        assert f"  figures/{stem}.csv\n" in listed
        assert pl.read_csv(folder / "figures" / f"{stem}.csv").height > 0


def test_tables_are_those_of_the_year(
    bundles: dict[str, Path], demo_cache: Path, tmp_path: Path
) -> None:
    """The bundle's tables are byte for byte what `biblio metrics --years YEAR` writes."""
    out = tmp_path / "m"
    argv = ["--cache", str(demo_cache), "metrics", "demo", "--years", "2023", "--out", str(out)]
    assert main(argv) == 0
    tables = {
        name.removeprefix("tables/"): data
        for name, data in _files(bundles["2023"]).items()
        if name.startswith("tables/")
    }
    assert tables == _files(out)
