"""``--refresh`` over several days: resumed, not restarted; the old dataset stays until the end."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from biblio.dataset.builder import staging_folder
from biblio.errors import BudgetExhausted
from biblio.io import file_sha256, open_dataset, publish_dataset, write_manifest, write_table
from biblio.schema import INSTITUTIONS, empty_table
from tests.fetchers.conftest import SMALL_FETCH_FILTERS, reference_dataset, small_fetch
from tests.openalex_server import OpenAlexServer

Records = list[dict[str, Any]]
Same = Callable[[Path, Path], None]


def _revised(works: Records) -> Records:
    """The records a day later: some titles revised (with a newer ``updated_date``)."""
    return [
        {**w, "title": f"Revised: {w.get('title')}", "updated_date": "2031-01-01T00:00:00.000000"}
        if i % 3 == 0
        else w
        for i, w in enumerate(works)
    ]


def _checksums(folder: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def test_an_interrupted_refresh_continues_and_the_old_dataset_stays_until_it_ends(
    c400: tuple[Records, Records], tmp_path: Path, same_dataset: Same
) -> None:
    works, institutions = c400
    final = tmp_path / "ai"
    new = _revised(works)
    with OpenAlexServer(new, institutions) as fresh:  # the refresh in one go, for its cost
        small_fetch(fresh, tmp_path / "one-go")
        one_go = fresh.list_calls()
    with OpenAlexServer(works, institutions) as server:
        small_fetch(server, final)
        old = _checksums(final)
        old_works = open_dataset(final).works.collect()
        server.replace_works(new)
        server.reset()
        server.budget = one_go // 2
        with pytest.raises(BudgetExhausted):
            small_fetch(server, final, refresh=True)
        day_one = server.list_calls()
        # Mid-refresh: the previous dataset is complete, readable and unchanged.
        assert _checksums(final) == old
        assert_frame_equal(open_dataset(final).works.collect(), old_works)
        plan = json.loads((staging_folder(final) / "fetch" / "plan.json").read_text())
        assert plan["refresh"] is True
        # A plain fetch meanwhile returns the finished dataset, and leaves the refresh be.
        assert (
            small_fetch(server, final)["created"]
            == json.loads((final / "manifest.json").read_text())["created"]
        )
        server.reset()
        server.budget = None
        manifest = small_fetch(server, final, refresh=True)
        day_two = server.list_calls()
    assert day_one + day_two <= 1.25 * one_go, (day_one, day_two, one_go)
    assert day_two < one_go  # continued, not started again
    same_dataset(final, reference_dataset(tmp_path / "ref", new, institutions, SMALL_FETCH_FILTERS))
    same_dataset(final, tmp_path / "one-go")
    assert manifest["list_calls"] >= day_one + day_two
    assert not staging_folder(final).exists()


def test_a_refresh_drops_an_unfinished_plain_fetch(
    c400: tuple[Records, Records], tmp_path: Path, same_dataset: Same
) -> None:
    final = tmp_path / "ai"
    with OpenAlexServer(*c400, budget=20) as server:
        with pytest.raises(BudgetExhausted):
            small_fetch(server, final)
        server.reset()
        server.budget = None
        small_fetch(server, final, refresh=True)
        assert server.list_calls() > 40  # started again
    same_dataset(final, reference_dataset(tmp_path / "ref", *c400, SMALL_FETCH_FILTERS))


def _dataset(folder: Path, tag: str) -> Path:
    write_table(empty_table(INSTITUTIONS), folder / "institutions.arrow", INSTITUTIONS)
    write_manifest(folder, {"source": tag})
    return folder


def test_publishing_replaces_a_dataset_in_one_step(tmp_path: Path) -> None:
    final = _dataset(tmp_path / "ai", "first")
    seen: list[str] = []
    missing: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.append(json.loads((final / "manifest.json").read_text())["source"])
            except (OSError, ValueError):
                missing.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(200):
            publish_dataset(_dataset(tmp_path / f".stage-{i}", f"v{i}"), final)
    finally:
        done.set()
        reader.join()
    assert not missing
    assert seen
    assert json.loads((final / "manifest.json").read_text())["source"] == "v199"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ai"]
