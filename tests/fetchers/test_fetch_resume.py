"""``kill -9`` a real ``biblio fetch`` process mid-way, rerun it: the same dataset as one run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from biblio.cli import main
from biblio.dataset.builder import staging_folder
from biblio.dataset.selection import WorkFilter
from tests.fetchers.conftest import fetch_argv
from tests.openalex_server import OpenAlexServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "KILLTESTKEY42"


def _start(server: OpenAlexServer, cache: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENALEX_API_KEY": SECRET}
    command = [
        sys.executable,
        "-m",
        "biblio.cli",
        *fetch_argv(server.url, cache, "--workers", "3", "--no-progress"),
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _parts(cache: Path) -> int:
    parts = staging_folder(cache / "ai") / "parts"
    return sum(1 for p in parts.glob("*/*.arrow") if not p.name.startswith("."))


def _kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` once ``ready()``; False if it finished first (cleanly)."""
    deadline = time.monotonic() + 30
    while not ready():
        if process.poll() is not None:
            assert process.returncode == 0, process.communicate()
            return False
        assert time.monotonic() < deadline, "the fetch made no progress"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)  # reaps it and closes its pipes
    return True


@pytest.mark.slow
def test_kill_9_and_rerun_gives_the_uninterrupted_dataset(
    c400: tuple[list[dict[str, object]], list[dict[str, object]]],
    tmp_path: Path,
    reference: Callable[[WorkFilter], Path],
    same_dataset: Callable[[Path, Path], None],
) -> None:
    cache = tmp_path / "cache"
    # Small pages and a slow server: the fetch takes a few seconds and writes parts on the way.
    with OpenAlexServer(*c400, latency=0.08, max_per_page=4) as server:
        first = _start(server, cache)
        assert _kill_when(first, lambda: _parts(cache) >= 1), "finished before the kill"
        assert not (cache / "ai" / "manifest.json").exists()
        killed_at = _parts(cache)
        second = _start(server, cache)  # killed again a little further on, if it gets there
        if _kill_when(second, lambda: _parts(cache) >= killed_at + 2):
            assert not (cache / "ai" / "manifest.json").exists()
        server.latency = 0.0
        third = _start(server, cache)
        out, err = third.communicate(timeout=60)
        assert third.returncode == 0, err.decode()
        assert out.decode().strip() == f"243 works in {cache / 'ai'}"
        # The same fetch, never interrupted.
        whole = tmp_path / "whole"
        assert main(fetch_argv(server.url, whole, "--no-progress")) == 0
    same_dataset(cache / "ai", whole / "ai")
    same_dataset(cache / "ai", reference(WorkFilter(years=(2015, 2024))))
    assert not staging_folder(cache / "ai").exists()
    leftovers = [p for p in cache.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert all(SECRET.encode() not in p.read_bytes() for p in files)


@pytest.mark.slow
def test_the_command_says_one_line_when_it_stops(
    c400: tuple[list[dict[str, object]], list[dict[str, object]]], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with OpenAlexServer(*c400, budget=6) as server:
        spent = _start(server, cache)
        out, err = spent.communicate(timeout=60)
        assert spent.returncode == 75
        assert out == b""
        (line,) = err.decode().splitlines()
        assert line.startswith("biblio: stopped for now:")
        assert "works are in" in line
        assert "daily budget is spent; rerun the same command after" in line

        server.budget = None
        server.add_fault("reject", status=401, message="API key not found", times=-1)
        rejected = _start(server, cache)
        out, err = rejected.communicate(timeout=60)
        assert rejected.returncode == 1
        assert out == b""
        assert err.decode().splitlines() == [
            "biblio: error: OpenAlex refused the works request (HTTP 401): API key not found; "
            "check the API key (--api-key or OPENALEX_API_KEY)"
        ]
