"""The copies in ``tests/data`` still equal their originals in the shared specs folder.

The only test that reads the shared folder, and it runs only when that folder is there:
``BIBLIO_SHARED``, else ``shared/`` beside the repository. Every file under ``tests/data`` is a
byte-for-byte copy at the same relative path, except the notices written here (``SOURCES.md``,
``LICENSE``) and the two ``openalex-current`` files, which hold the records that
:func:`current_subset` chooses, each line exactly as in the original.

Rewrite those two files after the original changes with::

    python -m tests.test_data_copies /path/to/shared
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.paths import DATA

REPO = DATA.parents[1]
#: Files written here, not copied.
NOTICES = {"SOURCES.md", "LICENSE"}
#: Files that hold a chosen subset of the original's lines (gzipped JSON Lines).
SUBSETS = ("openalex-current/works.jsonl.gz", "openalex-current/institutions.jsonl.gz")

Record = dict[str, Any]


def find_shared() -> Path | None:
    """The shared specs folder: ``BIBLIO_SHARED``, else ``shared/`` beside the repository."""
    env = os.environ.get("BIBLIO_SHARED")
    candidate = Path(env) if env else REPO.parent / "shared"
    return candidate if (candidate / "contract-examples").is_dir() else None


def _authorships(work: Record) -> list[Record]:
    return work.get("authorships") or []


def _institutions(work: Record) -> list[Record]:
    return [i for a in _authorships(work) for i in a.get("institutions") or []]


def _subfield(work: Record) -> str:
    return str(((work.get("primary_topic") or {}).get("subfield") or {}).get("id"))


def _has_ai_concept(work: Record) -> bool:
    return any(str(c.get("id")).endswith("/C154945302") for c in work.get("concepts") or [])


def _countries_only(work: Record) -> bool:
    return any(a.get("countries") and not a.get("institutions") for a in _authorships(work))


def _null_country(work: Record) -> bool:
    return any("country_code" in i and i["country_code"] is None for i in _institutions(work))


def _lineage_duplicates(work: Record) -> bool:
    lineages = [i.get("lineage") or [] for i in _institutions(work)]
    return any(len(lineage) != len(set(lineage)) for lineage in lineages)


def _corresponding(work: Record) -> int:
    return sum(bool(a.get("is_corresponding")) for a in _authorships(work))


#: (shape, how many, test): for each shape, the first works of the original file that show it.
RULES: tuple[tuple[str, int, Callable[[Record], bool]], ...] = (
    ("is_authors_truncated", 5, lambda w: w.get("is_authors_truncated") is True),
    ("primary topic in subfield 1702", 25, lambda w: _subfield(w).endswith("/1702")),
    ("concept C154945302", 25, _has_ai_concept),
    ("an authorship with countries and no institutions", 10, _countries_only),
    ("an institution with country_code null", 10, _null_country),
    ("a lineage holding duplicates", 10, _lineage_duplicates),
    ("two or more corresponding authors", 5, lambda w: _corresponding(w) >= 2),
    ("no corresponding author", 5, lambda w: bool(_authorships(w)) and not _corresponding(w)),
    ("empty counts_by_year", 5, lambda w: w.get("counts_by_year") == []),
    ("no primary_topic", 5, lambda w: w.get("primary_topic") is None),
    ("no authorships", 5, lambda w: w.get("authorships") == []),
)


def current_subset(
    works: list[bytes], institutions: list[bytes]
) -> tuple[list[bytes], list[bytes]]:
    """The lines of ``openalex-current`` that ``tests/data`` keeps, in their original order.

    Works: the first ones that show each shape of :data:`RULES`. Institutions: those the kept
    works' authorships name, and every one whose ``lineage`` has more than one id.

    >>> works = [b'{"id": "W1", "authorships": []}', b'{"id": "W2", "primary_topic": {}}']
    >>> institutions = [b'{"id": "I1", "lineage": ["I0", "I1"]}', b'{"id": "I2"}']
    >>> current_subset(works, institutions)
    ([b'{"id": "W1", "authorships": []}'], [b'{"id": "I1", "lineage": ["I0", "I1"]}'])
    """
    records = [json.loads(line) for line in works]
    kept: set[int] = set()
    for _, count, test in RULES:
        kept |= set([k for k, r in enumerate(records) if test(r)][:count])
    named = {i.get("id") for k in kept for i in _institutions(records[k])}
    chosen = [
        line
        for line in institutions
        if (r := json.loads(line))["id"] in named or len(r.get("lineage") or []) > 1
    ]
    return [works[k] for k in sorted(kept)], chosen


def gz_lines(path: Path) -> list[bytes]:
    """The lines of a gzipped JSON Lines file."""
    return gzip.decompress(path.read_bytes()).splitlines()


def gz_bytes(lines: Iterable[bytes]) -> bytes:
    """``lines`` as a gzipped JSON Lines file whose bytes do not depend on the time."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
        out.write(b"".join(line + b"\n" for line in lines))
    return buffer.getvalue()


def _chosen(shared: Path) -> dict[str, list[bytes]]:
    works, institutions = current_subset(*(gz_lines(shared / rel) for rel in SUBSETS))
    return dict(zip(SUBSETS, (works, institutions), strict=True))


def test_every_copy_equals_its_original() -> None:
    shared = find_shared()
    if shared is None:
        pytest.skip("the shared specs folder is not beside the repository (nor BIBLIO_SHARED)")
    problems = []
    copies = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.is_file())
    for rel in copies:
        original = shared / rel
        if Path(rel).name in NOTICES or rel in SUBSETS:
            continue
        if not original.is_file():
            problems.append(f"{rel}: no original at {original}")
        elif original.read_bytes() != (DATA / rel).read_bytes():
            problems.append(f"{rel}: differs from {original}")
    for rel, lines in _chosen(shared).items():
        if gz_lines(DATA / rel) != lines:
            problems.append(f"{rel}: not the lines current_subset chooses from {shared / rel}")
    assert not problems, "\n".join(problems)


if __name__ == "__main__":
    source = Path(sys.argv[1])
    for rel, lines in _chosen(source).items():
        (DATA / rel).parent.mkdir(parents=True, exist_ok=True)
        (DATA / rel).write_bytes(gz_bytes(lines))
        print(f"{DATA / rel}: {len(lines)} records")
