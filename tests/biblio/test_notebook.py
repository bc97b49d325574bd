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
            assert cell.outputs == [] and cell.execution_count is None


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
    assert "import biblio\n" in source and "from biblio" not in source  # one import
    # The exported figure data: the CSV's header row, with names beside codes.
    assert "source,source_name,partner,partner_name,year,coauthored" in text
