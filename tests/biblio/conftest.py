"""Fixtures shared by the report, bundle, demo and notebook tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the ``demo`` dataset, built once per test run.

    Under pytest-xdist every worker is its own session; they share one build through a lock
    file in the run's common temporary folder.
    """
    from biblio.demo import ensure_dataset

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    cache = root / "demo-cache"
    with open(root / "demo-cache.lock", "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - no flock (Windows): each worker builds its own
            cache = tmp_path_factory.mktemp("demo-cache")
        ensure_dataset("demo", cache)
    return cache
