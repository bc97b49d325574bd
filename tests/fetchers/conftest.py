"""Fixtures for the fetcher tests: the c400 corpus, a local OpenAlex server, a quick retry policy.

Everything runs against 127.0.0.1; no test needs the network or an API key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fetchers.http import RetryPolicy
from tests.openalex_server import OpenAlexServer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
C400 = SHARED / "contract-examples" / "c400"
SAMPLES = SHARED / "openalex-samples"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def c400() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The c400 contract corpus: (works, institutions) in OpenAlex's record shape."""
    if not C400.exists():
        pytest.skip(f"{C400} is not there (the shared specs folder)")
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
