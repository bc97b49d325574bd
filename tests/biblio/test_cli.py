"""``python -m biblio`` as a user meets it: version, help on every option, exit statuses."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from biblio import __version__
from biblio.cli import _parser

REPO = Path(__file__).resolve().parents[2]


def biblio(*argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m biblio ARGV`` in a fresh process, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "biblio", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )


def _commands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_version() -> None:
    done = biblio("--version")
    assert (done.returncode, done.stdout) == (0, f"biblio {__version__}\n")


def test_help_ends_with_the_exit_statuses() -> None:
    done = biblio("--help")
    assert done.returncode == 0
    tail = done.stdout[done.stdout.index("exit status:") :]
    statuses = re.findall(r"^  (\d+) +(.+)$", tail, flags=re.MULTILINE)
    assert [int(code) for code, _ in statuses] == [0, 1, 2, 75, 130]
    meaning = dict(statuses)
    assert meaning["0"] == "done"
    assert meaning["1"].startswith("runtime failure")
    assert meaning["2"].startswith("bad usage or input")
    assert "daily budget is spent" in meaning["75"]
    assert "rerun the same" in meaning["75"]
    assert tail.rstrip().endswith("rerun the same command to resume")
    for command in _commands():
        assert re.search(rf"^    {command} +\S", done.stdout, flags=re.MULTILINE), command


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_has_help(command: str) -> None:
    done = biblio(command, "--help")
    assert done.returncode == 0, done.stderr
    for action in _commands()[command]._actions:
        assert action.help, (command, action.dest)
        assert action.help != argparse.SUPPRESS, (command, action.dest)
        for option in action.option_strings:
            assert option in done.stdout, (command, option)


def test_top_level_options_have_help() -> None:
    for action in _parser()._actions:
        assert action.help, action.dest
        assert action.help != argparse.SUPPRESS, action.dest


def test_usage_errors_exit_2_on_one_line_without_a_traceback(tmp_path: Path) -> None:
    for argv in [(), ("metrics",), ("--no-such-option",), ("fetch", "--name", "x", "--years", "y")]:
        done = biblio(*argv)
        assert done.returncode == 2, argv
        assert done.stderr.startswith("usage: biblio")
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith("biblio"), argv
    done = biblio("--cache", str(tmp_path), "metrics", "nope", "--out", str(tmp_path / "m"))
    assert done.returncode == 2
    assert done.stderr.startswith("biblio: error: dataset 'nope' not found")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "m").exists()
