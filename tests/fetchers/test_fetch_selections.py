"""Several definitions of AI work in one fetch: one query each, merged, each work tagged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from biblio.cli import main
from biblio.dataset.selection import Selection, WorkFilter
from biblio.errors import BudgetExhausted
from fetchers.api import fetch_dataset
from fetchers.http import RetryPolicy
from tests.fetchers.conftest import fetch_argv
from tests.openalex_server import OpenAlexServer

Records = list[dict[str, Any]]
Reference = Callable[[WorkFilter], Path]
Same = Callable[[Path, Path], None]
TWO = (Selection.parse("subfield:1702"), Selection.parse("concept:C154945302"))


def test_two_definitions_equal_the_ingest_of_the_same_records(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    argv = fetch_argv(server.url, cache, "--no-progress")
    for selection in TWO:
        argv += ["--selection", str(selection)]
    assert main(argv) == 0
    filters = WorkFilter(selections=TWO, years=(2015, 2024))
    same_dataset(cache / "ai", reference(filters))
    works = pl.read_ipc(cache / "ai" / "works.arrow")
    tags = works["selections"].to_list()
    assert sum(1 for t in tags if t == ["subfield:1702", "concept:C154945302"]) > 100
    assert ["concept:C154945302"] in tags
    assert ["subfield:1702"] in tags
    assert works.height > 243
    assert works["work_id"].is_unique().all()
    # One query per definition, each with the raw fields that tag the works.
    pages = [r for r in server.requests if r["_path"] == "/works" and r.get("cursor")]
    assert {r["filter"].split(",")[0] for r in pages} == {s.api_filter for s in TWO}
    assert all("concepts" in r["select"].split(",") for r in pages)
    manifest = json.loads((cache / "ai" / "manifest.json").read_text())
    assert manifest["filters"]["selections"] == [str(s) for s in TWO]
    assert [f.split(",")[0] for f in manifest["api_filters"]] == [s.api_filter for s in TWO]
    # OpenAlex's own counts are those of the first definition: they agree with its works.
    validation = manifest["validation"]
    assert validation["agree"] == validation["country_years"] > 0
    assert "country-years agree" in capsys.readouterr().err


def test_two_definitions_resume_after_a_budget_stop(
    c400: tuple[Records, Records], tmp_path: Path, reference: Reference, same_dataset: Same
) -> None:
    filters = WorkFilter(selections=TWO, years=(2015, 2024))
    options: dict[str, Any] = {
        "rate": 100,
        "workers": 2,
        "per_page": 10,
        "retry": RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05),
    }
    final = tmp_path / "x"
    with OpenAlexServer(*c400, budget=25) as server:
        with pytest.raises(BudgetExhausted):
            fetch_dataset(final, filters=filters, base_url=server.url, **options)
        server.reset()
        server.budget = None
        manifest = fetch_dataset(final, filters=filters, base_url=server.url, **options)
        pages = [r for r in server.requests if r["_path"] == "/works" and r.get("cursor")]
        rerun = {r["filter"].split(",")[0] for r in pages}
    assert rerun == {s.api_filter for s in TWO}  # both definitions were left to finish
    assert manifest["partitions"] > 2
    same_dataset(final, reference(filters))
