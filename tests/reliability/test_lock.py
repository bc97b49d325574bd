"""One writer per dataset, with real processes: a second writer is refused at once, naming the
first; the first finishes undisturbed; ``kill -9`` leaves no stale lock."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from biblio.io import open_dataset
from biblio.lock import lock_path
from fetchers.snapshot import write_entity
from tests.fetchers.conftest import C400, assert_same_dataset, fetch_argv, load_jsonl
from tests.openalex_server import OpenAlexServer
from tests.reliability.cases import Case, case, uses
from tests.reliability.conftest import Run, biblio, start_biblio

BUSY = (
    "biblio: error: dataset 'ai' is being written by process … ({what} since … UTC); wait for "
    "it to finish (or stop it: a fetch or ingest resumes when rerun), then rerun"
)
SECOND_FETCH = case(
    "lock",
    "a second `biblio fetch` of a dataset while the first runs (two processes)",
    sees=BUSY.format(what="fetch"),
    exit=2,
    note="at once; the first finishes undisturbed with every work",
)
INGEST_DURING_FETCH = case(
    "lock",
    "`biblio ingest` into a dataset that a fetch is writing",
    sees=BUSY.format(what="fetch"),
    exit=2,
)
REFRESH_DURING_FETCH = case(
    "lock",
    "`biblio fetch --refresh` of a dataset that a fetch is writing",
    sees=BUSY.format(what="fetch"),
    exit=2,
    note="the running fetch's staging folder is not discarded",
)
#: The one line a finished fetch prints on stderr: OpenAlex's own counts beside the dataset's.
VALIDATED = "validation: … of … country-years agree with OpenAlex's own counts"
AFTER_KILL = case(
    "lock",
    "the writer killed with `kill -9`, then the same fetch run again",
    sees=VALIDATED,
    exit=0,
    note="the kernel released the lock: no stale lock to remove; the fetch resumes",
)


def _holding(process: subprocess.Popen[str], cache: Path) -> None:
    """Wait until ``process`` holds the lock of ``cache/ai`` (its pid is in the lock file)."""
    deadline = time.monotonic() + 60
    lock = lock_path(cache / "ai")
    while not (lock.exists() and f"process {process.pid} " in lock.read_text()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the fetch never took the lock"
        time.sleep(0.02)


def _check_refused(case: Case, run: Run, first: subprocess.Popen[str]) -> None:
    case.check(run.code, run.err)
    assert f"process {first.pid} (fetch since" in run.err
    assert first.poll() is None, "the second writer was refused only after the first ended"


@uses(SECOND_FETCH, INGEST_DURING_FETCH, REFRESH_DURING_FETCH)
def test_one_writer_at_a_time(tmp_path: Path) -> None:
    works, institutions = load_jsonl(C400 / "works.jsonl"), load_jsonl(C400 / "institutions.jsonl")
    cache = tmp_path / "cache"
    snapshot = tmp_path / "snapshot"
    write_entity(snapshot, "works", {"updated_date=2024-01-01/part_000.gz": []})
    write_entity(snapshot, "institutions", {})
    # Small pages and a slow server: the fetch takes several seconds.
    with OpenAlexServer(works, institutions, latency=0.05, max_per_page=4) as server:
        first = start_biblio(*fetch_argv(server.url, cache, "--workers", "2", "--no-progress"))
        try:
            _holding(first, cache)
            second = biblio(*fetch_argv(server.url, cache, "--no-progress"))
            _check_refused(SECOND_FETCH, second, first)
            ingest = biblio("ingest", snapshot, "--name", "ai", "--cache", cache, "--no-progress")
            _check_refused(INGEST_DURING_FETCH, ingest, first)
            refresh = biblio(*fetch_argv(server.url, cache, "--refresh", "--no-progress"))
            _check_refused(REFRESH_DURING_FETCH, refresh, first)
            out, err = first.communicate(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == 0, err
        assert out == f"243 works in {cache / 'ai'}\n"
        assert re.fullmatch(VALIDATED.replace("…", r"\d+") + "\n", err), err
        server.latency = 0.0
        whole = tmp_path / "whole"
        assert biblio(*fetch_argv(server.url, whole, "--no-progress")).code == 0
    assert_same_dataset(cache / "ai", whole / "ai")


@uses(AFTER_KILL)
def test_kill_9_leaves_no_stale_lock(tmp_path: Path) -> None:
    works, institutions = load_jsonl(C400 / "works.jsonl"), load_jsonl(C400 / "institutions.jsonl")
    cache = tmp_path / "cache"
    with OpenAlexServer(works, institutions, latency=0.05, max_per_page=4) as server:
        first = start_biblio(*fetch_argv(server.url, cache, "--workers", "2", "--no-progress"))
        _holding(first, cache)
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)
        assert lock_path(cache / "ai").exists()  # the file stays; the lock went with the process
        server.latency = 0.0
        again = biblio(*fetch_argv(server.url, cache, "--no-progress"))
    AFTER_KILL.check(again.code, again.err)
    assert again.out == f"243 works in {cache / 'ai'}\n"
    assert open_dataset(cache / "ai").manifest["records"]["works"] == 243
