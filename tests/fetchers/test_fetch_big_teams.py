"""Author lists cut at 100 by the list endpoint: refetched whole, the fetch equals the snapshot.

The local OpenAlex cuts list records at 100 authorships with ``is_authors_truncated: true`` and
serves ``/works/W…`` whole, as OpenAlex does; the snapshot holds whole records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from biblio.cli import main
from biblio.dataset.builder import staging_folder
from biblio.dataset.selection import WorkFilter
from biblio.errors import BudgetExhausted
from fetchers.api import fetch_dataset
from fetchers.http import OpenAlexClient, RetryPolicy
from fetchers.query import Query
from fetchers.snapshot import write_entity
from tests.fetchers.big_teams import FAR_COUNTRY, big_team_corpus, big_team_ids
from tests.fetchers.conftest import assert_same_dataset, fetch_argv, reference_dataset
from tests.openalex_server import OpenAlexServer

Records = list[dict[str, Any]]
FILTERS = WorkFilter(years=(2015, 2024))
QUICK = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, read_timeout=2.0)


@pytest.fixture(scope="module")
def corpus(c400: tuple[Records, Records]) -> tuple[Records, Records]:
    return big_team_corpus(*c400)


def _snapshot(root: Path, works: Records, institutions: Records) -> Path:
    def lines(records: Records) -> list[bytes]:
        return [json.dumps(r, ensure_ascii=False).encode() for r in records]

    write_entity(root, "works", {"updated_date=2025-06-01/part_000.gz": lines(works)})
    write_entity(root, "institutions", {"updated_date=2025-06-01/part_000.gz": lines(institutions)})
    return root


def _tables(folder: Path, out: Path) -> dict[str, pl.DataFrame]:
    assert main(["metrics", str(folder), "--years", "2015-2024", "--out", str(out)]) == 0
    return {p.stem: pl.read_parquet(p) for p in sorted(out.glob("*.parquet"))}


def test_the_list_endpoint_cuts_and_the_single_work_does_not(
    corpus: tuple[Records, Records],
) -> None:
    works, institutions = corpus
    big = big_team_ids(works)[0]
    with OpenAlexServer(works, institutions) as server, OpenAlexClient(rate=100) as client:
        listed = client.get(Query(server.url).filter(openalex_id=big).select("id", "authorships"))
        whole = client.get(Query(server.url).select("id", "authorships").single(big))
        assert server.single_calls() == 1
        assert server.list_calls() == 1
    (record,) = [json.loads(line) for line in listed.results.splitlines()]
    assert len(record["authorships"]) == 100
    assert len(json.loads(whole.results)["authorships"]) == 101
    assert b"\n" not in whole.results


def test_a_fetch_of_big_teams_equals_the_snapshot_ingest_tables_too(
    corpus: tuple[Records, Records], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    works, institutions = corpus
    root = _snapshot(tmp_path / "snapshot", works, institutions)
    ingested = tmp_path / "ingested"
    ingest = ["ingest", str(root), "--name", "ai", "--cache", str(ingested)]
    assert main([*ingest, "--years", "2015-2024", "--no-progress"]) == 0
    fetched = tmp_path / "fetched"
    with OpenAlexServer(works, institutions) as server:
        assert main(fetch_argv(server.url, fetched, "--no-progress")) == 0
        singles, lists = server.single_calls(), server.list_calls()
    capsys.readouterr()
    assert_same_dataset(fetched / "ai", ingested / "ai")
    # Nothing of a big team is lost: the authorships beyond the 100th, their institutions.
    authorships = pl.read_ipc(fetched / "ai" / "authorships.arrow")
    per_work = authorships.group_by("work_id").len()
    assert per_work["len"].max() == 400
    assert FAR_COUNTRY in set(authorships["countries"].explode().drop_nulls())
    insts = pl.read_ipc(fetched / "ai" / "institutions.arrow")
    assert {"I88000000", "I88000001", "I88000002"} <= set(insts["institution_id"])
    # One single-work call per cut list record, counted apart; none in the list calls.
    manifest = json.loads((fetched / "ai" / "manifest.json").read_text())
    cut = big_team_ids(works)
    assert manifest["works_fetched_whole"] == len(cut) == singles == manifest["single_work_calls"]
    assert manifest["list_calls"] == lists
    assert manifest["api_calls"] == lists + singles
    # And so every table of METRICS.md.
    ours = _tables(fetched / "ai", tmp_path / "out-fetched")
    theirs = _tables(ingested / "ai", tmp_path / "out-ingested")
    assert ours.keys() == theirs.keys()
    assert len(ours) > 5
    for name, table in ours.items():
        assert_frame_equal(table, theirs[name], check_row_order=True)


def test_cut_records_without_the_flag_are_found_by_their_100_authorships(
    corpus: tuple[Records, Records], tmp_path: Path
) -> None:
    works, institutions = corpus
    with OpenAlexServer(works, institutions, cut_flag=False) as server:
        manifest = fetch_dataset(
            tmp_path / "x", filters=FILTERS, base_url=server.url, rate=100, workers=3, retry=QUICK
        )
    assert manifest["works_fetched_whole"] == len(big_team_ids(works))
    assert_same_dataset(
        tmp_path / "x", reference_dataset(tmp_path / "ref", works, institutions, FILTERS)
    )


def test_a_budget_spent_on_a_whole_work_keeps_it_pending_never_cut(
    corpus: tuple[Records, Records],
    tmp_path: Path,
    same_dataset: Callable[[Path, Path], None],
) -> None:
    works, institutions = corpus
    big = big_team_ids(works)[2]
    final = tmp_path / "x"
    options: dict[str, Any] = {"rate": 100, "workers": 2, "retry": QUICK, "per_page": 10}
    with OpenAlexServer(works, institutions) as server:
        server.add_fault("budget", path=f"/works/{big}")
        with pytest.raises(BudgetExhausted):
            fetch_dataset(final, filters=FILTERS, base_url=server.url, **options)
        # The cut record was not written: the work is pending, to be fetched whole.
        parts = staging_folder(final) / "parts" / "works"
        staged = pl.read_ipc(sorted(parts.glob("*.arrow")))
        assert big not in set(staged["work_id"])
        pending = [
            json.loads(p.read_text())["pending"]
            for p in (staging_folder(final) / "fetch" / "partitions").glob("*.json")
        ]
        assert [big] in pending
        server.reset()
        manifest = fetch_dataset(final, filters=FILTERS, base_url=server.url, **options)
    assert manifest["works_fetched_whole"] == len(big_team_ids(works))
    same_dataset(final, reference_dataset(tmp_path / "ref", works, institutions, FILTERS))
