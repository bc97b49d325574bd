"""The registry of bad inputs and faults the reliability tests try, rendered as docs/reliability.md.

Each :class:`Case` says what goes wrong, what the user then sees on stderr and the exit status.
A test declares its cases, as the ``case`` parameter (:func:`cases`: one run per case) or with
:func:`uses` (one run that brings about several), and calls :meth:`Case.check` on what really
happened; the autouse fixture in ``conftest.py`` fails a test that leaves a declared case
unchecked, and ``test_doc.py`` fails when a case is declared by no test. So the document, which
:func:`render` writes from this registry, says only what a test asserts.

``sees`` is the whole of stderr, line by line; ``…`` stands for any text within a line (a path,
a process id), and a line that is only ``…`` for any number of lines (none included). An empty
``sees`` means stderr stays empty.

Run ``python -m tests.reliability.cases`` to rewrite ``docs/reliability.md`` after changing a
case; ``test_doc.py`` fails while the document is stale.
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"

#: Sections of the document, in order.
AREAS = {
    "data": "Datasets on disk: verified reads",
    "names": "Dataset names",
    "out": "Output folders",
    "lock": "One writer per dataset",
    "cli": "The command line: no tracebacks, no key",
    "records": "OpenAlex records (fuzzed with hypothesis)",
    "options": "Options (fuzzed with hypothesis)",
    "ingest": "Interrupted writers",
}


@dataclass(eq=False)
class Case:
    """A bad input or fault, what the user sees on stderr, and the exit status."""

    area: str
    what: str
    sees: str
    exit: int
    note: str = ""
    traceback: bool = False
    checked: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        assert self.area in AREAS, self.area

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.what.lower()).strip("-")[:60]

    def pattern(self) -> re.Pattern[str]:
        text = ""
        for number, line in enumerate(self.lines()):
            if line == "…":  # any number of whole lines, none included
                text += "(?:\n.*)*" if number else "(?:.*\n)*"
            else:
                text += ("\n" if number and not text.endswith("*") else "") + ".*?".join(
                    map(re.escape, line.split("…"))
                )
        return re.compile(text)

    def lines(self) -> list[str]:
        return self.sees.split("\n") if self.sees else []

    def check(self, exit_status: int, stderr: str) -> None:
        """Assert that a run exited with :attr:`exit` and printed exactly :attr:`sees`."""
        self.checked = True
        assert ("Traceback" in stderr) == self.traceback, stderr
        assert exit_status == self.exit, (exit_status, stderr)
        text = stderr.rstrip("\n")
        assert self.pattern().fullmatch(text), f"stderr {text!r} is not {self.sees!r}"


_REGISTRY: dict[str, Case] = {}


def case(
    area: str, what: str, *, sees: str, exit: int, note: str = "", traceback: bool = False
) -> Case:
    """Register a case (once per ``what``) and return it, for :func:`cases` or :func:`uses`."""
    found = Case(area, what, sees, exit, note, traceback)
    known = _REGISTRY.setdefault(found.what, found)
    same = (known.area, known.sees, known.exit, known.note, known.traceback)
    assert same == (area, sees, exit, note, traceback), f"two cases named {what!r}"
    return known


def cases(*found: Case) -> pytest.MarkDecorator:
    """``@cases(a, b)``: the test runs once per case, as its ``case`` argument."""
    return pytest.mark.parametrize("case", found, ids=[c.id for c in found])


def uses(*found: Case) -> pytest.MarkDecorator:
    """``@uses(a, b)``: the test brings about each of these cases in one run and checks each."""
    return pytest.mark.reliability_cases(*found)


def declared(test: object) -> list[Case]:
    """The cases a test function declares, by :func:`cases` or :func:`uses`."""
    found: list[Case] = []
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "reliability_cases":
            found += mark.args
        elif mark.name == "parametrize" and mark.args[0] == "case":
            found += mark.args[1]
    return found


def registry() -> list[Case]:
    """Every case of every test module of this folder, in document order."""
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        importlib.import_module(f"tests.reliability.{path.stem}")
    order = list(AREAS)
    return sorted(_REGISTRY.values(), key=lambda c: order.index(c.area))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _code(text: str) -> str:
    """A Markdown code span; double backticks when the text holds one."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _seen(c: Case) -> str:
    if not c.sees:
        return "nothing on stderr"
    return "<br>".join(_code(line) for line in c.lines())


def render() -> str:
    """docs/reliability.md, from the registry."""
    out = [
        "# Reliability: what each bad input or fault does",
        "",
        "Generated from the tests by `python -m tests.reliability.cases`; do not edit by hand "
        "(`tests/reliability/test_doc.py` fails when this file is stale). Every row is a case "
        "a test in `tests/reliability/` brings about for real and checks: the exit status and "
        "the whole of stderr. `…` stands for any text within a line (a path, a number).",
        "",
        "Exit statuses: 0 done, 1 runtime failure, 2 bad usage or input, 75 stopped for now "
        "(rerun later to resume), 130 interrupted. No case shows a Python traceback; "
        "`--debug` does, on purpose.",
        "",
    ]
    number = 0
    listed = registry()
    for area, title in AREAS.items():
        rows = [c for c in listed if c.area == area]
        if not rows:
            continue
        out += [f"## {title}", "", "| # | bad input or fault | what the user sees | exit |"]
        out += ["|---|---|---|---|"]
        for c in rows:
            number += 1
            what = _cell(c.what + (f"; {c.note}" if c.note else ""))
            out.append(f"| {number} | {what} | {_cell(_seen(c))} | {c.exit} |")
        out.append("")
    out.append(f"{number} cases.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from tests.reliability import cases as registered  # the module the tests register into

    DOC.write_text(registered.render(), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
