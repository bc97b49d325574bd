"""summary.json: the typed summary writes the same bytes as the dict it replaced, and reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from biblio.cli import main
from biblio.summary import Flow, Leader, Summary
from biblio.tables import MetricOptions, summarise
from tests.contract import build_dataset, compute

DATA = Path(__file__).parent / "data"


def test_c400_summary_is_byte_identical_to_the_untyped_one(tmp_path: Path) -> None:
    """``data/c400_summary.json`` was written by the dict-based ``summarise`` (commit 013ee54)
    for c400 with the default options; the typed one must give the same bytes."""
    tables = compute("c400", tmp_path)
    text = summarise(tables, MetricOptions()).dumps()
    assert text == (DATA / "c400_summary.json").read_text("utf-8")


@pytest.mark.parametrize("dataset", ["c400", "demo"])
def test_written_summary_reads_back_to_the_same_bytes(
    dataset: str, demo_cache: Path, tmp_path: Path
) -> None:
    path = demo_cache / "demo" if dataset == "demo" else build_dataset(dataset, tmp_path)
    assert main(["metrics", str(path), "--out", str(tmp_path / "m")]) == 0
    text = (tmp_path / "m" / "summary.json").read_text("utf-8")
    summary = Summary.loads(text)
    assert summary.dumps() == text
    assert summary.dataset is not None
    assert summary.dataset.name == dataset
    assert summary.dataset.manifest == json.loads(text)["dataset"]["manifest"]
    head = summary.years[max(summary.years)]
    assert all(isinstance(leader, Leader) for leader in head.citation_share_leader.values())
    assert [(f.source, f.partner) for f in head.flows if isinstance(f, Flow)] == [
        ("US", "CN"),
        ("CN", "US+GB+EU27"),
        ("GB", "CN"),
        ("EU27", "CN"),
    ]


def test_a_file_that_is_not_a_summary_is_refused() -> None:
    with pytest.raises(ValueError, match="definitions"):
        Summary.loads('{"years": {}}')
    with pytest.raises(ValueError, match="not a summary"):
        Summary.loads(
            json.dumps({**json.loads((DATA / "c400_summary.json").read_text()), "years": []})
        )
