"""The Markdown renderer: a :class:`~biblio.report.document.Document` as ``report.md`` text.

The document title is a level-1 heading, its sections level 2, subsections one deeper (at most
6). Blocks are separated by one blank line; every string goes through
:func:`~biblio.report.format.md_escape`, except :class:`~biblio.report.document.Code`, which is
fenced and shown verbatim. A figure is a heading with its finding, the image linked as
``<figures_dir>/<name>.png`` (its alt text, or the finding, as the image text), its caption in
italics and, when it has data, a link to ``<figures_dir>/<name>.csv``.

Examples
--------
>>> from biblio.report.document import BulletList, Document, Section
>>> print(render_markdown(Document("A *title*", Section("Headlines", BulletList("x < y")))))
# A \\*title\\*
<BLANKLINE>
## Headlines
<BLANKLINE>
- x &lt; y
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Sequence

from biblio.report.document import (
    Alert,
    Block,
    BulletList,
    Code,
    Document,
    Figure,
    Notes,
    Paragraph,
    Section,
    Table,
)
from biblio.report.format import md_escape

__all__ = ["md_table", "render_markdown"]


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; every cell is escaped with :func:`~biblio.report.format.md_escape`.

    >>> print(md_table(["unit", "works"], [["CN", "1,024"], ["A|B", "—"]]))
    | unit | works |
    |---|---|
    | CN | 1,024 |
    | A\\|B | — |
    """
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _heading(level: int, text: str) -> str:
    return f"{'#' * min(level, 6)} {md_escape(text)}"


def _block(block: Block, level: int, figures_dir: str) -> str:
    match block:
        case Section():
            children = (_block(b, level + 1, figures_dir) for b in block.blocks)
            return "\n\n".join([_heading(level, block.title), *children])
        case Paragraph():
            return md_escape(block.text)
        case BulletList():
            return "\n".join(f"- {md_escape(item)}" for item in block.items)
        case Table():
            return md_table(block.headers, block.rows)
        case Figure():
            alt = md_escape(block.alt or block.title)
            parts = [
                _heading(level, block.title),
                f"![{alt}]({figures_dir}/{block.name}.png)",
                f"*{md_escape(block.caption)}*",
            ]
            if block.data:
                parts.append(f"[Data of this figure (CSV)]({figures_dir}/{block.name}.csv)")
            return "\n\n".join(parts)
        case Notes():
            # Two trailing spaces: a line break inside one paragraph.
            return "\n".join(f"{md_escape(line)}  " for line in block.lines)
        case Code():
            text = block.text.replace("```", "'''")  # a fence inside would close the block
            return f"```{block.language}\n{text}\n```"
        case Alert():
            return f"> **{md_escape(block.text)}**"
    raise TypeError(f"no Markdown for {type(block).__name__}")


def render_markdown(document: Document, *, figures_dir: str = "figures") -> str:
    """The document as Markdown, ending with a newline; figures link ``figures_dir/<name>.png``."""
    blocks = (_block(b, 2, figures_dir) for b in document.blocks)
    return "\n\n".join([_heading(1, document.title), *blocks]) + "\n"
