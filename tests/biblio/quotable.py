"""Checks that a report's numbers are safe to quote: every share printed with its count.

Used by the report and the bundle tests on the Markdown they write.

>>> bare_shares("12.4 % of China's AI works (73 of 589); 12.1 % without those")
['12.1 % without those']
"""

from __future__ import annotations

import re

__all__ = ["bare_shares", "tables_of", "unquotable_text"]

_SHARE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?) %")
_COUNT_BEFORE = re.compile(r"\d[\d,.]*(?: AI works)? \($")  # "589 AI works (24.5 %"
_COUNT_AFTER = (
    re.compile(r" \(\d"),  # "24.1 % (10,496.8 of 43,591 citations)", "6.3 % (2,768)"
    re.compile(r" of (?:the |their )?(?:≈ )?\d"),  # "24.5 % of the 2,401", "4 % of their ≈ 57,000"
    re.compile(r"[^;()|%]{0,60}?\d[\d,.]* of \d"),  # "12.1 % without those, 71 of 587"
    re.compile(r"[^;()|%]{0,30}\(\d[\d,.]* of \d"),  # "16.0 % in 2017 (838.8 of 5,231 citations)"
    re.compile(r" of [^;()|%]{0,60}\(\d[\d,.]* of \d"),  # "14.0 % of the UK's AI works (17 of 121)"
    re.compile(r" (?:full|fractional) counting \(\d"),  # "28.1 % full counting (12,264 citations)"
)


def _section(md: str, title: str) -> str:
    return md.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def bare_shares(text: str) -> list[str]:
    """The shares in ``text`` printed without the count they rest on (with some context)."""
    bare = []
    for found in _SHARE.finditer(text):
        if found[1] == "100":  # "shares sum to more than 100 %": no finding
            continue
        before, after = text[: found.start()], text[found.end() :]
        if _COUNT_BEFORE.search(before) or any(p.match(after) for p in _COUNT_AFTER):
            continue
        bare.append(text[max(0, found.start() - 50) : found.end() + 30].split("; ")[-1])
    return bare


def tables_of(md: str) -> list[list[list[str]]]:
    """Every Markdown table of ``md``: header then rows, as cells."""
    tables, rows = [], []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            if not line.startswith("|---"):
                rows.append([c.strip() for c in line.strip("|").split(" | ")])
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def unquotable_text(md: str) -> list[str]:
    """Shares printed without their counts in the headlines, figure titles and tables of ``md``.

    A share alone in a table cell is fine when its row holds a count; the published figures'
    own column is shown as published.
    """
    texts = [line[2:] for line in _section(md, "Headlines").splitlines() if line[:2] == "- "]
    texts += [line[4:] for line in _section(md, "Figures").splitlines() if line[:4] == "### "]
    bad = [b for text in texts for b in bare_shares(text)]
    number = re.compile(r"\d[\d,]*(?:\.\d)?")
    for header, *rows in tables_of(md):
        skip = {i for i, h in enumerate(header) if h == "published"}
        for row in rows:
            cells = [c for i, c in enumerate(row) if i not in skip]
            for cell in cells:
                if re.fullmatch(r"\d+\.\d %", cell):
                    if not any(number.fullmatch(c) for c in cells):
                        bad.append(" | ".join(row))
                elif re.search(r"[a-z]", cell):
                    bad += bare_shares(cell)
    return bad
