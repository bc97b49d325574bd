"""Fixtures of the reliability tests: a small dataset to damage, and the CLI run two ways.

``cli`` runs ``biblio.cli.main`` in this process (fast; stderr as the user sees it). ``biblio``
runs ``python -m biblio`` in a fresh process, for faults that need one: a lock held by another
process, a signal, a resource limit, another user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from biblio.cli import main
from tests.contract import build_dataset

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """What a run of the command line gave: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability_cases(*cases): the cases of docs/reliability.md a test checks"
    )


@pytest.fixture(autouse=True)
def _cases_are_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test must check every case it declares (so the document says what a test asserts)."""
    callspec = getattr(request.node, "callspec", None)
    found = [callspec.params["case"]] if callspec and "case" in callspec.params else []
    for mark in request.node.iter_markers("reliability_cases"):
        found += mark.args
    for each in found:
        each.checked = False
    yield
    unchecked = [each.what for each in found if not each.checked]
    assert not unchecked, f"{request.node.nodeid} never checked {unchecked}"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli(*argv)``: ``biblio ARGV`` in this process."""

    def run(*argv: str | Path) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def biblio(
    *argv: str | Path,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    timeout: float = 120,
    **popen: Any,
) -> Run:
    """``python -m biblio ARGV`` in a fresh process, from the repository root.

    ``prefix`` goes before the Python command (e.g. ``setpriv …``); ``popen`` to
    :func:`subprocess.run` (e.g. ``preexec_fn``).
    """
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "biblio", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
        **popen,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def start_biblio(*argv: str | Path) -> subprocess.Popen[str]:
    """``python -m biblio ARGV`` started in a fresh process (as :func:`biblio`), not waited for."""
    return subprocess.Popen(
        [sys.executable, "-m", "biblio", *map(str, argv)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``micro`` contract dataset, built once; tests damage copies of it."""
    cache = tmp_path_factory.mktemp("built")
    return build_dataset("micro", cache)


@pytest.fixture
def dataset(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the micro dataset, ``cache/micro`` under this test's folder."""
    target = tmp_path / "cache" / "micro"
    shutil.copytree(built, target)
    return target
