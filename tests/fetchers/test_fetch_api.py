"""``biblio fetch`` end to end against the local OpenAlex: the dataset equals a direct build."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from biblio.cli import main
from biblio.dataset.builder import staging_folder
from biblio.dataset.selection import Selection, WorkFilter
from biblio.errors import BudgetExhausted, FetchError, RequestRejected, UsageError
from biblio.progress import Progress
from fetchers.api import fetch_dataset
from fetchers.http import RetryPolicy
from tests.fetchers.conftest import fetch_argv
from tests.openalex_server import OpenAlexServer

YEARS = (2015, 2024)
DEFAULT = WorkFilter(years=YEARS, apply_selection=False)
Reference = Callable[[WorkFilter], Path]
Same = Callable[[Path, Path], None]


def _fetch(server: OpenAlexServer, final: Path, filters: WorkFilter = DEFAULT, **options: object):
    settings: dict[str, object] = {
        "rate": 100.0,
        "workers": 4,
        "progress": None,
        "retry": RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, read_timeout=2.0),
    }
    settings.update(options)
    return fetch_dataset(final, filters=filters, base_url=server.url, **settings)  # type: ignore[arg-type]


def test_cli_fetch_equals_a_direct_build(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    status = main(fetch_argv(server.url, cache, "--no-progress"))
    assert status == 0
    assert capsys.readouterr().out.strip() == f"243 works in {cache / 'ai'}"
    same_dataset(cache / "ai", reference(DEFAULT))
    manifest = json.loads((cache / "ai" / "manifest.json").read_text())
    assert manifest["source"] == server.url
    assert manifest["api_calls"] == server.calls()
    assert manifest["selection"] == "subfield:1702"
    assert manifest["years"] == [2015, 2024]
    assert manifest["records"]["works"] == 243
    assert not staging_folder(cache / "ai").exists()
    # Every works request asked for the schema's fields, 100 a page, with cursor paging.
    pages = [r for r in server.requests if r["_path"] == "/works" and r.get("cursor")]
    assert {r["per_page"] for r in pages} == {"100"}
    assert all(r["filter"].startswith("primary_topic.subfield.id:1702,") for r in pages)


@pytest.mark.parametrize(
    ("selection", "types"),
    [("topic-subfield:1702", ()), ("concept:C154945302", ()), ("subfield:1702", ("article",))],
)
def test_other_selections_and_types(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
    selection: str,
    types: tuple[str, ...],
) -> None:
    filters = WorkFilter(selections=(Selection.parse(selection),), years=YEARS, types=types)
    manifest = _fetch(server, tmp_path / "x", filters)
    assert manifest is not None
    same_dataset(tmp_path / "x", reference(filters))
    assert manifest["api_filter"].startswith(Selection.parse(selection).api_filter)


def test_large_years_are_split_into_date_ranges(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
) -> None:
    manifest = _fetch(server, tmp_path / "x", split_above=10, per_page=5, pages_per_part=2)
    assert manifest is not None
    assert manifest["partitions"] > 20
    same_dataset(tmp_path / "x", reference(DEFAULT))
    ranged = [r for r in server.requests if "from_publication_date" in r.get("filter", "")]
    assert ranged
    assert all("to_publication_date" in r["filter"] for r in ranged)
    # Paging stops on the short last page once meta.count works are in: no empty trailing
    # page per partition (only when the count is a multiple of per_page).
    table = server.tables["works"]
    paged = [r["filter"] for r in server.requests if r["_path"] == "/works" and "cursor" in r]
    for text in set(paged):
        assert paged.count(text) == len(table.matches[text]) // 5 + 1
    assert manifest["api_calls"] == server.calls()


def test_resume_after_an_error_restarts_partitions_from_their_cursor(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
) -> None:
    final = tmp_path / "x"
    server.add_fault("reject", status=403, skip=40, times=-1, path="/works")
    with pytest.raises(RequestRejected, match="HTTP 403"):
        _fetch(server, final, per_page=3, pages_per_part=1, workers=2)
    parts = list((staging_folder(final) / "parts" / "works").glob("*.arrow"))
    assert parts
    assert not final.exists()
    first_run = server.calls()
    server.reset()
    manifest = _fetch(server, final, per_page=3, pages_per_part=1, workers=2)
    assert manifest is not None
    same_dataset(final, reference(DEFAULT))
    # The rerun did not fetch again what the first run had saved.
    assert server.calls() < 243 / 3 + 30
    assert manifest["api_calls"] == first_run + server.calls()


def test_a_server_that_keeps_failing_keeps_progress(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
) -> None:
    final = tmp_path / "x"
    server.add_fault("error", status=500, skip=25, times=-1)
    with pytest.raises(FetchError, match=r"kept failing.*rerun later to resume"):
        _fetch(server, final, per_page=5, pages_per_part=1)
    assert list((staging_folder(final) / "parts" / "works").glob("*.arrow"))
    server.reset()
    assert _fetch(server, final, per_page=5, pages_per_part=1) is not None
    same_dataset(final, reference(DEFAULT))


def test_budget_spent_stops_cleanly_and_a_rerun_finishes(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
) -> None:
    final = tmp_path / "x"
    server.budget = 30
    with pytest.raises(BudgetExhausted) as stopped:
        _fetch(server, final, per_page=5, pages_per_part=1)
    line = str(stopped.value)
    assert "works are in" in line
    assert "budget is spent; rerun the same command after" in line
    assert "\n" not in line
    assert stopped.value.exit_code == 75
    assert not final.exists()
    in_so_far = int(line.split("stopped for now: ")[1].split(" works")[0].replace(",", ""))
    assert 0 < in_so_far < 243
    server.budget = None
    server.reset()
    manifest = _fetch(server, final, per_page=5, pages_per_part=1)
    assert manifest is not None
    same_dataset(final, reference(DEFAULT))


def test_a_finished_dataset_is_not_refetched_unless_refresh(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
) -> None:
    final = tmp_path / "x"
    first = _fetch(server, final)
    calls = server.calls()
    assert _fetch(server, final) == first
    assert server.calls() == calls
    with pytest.raises(UsageError, match="other filters"):
        _fetch(server, final, WorkFilter(years=(2020, 2024)))
    refreshed = _fetch(server, final, refresh=True)
    assert refreshed is not None
    assert server.calls() > calls
    same_dataset(final, reference(DEFAULT))


def test_an_unfinished_fetch_of_another_query_is_not_mixed_in(
    server: OpenAlexServer, tmp_path: Path
) -> None:
    final = tmp_path / "x"
    server.add_fault("reject", status=401, skip=15, times=-1)
    with pytest.raises(RequestRejected):
        _fetch(server, final, per_page=5, pages_per_part=1)
    server.reset()
    with pytest.raises(UsageError, match="unfinished fetch of another query"):
        _fetch(server, final, WorkFilter(years=(2016, 2024)), per_page=5)
    assert _fetch(server, final, WorkFilter(years=(2016, 2024)), refresh=True) is not None


def test_institutions_and_every_ancestor_are_fetched_in_batches(
    server: OpenAlexServer,
    tmp_path: Path,
    reference: Reference,
    same_dataset: Same,
    dataset_tables: Callable[[Path], dict[str, pl.DataFrame]],
) -> None:
    final = tmp_path / "x"
    assert _fetch(server, final) is not None
    asked = [r for r in server.requests if r["_path"] == "/institutions"]
    assert asked
    assert all(r["filter"].startswith("openalex_id:") for r in asked)
    assert all(len(r["filter"].split("|")) <= 100 for r in asked)
    ref = reference(DEFAULT)
    tables = dataset_tables(final)
    named = set(tables["authorships"]["institution_ids"].explode().drop_nulls())
    have = set(tables["institutions"]["institution_id"])
    ancestors = set(tables["institutions"]["lineage"].explode()) - named
    assert ancestors
    assert ancestors <= have
    same_dataset(final, ref)


def test_progress_is_reported_through_the_callback(server: OpenAlexServer, tmp_path: Path) -> None:
    seen: list[Progress] = []
    _fetch(server, tmp_path / "x", progress=seen.append)
    works = [p for p in seen if p.phase == "works"]
    assert works[0].done == 0
    assert works[-1].done == works[-1].total == 243
    assert [p.done for p in works] == sorted(p.done for p in works)
    assert "API calls" in works[-1].note
    institutions = [p for p in seen if p.phase == "institutions"]
    assert institutions
    assert institutions[-1].done == institutions[-1].total


def test_cli_progress_in_a_log_is_plain_lines(
    server: OpenAlexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--cache", str(tmp_path), "fetch", "--name", "x", "--years", "2015-2024"]
    assert main([*argv, "--base-url", server.url, "--rate", "100", "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err  # stderr is not a terminal: no bar redraws
    assert any(line.startswith("works: 243 of 243 works (100%)") for line in err.splitlines())


def test_works_dated_outside_their_year_are_reported_when_a_year_is_split(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def work(i: int, date: str | None) -> dict[str, object]:
        return {
            "id": f"https://openalex.org/W{i}",
            "publication_year": 2020,
            "publication_date": date,
            "primary_topic": {
                "id": "https://openalex.org/T1",
                "subfield": {"id": "https://openalex.org/subfields/1702"},
            },
        }

    records = [work(i, f"2020-{1 + i % 12:02d}-15") for i in range(30)]
    records += [work(90, "2019-12-31"), work(91, None)]
    with OpenAlexServer(records) as server, caplog.at_level(logging.WARNING):
        manifest = _fetch(
            server, tmp_path / "x", WorkFilter(years=(2020, 2020)), split_above=10, per_page=2
        )
    assert manifest is not None
    assert manifest["partitions"] == 4
    assert manifest["records"]["works"] == 30
    assert any("publication_year 2020: 2 of its 32 works" in r.getMessage() for r in caplog.records)
