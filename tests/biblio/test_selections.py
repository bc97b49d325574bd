"""Several definitions of "AI work" in one dataset: every table per definition, the report's
section that sets them side by side, and ``--selection`` of metrics, report and benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from biblio.cli import main
from biblio.dataset.builder import DatasetBuilder
from biblio.dataset.normalise import read_institutions, read_works
from biblio.dataset.selection import Selection, WorkFilter
from biblio.errors import UsageError
from biblio.io import open_dataset
from biblio.report.build import definitions_compared
from biblio.report.selections import TITLE
from biblio.schema import OUTPUT_TABLES
from biblio.tables import MetricOptions, compute_tables, summarise
from tests.paths import CONTRACT_EXAMPLES

C400 = CONTRACT_EXAMPLES / "c400"
DEFINITIONS = ("subfield:1702", "topic-subfield:1702", "concept:C154945302")
YEARS = (2015, 2024)


def _build(final: Path, definitions: tuple[str, ...]) -> Path:
    selections = tuple(Selection.parse(d) for d in definitions)
    builder = DatasetBuilder(final, filters=WorkFilter(selections=selections, years=YEARS))
    raw = read_works((C400 / "works.jsonl").read_bytes(), selections=selections)
    builder.add_works(raw, part="works")
    institutions = read_institutions((C400 / "institutions.jsonl").read_bytes())
    builder.add_institutions(institutions, part="institutions")
    builder.finish({"source": str(C400)})
    return final


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The c400 dataset holding the three definitions (``all``), and one per definition."""
    cache = tmp_path_factory.mktemp("cache")
    built = {"all": _build(cache / "all", DEFINITIONS)}
    for definition in DEFINITIONS:
        built[definition] = _build(cache / definition.replace(":", "-"), (definition,))
    return built


def _same_tables(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    """Every table equal to the last bit (the eigenvector too: see biblio.network._eigenvector)."""
    assert sorted(left) == sorted(right) == sorted(OUTPUT_TABLES)
    for name in OUTPUT_TABLES:
        assert_frame_equal(left[name], right[name], check_exact=True)


def test_the_definitions_differ_on_c400(datasets: dict[str, Path]) -> None:
    ids = [set(open_dataset(datasets[d]).works.collect()["work_id"]) for d in DEFINITIONS]
    assert ids[0] != ids[1]
    assert ids[1] != ids[2]
    assert ids[0] != ids[2]


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_table_of_a_definition_equals_a_build_from_its_works_only(
    datasets: dict[str, Path], definition: str
) -> None:
    together = compute_tables(open_dataset(datasets["all"]), MetricOptions(selection=definition))
    alone = compute_tables(open_dataset(datasets[definition]), MetricOptions())
    _same_tables(together, alone)


def test_the_default_is_the_first_definition_the_dataset_holds(datasets: dict[str, Path]) -> None:
    default = compute_tables(open_dataset(datasets["all"]), MetricOptions())
    first = compute_tables(open_dataset(datasets[DEFINITIONS[0]]), MetricOptions())
    _same_tables(default, first)


def test_a_definition_the_dataset_lacks_is_an_error_naming_those_it_holds(
    datasets: dict[str, Path],
) -> None:
    single = open_dataset(datasets["concept:C154945302"])
    with pytest.raises(UsageError, match=r"--selection subfield:1702: .* holds concept:C154945302"):
        compute_tables(single, MetricOptions(selection="subfield:1702"))
    with pytest.raises(UsageError, match="use subfield:1702"):
        compute_tables(single, MetricOptions(selection="keyword:ai"))


def test_cli_metrics_selection(
    datasets: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["metrics", str(datasets["all"]), "--out", str(tmp_path / "m")]
    assert main([*argv, "--selection", "topic-subfield:1702"]) == 0
    summary = json.loads((tmp_path / "m" / "summary.json").read_text())
    assert summary["definitions"]["selection"] == "topic-subfield:1702"
    alone = compute_tables(open_dataset(datasets["topic-subfield:1702"]), MetricOptions())
    assert_frame_equal(pl.read_parquet(tmp_path / "m" / "output.parquet"), alone["output"])
    single = ["metrics", str(datasets["subfield:1702"]), "--out", str(tmp_path / "x")]
    assert main([*single, "--selection", "concept:C154945302"]) == 2
    err = capsys.readouterr().err
    assert "holds subfield:1702" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_the_section_sets_each_definition_beside_the_others(datasets: dict[str, Path]) -> None:
    dataset = open_dataset(datasets["all"])
    options = MetricOptions(selection="topic-subfield:1702")
    tables = compute_tables(dataset, options)
    [section] = definitions_compared(dataset, options, (tables, summarise(tables, options)), 2024)
    assert section.title == TITLE
    table = section.blocks[1]
    assert table.headers == (
        "figure",
        "subfield:1702",
        "topic-subfield:1702 (this report)",
        "concept:C154945302",
    )
    rows = {row[0]: row[1:] for row in table.rows}
    for column, definition in enumerate(DEFINITIONS):
        alone = compute_tables(open_dataset(datasets[definition]), MetricOptions())
        summary = summarise(alone, MetricOptions()).to_json()["years"]["2024"]
        coverage = alone["coverage"].filter(year=2024)
        assert rows["AI works"][column] == f"{coverage['works'].item():,}"
        us = alone["output"].filter(unit="US", year=2024)["works_full"].item()
        assert rows["AI works with an author in United States (full counting)"][column] == f"{us:,}"
        above = summary["institutions_above"].get("CN")
        total = alone["institutions_above"].filter(unit="CN", year=2024)["institutions_total"]
        assert rows["institutions with more than 50 AI works, China (full counting)"][column] == (
            "—" if above is None else f"{above:,} (of {total.item():,} with at least one AI work)"
        )
        people = summary["researchers"]["US"]
        assert rows["active researchers, United States (full counting)"][column] == f"{people:,}"
        cites = alone["citation_shares"].filter(unit="CN", year=2024, window="received")
        cited, share = cites["citations_full"].item(), cites["share_full"].item()
        label = "share of the citations made in 2024 to AI works, China (full counting)"
        assert rows[label][column] == (
            f"{100 * share:.1f} % ({cited:,} of {round(cited / share):,} citations)"
        )
        flow = alone["flows"].filter(source="US", partner="CN", year=2024).row(0, named=True)
        assert rows["share of the United States' works with a co-author in China (full counting)"][
            column
        ] == (
            f"{100 * flow['flow_share']:.1f} % ({flow['coauthored']:,} of "
            f"{flow['source_works']:,} works)"
        )
    works = pl.read_ipc(datasets["all"] / "works.arrow").filter(
        pl.col("publication_year") == 2024,
        ~pl.col("is_paratext").fill_null(False),
        ~pl.col("is_retracted").fill_null(False),
    )
    both = works.filter(
        pl.col("selections").list.contains("concept:C154945302"),
        pl.col("selections").list.contains("topic-subfield:1702"),
    )
    assert rows["… also AI works under topic-subfield:1702"][2] == f"{both.height:,}"


def test_a_dataset_of_one_definition_has_no_such_section(datasets: dict[str, Path]) -> None:
    dataset = open_dataset(datasets["subfield:1702"])
    options = MetricOptions(selection="subfield:1702")
    tables = compute_tables(dataset, options)
    assert definitions_compared(dataset, options, (tables, summarise(tables, options)), 2024) == []


@pytest.mark.slow
def test_report_and_benchmark_of_another_definition(
    datasets: dict[str, Path], tmp_path: Path
) -> None:
    report = ["report", str(datasets["all"]), "--year", "2024", "--out", str(tmp_path / "r")]
    assert main([*report, "--selection", "concept:C154945302"]) == 0
    text = (tmp_path / "r" / "report.md").read_text()
    assert f"## {TITLE}" in text
    assert "concept:C154945302 (this report)" in text
    assert (
        "Definition of AI: OpenAlex works tagged with the legacy concept C154945302 "
        "(Artificial intelligence) (concept:C154945302)" in text
    )
    bench = ["benchmark", str(datasets["all"]), "--year", "2024", "--out", str(tmp_path / "b")]
    assert main([*bench, "--selection", "concept:C154945302"]) == 0
    package = json.loads((tmp_path / "b" / "datapackage.json").read_text())
    assert package["biblio"]["selection"] == "concept:C154945302"
    assert TITLE in (tmp_path / "b" / "report.md").read_text()
