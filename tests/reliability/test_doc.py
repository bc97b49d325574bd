"""docs/reliability.md is the registry of cases, rendered; every case is declared by a test."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from tests.reliability.cases import DOC, declared, registry, render


def test_the_document_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/reliability.md is stale: run `python -m tests.reliability.cases`"
    )


def test_every_case_is_declared_by_a_test() -> None:
    found: set[int] = set()
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"tests.reliability.{path.stem}")
        for name, test in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_"):
                found |= {id(c) for c in declared(test)}
    missing = [c.what for c in registry() if id(c) not in found]
    assert missing == []


def test_there_are_forty_cases_or_more() -> None:
    assert len(registry()) >= 40
