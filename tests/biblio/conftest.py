"""Fixtures shared by the report, bundle, demo and notebook tests.

Building the demo dataset, a report and benchmark bundles takes seconds each, and pytest-xdist
runs every worker as its own session, so a module fixture would be built once per worker. The
builds here go into the run's common temporary folder under a lock file instead: the first
worker builds, the others wait and reuse the result.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def _locked(root: Path, name: str) -> Iterator[None]:
    with (root / f"{name}.lock").open("w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - no flock (Windows): -n 2 may build twice
            pass
        yield


@pytest.fixture(scope="session")
def shared_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str, Callable[[Path], None]], Path]:
    """``shared_build(name, build)``: the folder ``name``, filled once per run by ``build``."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent

    def get(name: str, build: Callable[[Path], None]) -> Path:
        folder = root / name
        with _locked(root, name):
            if not (root / f"{name}.done").exists():
                folder.mkdir(parents=True, exist_ok=True)
                build(folder)
                (root / f"{name}.done").touch()
        return folder

    return get


@pytest.fixture(scope="session")
def demo_cache(shared_build: Callable[[str, Callable[[Path], None]], Path]) -> Path:
    """A cache folder holding the ``demo`` dataset, built once per test run."""
    from biblio.io import ensure_dataset

    def build(cache: Path) -> None:
        ensure_dataset("demo", cache)

    return shared_build("demo-cache", build)


def heavy_modules_loaded(imports: str) -> list[str]:
    """Which of igraph, matplotlib and seaborn a fresh interpreter has loaded after ``imports``."""
    code = (
        f"import sys, {imports}\n"
        "print(*sorted(m for m in ('igraph', 'matplotlib', 'seaborn') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()
