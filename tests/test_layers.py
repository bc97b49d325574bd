"""Imports run one way: ``fetchers`` (sources of records) → ``biblio`` (datasets, metrics, reports).

Only the command line, which runs the fetch, ingest and demo sources, may import ``fetchers``
from inside ``biblio``; the schema imports nothing of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_biblio_imports_fetchers_only_from_the_cli() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] == "fetchers"
        )
        for path in (ROOT / "biblio").rglob("*.py")
        if path.name != "cli.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_schema_imports_nothing_of_ours() -> None:
    ours = {
        n
        for n in _imports(ROOT / "biblio" / "schema.py")
        if n.split(".")[0] in ("biblio", "fetchers")
    }
    assert ours == set()
