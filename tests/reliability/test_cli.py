"""The command line never shows a traceback (unless asked) and never shows the API key."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fetchers.http import scrub
from tests.fetchers.conftest import C400, fetch_argv, load_jsonl
from tests.openalex_server import OpenAlexServer
from tests.reliability.cases import Case, case, cases, uses
from tests.reliability.conftest import ROOT, Run, start_biblio

BROKEN_IGRAPH = (
    "import sys; sys.modules['igraph'] = None; import biblio.cli as c; sys.exit(c.main())"
)

UNEXPECTED = case(
    "cli",
    "an unexpected exception: a broken installation (igraph cannot be imported) during "
    "`biblio metrics`",
    sees="biblio: error: unexpected ModuleNotFoundError: import of igraph halted; None in "
    "sys.modules (rerun with --debug to see the traceback)",
    exit=1,
)
DEBUG = case(
    "cli",
    "the same with `--debug`",
    sees="Traceback (most recent call last):\n…\nModuleNotFoundError: import of igraph halted; "
    "None in sys.modules\nbiblio: error: unexpected ModuleNotFoundError: import of igraph "
    "halted; None in sys.modules (the traceback is above)",
    exit=1,
    note="the one case that shows a traceback, because it was asked for",
    traceback=True,
)


@cases(UNEXPECTED, DEBUG)
def test_an_unexpected_error_is_one_line(case: Case, dataset: Path, tmp_path: Path) -> None:
    debug = ["--debug"] if case is DEBUG else []
    out = str(tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-c", BROKEN_IGRAPH, *debug, "metrics", str(dataset), "--out", out],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    case.check(done.returncode, done.stderr)
    assert not Path(out).exists()


@pytest.fixture(scope="module")
def c400() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return load_jsonl(C400 / "works.jsonl"), load_jsonl(C400 / "institutions.jsonl")


@pytest.fixture
def server(
    c400: tuple[list[dict[str, object]], list[dict[str, object]]],
) -> Iterator[OpenAlexServer]:
    with OpenAlexServer(*c400) as running:
        yield running


WARNING = (
    "biblio: warning: --api-key is visible to other users of this machine in the process list; "
    "set OPENALEX_API_KEY instead"
)
REFUSED = (
    "biblio: error: OpenAlex refused the works request (HTTP 401): {message}; check the API key "
    "(--api-key or OPENALEX_API_KEY)"
)
KEY_ARGUMENT = case(
    "cli",
    "`--api-key KEY` on the command line (the server then refuses the key)",
    sees=WARNING + "\n" + REFUSED.format(message="API key not found"),
    exit=1,
)
KEY_ENVIRONMENT = case(
    "cli",
    "the key in `OPENALEX_API_KEY` instead (the server refuses it)",
    sees=REFUSED.format(message="API key not found"),
    exit=1,
    note="no warning",
)
SHORT_KEY = case(
    "cli",
    "a two-letter key (`ex`) that the server's message quotes, among words holding those letters",
    sees=REFUSED.format(message="Invalid API key ***: max retries exceeded"),
    exit=1,
    note="the key is masked, `exceeded` is not",
)
KEY_IN_URL = case(
    "cli",
    "a server message that echoes the request URL with its `api_key`",
    sees=REFUSED.format(message="bad request /works?api_key=***&per_page=100"),
    exit=1,
)
KEYS = {
    KEY_ARGUMENT: ("SECRETKEY42", "API key not found", True),
    KEY_ENVIRONMENT: ("SECRETKEY42", "API key not found", False),
    SHORT_KEY: ("ex", "Invalid API key ex: max retries exceeded", False),
    KEY_IN_URL: ("K-9f8e", "bad request /works?api_key=K-9f8e&per_page=100", False),
}


@cases(*KEYS)
def test_the_key_is_never_shown(
    case: Case,
    server: OpenAlexServer,
    tmp_path: Path,
    cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, message, on_command_line = KEYS[case]
    server.add_fault("reject", status=401, message=message, times=-1)
    if on_command_line:
        monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
        run = cli(*fetch_argv(server.url, tmp_path, "--no-progress", "--api-key", key))
    else:
        monkeypatch.setenv("OPENALEX_API_KEY", key)
        run = cli(*fetch_argv(server.url, tmp_path, "--no-progress"))
    case.check(run.code, run.err)
    if len(key) > 2:
        assert key not in run.err


BUDGET = case(
    "cli",
    "the API's daily budget is already spent",
    sees="biblio: stopped for now: 0 works are in …; the OpenAlex daily budget is spent; rerun "
    "the same command after … UTC to resume",
    exit=75,
)
RATE = case(
    "cli",
    "`biblio fetch --rate 0`",
    sees="biblio: error: --rate 0.0: must be above 0 and at most 100",
    exit=2,
)
WORKERS = case(
    "cli",
    "`biblio fetch --workers 0`",
    sees="biblio: error: --workers 0: use at least 1",
    exit=2,
)


@cases(BUDGET, RATE, WORKERS)
def test_fetch_refusals(
    case: Case,
    c400: tuple[list[dict[str, object]], list[dict[str, object]]],
    tmp_path: Path,
    cli: Callable[..., Run],
) -> None:
    extra = {BUDGET: [], RATE: ["--rate", "0"], WORKERS: ["--workers", "0"]}[case]
    with OpenAlexServer(*c400, budget=0) as server:
        argv = fetch_argv(server.url, tmp_path, "--no-progress")
        if case is RATE:
            argv.remove("--rate")
            argv.remove("100")
        run = cli(*argv, *extra)
    case.check(run.code, run.err)


INTERRUPTED = case(
    "cli",
    "Ctrl-C (SIGINT) in the middle of a fetch",
    sees="biblio: interrupted; progress so far is kept, rerun to resume",
    exit=130,
)


@uses(INTERRUPTED)
def test_ctrl_c_is_one_line(
    c400: tuple[list[dict[str, object]], list[dict[str, object]]], tmp_path: Path
) -> None:
    with OpenAlexServer(*c400, latency=0.05, max_per_page=4) as server:
        process = start_biblio(*fetch_argv(server.url, tmp_path, "--no-progress"))
        deadline = time.monotonic() + 60
        while server.calls("/works") < 5:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    INTERRUPTED.check(process.returncode, err)


NO_DATASET = case(
    "cli",
    "`biblio metrics nope`: no such dataset",
    sees="biblio: error: dataset 'nope' not found at … (run `biblio fetch` or `biblio ingest` "
    "first)",
    exit=2,
)
NO_YEAR = case(
    "cli",
    "`biblio report DATASET --year 1900`: a year the dataset does not have",
    sees="biblio: error: --year 1900: the dataset has works in …",
    exit=2,
)
NO_SNAPSHOT = case(
    "cli",
    "`biblio ingest /no/such/folder --name ai`",
    sees="biblio: error: …/no/such/folder: not a folder; give the folder of the OpenAlex snapshot",
    exit=2,
)
NO_GROUPS = case(
    "cli",
    "`--groups` names a file that does not exist",
    sees="biblio: error: --groups …: cannot read (No such file or directory)",
    exit=2,
)


@cases(NO_DATASET, NO_YEAR, NO_SNAPSHOT, NO_GROUPS)
def test_missing_things(case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]) -> None:
    out = tmp_path / "out"
    argv: list[str | Path] = {
        NO_DATASET: ["--cache", tmp_path, "metrics", "nope", "--out", out],
        NO_YEAR: ["report", dataset, "--year", "1900", "--out", out],
        NO_SNAPSHOT: ["ingest", tmp_path / "no/such/folder", "--name", "ai", "--cache", tmp_path],
        NO_GROUPS: ["metrics", dataset, "--groups", tmp_path / "g.toml", "--out", out],
    }[case]
    run = cli(*argv)
    case.check(run.code, run.err)
    assert not out.exists()


KEY_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def _standalone(key: str, text: str) -> bool:
    """Whether ``key`` stands in ``text`` as a word of its own (not inside a longer word)."""
    return re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text) is not None


@settings(max_examples=300, deadline=None)
@given(
    key=st.text(KEY_CHARACTERS, min_size=1, max_size=12),
    text=st.text(max_size=80)
    | st.lists(
        st.sampled_from(["Max", "retries", "exceeded", "ex", "x", "key", ":", "/", "="]), max_size=8
    ).map(" ".join),
)
@example(key="x", text="Max retries exceeded")
@example(key="ex", text="Invalid API key ex: max retries exceeded")
def test_scrub_masks_the_key_and_nothing_else(key: str, text: str) -> None:
    scrubbed = scrub(text, key)
    assert not _standalone(key, scrubbed)
    if not _standalone(key, text) and "api_key=" not in text.lower():
        assert scrubbed == text  # no fragment of another word is masked
    url = f"https://api.openalex.org/works?api_key={key}&per_page=25"
    in_url = scrub(f"{text} {url}", key)
    assert "?api_key=***&" in in_url
    assert not _standalone(key, in_url)
