"""A fetch over several days of budget: exit 75, dead cursors, resume cost, ``--plan``.

Costs are list calls as the local OpenAlex charged them (a single work is free), compared with
the same fetch run in one go against a fresh server.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from biblio.cli import main
from biblio.dataset.builder import staging_folder
from biblio.errors import BudgetExhausted
from biblio.io import open_dataset
from tests.fetchers.big_teams import big_team_corpus
from tests.fetchers.conftest import SMALL_FETCH_FILTERS, fetch_argv, reference_dataset, small_fetch
from tests.openalex_server import OpenAlexServer

Records = list[dict[str, Any]]
Same = Callable[[Path, Path], None]


@pytest.fixture(scope="module")
def corpus(c400: tuple[Records, Records]) -> tuple[Records, Records]:
    return big_team_corpus(*c400)


def _one_go(corpus: tuple[Records, Records], final: Path) -> int:
    """List calls of the whole fetch in one go, against a fresh server."""
    with OpenAlexServer(*corpus) as server:
        small_fetch(server, final)
        return server.list_calls()


def test_budget_stop_exits_75_with_one_line(
    corpus: tuple[Records, Records], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    with OpenAlexServer(*corpus, budget=5) as server:
        assert main(fetch_argv(server.url, cache, "--no-progress", "--workers", "2")) == 75
        charged = server.list_calls()
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    found = re.fullmatch(
        r"biblio: stopped for now: ([\d,]+) works are in (\S+); ([\d,]+) list calls used today; "
        r"the OpenAlex daily budget is spent; rerun the same command after "
        r"(\d{4}-\d\d-\d\d \d\d:\d\d)( \S+)? to resume",
        line,
    )
    assert found, line
    works, folder, used = int(found[1].replace(",", "")), found[2], int(found[3].replace(",", ""))
    assert 0 < works < 249
    assert folder == str(staging_folder(cache / "ai"))
    # Every try counts, the ones the budget refused too: one a thread at most, in the list pool
    # and in the pool of whole-work calls (2 workers each), so at most 4 beyond the charged.
    assert charged <= used <= charged + 2 * 2
    assert not (cache / "ai").exists()


def test_two_days_with_dead_cursors_cost_at_most_a_quarter_more(
    corpus: tuple[Records, Records], tmp_path: Path, same_dataset: Same
) -> None:
    one_go = _one_go(corpus, tmp_path / "one-go")
    final = tmp_path / "two-days"
    with OpenAlexServer(*corpus, budget=one_go // 2) as server:
        with pytest.raises(BudgetExhausted):
            small_fetch(server, final)
        day_one = server.list_calls()
        server.reset()  # the next day: a new budget, and every saved cursor refused
        server.expire_cursors()
        server.budget = None
        manifest = small_fetch(server, final)
        day_two = server.list_calls()
    assert day_one == one_go // 2
    assert day_one + day_two <= 1.25 * one_go, (day_one, day_two, one_go)
    same_dataset(final, tmp_path / "one-go")
    assert manifest["list_calls"] >= day_one + day_two


def test_cursors_refused_mid_run_cost_about_a_page_each(
    corpus: tuple[Records, Records], tmp_path: Path, same_dataset: Same
) -> None:
    one_go = _one_go(corpus, tmp_path / "one-go")
    with OpenAlexServer(*corpus) as server:
        server.add_fault("cursor", skip=5, times=4)
        small_fetch(server, tmp_path / "x")
        calls = server.list_calls()
        refused = [r for r in server.requests if r.get("cursor") not in (None, "*")]
    same_dataset(tmp_path / "x", tmp_path / "one-go")
    # Each refusal: the refused call, about a page of overlap, one count of the partition.
    assert len(refused) > 4
    assert calls <= one_go + 4 * 3


def test_citation_counts_changing_overnight_lose_no_work(
    corpus: tuple[Records, Records], tmp_path: Path
) -> None:
    works, institutions = corpus
    # Many works share their last sort values but for the citation count: ties inside a date.
    same_day = [{**w, "publication_date": f"{w['publication_year']}-06-01"} for w in works]
    final = tmp_path / "x"
    with OpenAlexServer(same_day, institutions, budget=30) as server:
        with pytest.raises(BudgetExhausted):
            small_fetch(server, final)
        server.reset()
        server.budget = None
        later = [
            {**w, "cited_by_count": 1000 - int(w.get("cited_by_count") or 0)} for w in same_day
        ]
        server.replace_works(later)
        small_fetch(server, final)
    got = open_dataset(final).works.collect()
    want = reference_dataset(tmp_path / "ref", later, institutions, SMALL_FETCH_FILTERS)
    expected = open_dataset(want).works.collect()
    assert got["work_id"].is_unique().all()
    assert set(got["work_id"]) == set(expected["work_id"])
    before = {w["id"].rsplit("/", 1)[-1]: w.get("cited_by_count") for w in same_day}
    after = {w["id"].rsplit("/", 1)[-1]: w.get("cited_by_count") for w in later}
    for work_id, cited in zip(got["work_id"], got["cited_by_count"], strict=True):
        assert cited in (before[work_id], after[work_id])


def test_plan_counts_without_fetching(
    corpus: tuple[Records, Records], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    works, _ = corpus
    cache = tmp_path / "cache"
    with OpenAlexServer(*corpus, budget=40) as server:
        assert main([*fetch_argv(server.url, cache), "--plan"]) == 0
        assert server.list_calls() == 1
        assert server.requests[0]["group_by"] == "publication_year"
    assert not cache.exists()  # nothing written
    lines = capsys.readouterr().out.splitlines()
    ai = [
        w
        for w in works
        if "subfields/1702" in str(w.get("primary_topic")) and 2015 <= w["publication_year"] <= 2024
    ]
    assert lines[0] == f"subfield:1702: {len(ai):,} works"
    per_year = {int(y): int(n.replace(",", "")) for y, n in (x.split() for x in lines[1:11])}
    assert per_year == Counter(w["publication_year"] for w in ai)
    calls = int(re.search(r"list calls needed: about ([\d,]+)", lines[11])[1])  # type: ignore[index]
    assert calls >= math.ceil(len(ai) / 100)
    days = 1 + math.ceil((calls - 39) / 40)
    assert re.fullmatch(
        rf"budget: 39 of 40 list calls left today \(resets .+\): {days} days of budget", lines[12]
    )


def test_the_plan_is_the_first_line_of_a_fetch_and_a_resumed_plan_counts_what_is_left(
    corpus: tuple[Records, Records], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    with OpenAlexServer(*corpus, budget=15) as server:
        assert main(fetch_argv(server.url, cache, "--workers", "2")) == 75
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith("plan: 249 works (2015: ")
        assert "list calls left today" in err[0]
        assert err[-1].startswith("biblio: stopped for now")
        server.reset()
        assert main([*fetch_argv(server.url, cache), "--plan"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"already fetched: about ([\d,]+) works", out)
    assert found
    assert int(found[1].replace(",", "")) > 0


def test_the_exit_statuses_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["fetch", "--help"])
    help_text = capsys.readouterr().out
    for status in ("0", "1", "2", "75"):
        assert re.search(rf"^  {status} ", help_text, re.MULTILINE), status
    assert "--plan" in help_text


def test_calls_are_saved_across_runs(corpus: tuple[Records, Records], tmp_path: Path) -> None:
    final = tmp_path / "x"
    with OpenAlexServer(*corpus, budget=20) as server:
        with pytest.raises(BudgetExhausted):
            small_fetch(server, final)
        saved = json.loads((staging_folder(final) / "fetch" / "calls.json").read_text())
        assert saved["list_calls"] >= 20
        assert sum(saved["list_calls_by_day"].values()) >= 20
        server.reset()
        server.budget = None
        manifest = small_fetch(server, final)
    assert manifest["list_calls"] >= 20 + server.list_calls()
