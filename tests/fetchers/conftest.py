"""Fixtures for the fetcher tests: the c400 corpus, a local OpenAlex server, a quick retry policy.

Everything runs against 127.0.0.1; no test needs the network or an API key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from biblio.dataset.builder import DatasetBuilder
from biblio.dataset.normalise import read_institutions, read_works, short_id
from biblio.dataset.selection import WorkFilter
from biblio.io import open_dataset
from fetchers.api import fetch_dataset
from fetchers.http import RetryPolicy
from tests.openalex_server import OpenAlexServer
from tests.paths import CONTRACT_EXAMPLES, OPENALEX_SAMPLES

C400 = CONTRACT_EXAMPLES / "c400"
SAMPLES = OPENALEX_SAMPLES


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def c400() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The c400 contract corpus: (works, institutions) in OpenAlex's record shape."""
    return load_jsonl(C400 / "works.jsonl"), load_jsonl(C400 / "institutions.jsonl")


@pytest.fixture
def server(c400: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> Iterator[OpenAlexServer]:
    """A local OpenAlex serving c400, started for one test."""
    works, institutions = c400
    with OpenAlexServer(works, institutions) as running:
        yield running


@pytest.fixture
def quick() -> RetryPolicy:
    """Retries that give up within a second, for tests."""
    return RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, read_timeout=2.0)


def _dataset_tables(folder: Path) -> dict[str, pl.DataFrame]:
    """The three tables of a finished dataset, sorted so that two datasets compare as sets."""
    dataset = open_dataset(folder)
    keys = {
        "works": ["work_id"],
        "authorships": ["work_id", "author_index"],
        "institutions": ["institution_id"],
    }
    return {name: getattr(dataset, name).collect().sort(by) for name, by in keys.items()}


def assert_same_dataset(left: Path, right: Path) -> None:
    """Equal works, authorships and institutions (as sets of rows), and no duplicated work."""
    a, b = _dataset_tables(left), _dataset_tables(right)
    for name in a:
        assert_frame_equal(a[name], b[name], check_row_order=True)
    assert a["works"]["work_id"].is_unique().all()
    assert a["institutions"]["institution_id"].is_unique().all()


# The c400 years, fetched in small pages and parts: many pages, several partitions in flight,
# parts written often (the multi-day and refresh tests).
SMALL_FETCH_FILTERS = WorkFilter(years=(2015, 2024))
SMALL_FETCH: dict[str, Any] = {
    "rate": 100,
    "workers": 3,
    "per_page": 5,
    "pages_per_part": 2,
    "retry": RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, read_timeout=2.0),
}


def small_fetch(server: OpenAlexServer, final: Path, **extra: Any) -> dict[str, Any]:
    """:func:`fetchers.api.fetch_dataset` of ``server`` into ``final`` with :data:`SMALL_FETCH`."""
    return fetch_dataset(
        final, filters=SMALL_FETCH_FILTERS, base_url=server.url, **{**SMALL_FETCH, **extra}
    )


def fetch_argv(server_url: str, cache: Path, *extra: str) -> list[str]:
    """The ``biblio fetch`` arguments of the c400 years from a local server into ``cache/ai``."""
    return [
        "fetch", "--name", "ai", "--cache", str(cache), "--years", "2015-2024",
        "--base-url", server_url, "--rate", "100", *extra,
    ]  # fmt: skip


def reference_dataset(
    final: Path,
    works: list[dict[str, Any]],
    institutions: list[dict[str, Any]],
    filters: WorkFilter,
) -> Path:
    """Build the dataset a fetch or an ingest should give, straight from records (no HTTP).

    Works pass the same filters; institutions are those the kept authorships name plus every
    ancestor in their lineages that has a record.
    """
    builder = DatasetBuilder(final, filters=replace(filters, apply_selection=True))
    data = "\n".join(json.dumps(w) for w in works).encode()
    builder.add_works(read_works(data, selections=filters.selections), part="all")
    by_id = {short_id(i["id"]): i for i in institutions}
    authorships = builder.authorships_so_far()
    assert authorships is not None
    todo = set(
        authorships.select(pl.col("institution_ids").explode())
        .drop_nulls()
        .collect()
        .to_series()
        .to_list()
    )
    seen: set[str] = set()
    while todo:
        seen |= todo
        found = [by_id[i] for i in todo if i in by_id]
        todo = {short_id(a) for r in found for a in r.get("lineage") or []} - seen
    kept = [by_id[i] for i in sorted(seen) if i in by_id]
    if kept:
        builder.add_institutions(
            read_institutions("\n".join(json.dumps(r) for r in kept).encode()), part="inst"
        )
    builder.finish({"source": "reference"})
    return final


@pytest.fixture
def reference(
    c400: tuple[list[dict[str, Any]], list[dict[str, Any]]], tmp_path: Path
) -> Callable[[WorkFilter], Path]:
    """:func:`reference_dataset` of the c400 records, for the given filters."""
    works, institutions = c400

    def build(filters: WorkFilter) -> Path:
        final = tmp_path / "reference" / f"ref-{abs(hash(filters))}"
        return reference_dataset(final, works, institutions, filters)

    return build


@pytest.fixture
def same_dataset() -> Callable[[Path, Path], None]:
    """:func:`assert_same_dataset`, for test modules."""
    return assert_same_dataset


@pytest.fixture
def dataset_tables() -> Callable[[Path], dict[str, pl.DataFrame]]:
    """The sorted tables of a finished dataset, for test modules."""
    return _dataset_tables
