"""The example notebook runs top to bottom on the demo dataset, shows every figure of the report
and how to export a figure's data, and is stored without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from biblio.report.figures import FIGURE_NAMES

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "ai_collaboration.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_notebook_runs(demo_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("BIBLIO_CACHE", str(demo_cache))
    # The kernel must import this source tree, wherever the test runs from.
    root = str(NOTEBOOK.parents[1])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert len(images) == source.count("biblio.plot.plot_")  # one image per figure drawn
    for name in FIGURE_NAMES:  # every figure of the report
        assert f"biblio.plot.plot_{name}(" in source
    text = "".join(o.get("text", "") for o in outputs)
    assert "synthetic: True" in text
    assert "import biblio\n" in source
    assert "from biblio" not in source
    # The exported figure data: the CSV's header row, with names beside codes.
    assert "source,source_name,partner,partner_name,year,coauthored" in text


def test_open_dataset_gives_a_year_s_tables_with_names(demo_cache: Path) -> None:
    import biblio

    data = biblio.open_dataset("demo", cache=demo_cache)
    assert data.synthetic
    assert "dataset demo" in data.source_line
    output = data.output(2024)
    assert output.columns[:3] == ["unit", "name", "year"]
    assert output.filter(unit="CN")["name"].item() == "China"
    assert set(output["year"].to_list()) == {2024}
    assert "EU27" in output["unit"].to_list()
    assert "EU27" not in data.output(2024, countries_only=True)["unit"].to_list()
    flows = data.flows(2024, countries_only=True)
    assert {"source_name", "partner_name"} <= set(flows.columns)
    assert "US+GB+EU27" not in flows["partner"].to_list()
    institutions = data.institution_output(2024)
    assert institutions.columns[:4] == ["institution_id", "display_name", "country_code", "country"]
    assert set(data) >= {"output", "flows", "citation_trend", "large_works"}
    assert data["output"].height > output.height  # the mapping holds every year
    with pytest.raises(ValueError, match="1990"):
        data.output(1990)
