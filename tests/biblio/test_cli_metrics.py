"""`biblio metrics` through its real entry point: files, formats, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from biblio.cli import main
from biblio.schema import OUTPUT_TABLES
from tests.biblio.conftest import heavy_modules_loaded
from tests.contract import build_dataset


@pytest.fixture(scope="module")
def micro(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset("micro", tmp_path_factory.mktemp("cache"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_every_table_as_parquet_and_csv(
    micro: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "metrics", str(micro), "--out", str(tmp_path / "m"))
    assert code == 0, err
    for name, schema in OUTPUT_TABLES.items():
        parquet = pl.read_parquet(tmp_path / "m" / f"{name}.parquet")
        assert parquet.columns == schema.names
        csv = pl.read_csv(tmp_path / "m" / f"{name}.csv", schema=parquet.schema)
        assert csv.equals(parquet), name
    summary = json.loads((tmp_path / "m" / "summary.json").read_text())
    year = summary["years"]["2024"]
    assert year["citation_share_leader"]["received_full"] == {"unit": "US", "share": 0.64}
    assert {"source": "US", "partner": "CN", "flow_share": 0.5} in year["flows"]
    assert year["most_connected"]["unit"] == "CN"
    assert "files in" in out


def test_options_change_the_tables(
    micro: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = tmp_path / "groups.toml"
    groups.write_text('[groups.GREATERCHINA]\nmembers = ["CN", "HK", "MO", "TW"]\n')
    code, _, err = run(
        capsys,
        "metrics",
        str(micro),
        "--years",
        "2024",
        "--units",
        "GREATERCHINA,US,EU27",
        "--groups",
        str(groups),
        "--threshold",
        "0",
        "--pairs",
        "US:GREATERCHINA",
        "--out",
        str(tmp_path / "m"),
    )
    assert code == 0, err
    output = pl.read_parquet(tmp_path / "m" / "output.parquet")
    assert output["unit"].to_list() == ["EU27", "GREATERCHINA", "US"]
    assert output["year"].unique().to_list() == [2024]
    flows = pl.read_parquet(tmp_path / "m" / "flows.parquet")
    assert flows.filter(source="US", partner="GREATERCHINA")["coauthored"].item() == 1
    above = pl.read_parquet(tmp_path / "m" / "institutions_above.parquet")
    assert above.filter(unit="US")["institutions_above"].item() == 1  # I1: 2 works > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--years", "2030"], "--years 2030: no works in those years"),
        (["--units", "CN,XX"], "unknown unit 'XX'"),
        (["--pairs", "EU27:DE"], "overlap"),
        (["--groups", "/nonexistent.toml"], "--groups /nonexistent.toml: cannot read"),
        (["--min-works", "0"], "--min-works 0"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(
    micro: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "metrics", str(micro), *argv, "--out", str(tmp_path / "m"))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert err.startswith("biblio: error: ")
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_missing_and_malformed_datasets(
    tmp_path: Path, micro: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--cache", str(tmp_path), "metrics", "nope", "--out", str(tmp_path / "m")
    )
    assert code == 2
    assert "dataset 'nope' not found" in err
    broken = tmp_path / "broken"
    shutil.copytree(micro, broken)
    (broken / "works.arrow").write_bytes(b"not arrow at all")
    code, _, err = run(capsys, "metrics", str(broken), "--out", str(tmp_path / "m"))
    assert code == 2
    assert "works.arrow: not a readable Arrow IPC file" in err
    assert err.count("\n") == 1


def test_console_script_runs(micro: Path, tmp_path: Path) -> None:
    biblio = shutil.which("biblio")
    command = [biblio] if biblio else [sys.executable, "-m", "biblio.cli"]
    done = subprocess.run(
        [*command, "metrics", str(micro), "--years", "2019", "--out", str(tmp_path / "m")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert pl.read_csv(tmp_path / "m" / "coverage.csv")["year"].to_list() == [2019]


def test_a_year_alone_writes_the_rows_of_every_year(
    demo_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`metrics --years Y` writes, table by table, the rows of Y of `metrics` for every year."""
    cache = ["--cache", str(demo_cache)]
    for name, extra in (("all", []), ("one", ["--years", "2023"])):
        code, _, err = run(capsys, *cache, "metrics", "demo", *extra, "--out", str(tmp_path / name))
        assert code == 0, err
    for name in OUTPUT_TABLES:
        every = pl.read_parquet(tmp_path / "all" / f"{name}.parquet")
        alone = pl.read_parquet(tmp_path / "one" / f"{name}.parquet")
        assert alone.height > 0 or name == "large_works", name
        assert alone.equals(every.filter(year=2023)), name


def test_the_network_loads_igraph_without_matplotlib() -> None:
    """The metrics load igraph for the network but not matplotlib (igraph's own drawing)."""
    assert heavy_modules_loaded("biblio.network, biblio.tables") == ["igraph"]
