"""The report as data: a small, immutable document model that both renderers take.

A :class:`Document` is a title and a sequence of blocks; a :class:`Section` is a titled block
that holds blocks, sections included (a section in a section is a subsection). The other blocks
are the leaves::

    Alert       a warning above everything (the synthetic-data banner)
    Paragraph   sentences, shown as one paragraph
    BulletList  one item per bullet (the headlines, the definitions)
    Table       headers and rows of already-formatted cells
    Figure      a PNG with its file stem, title (the finding), caption, alt text and data (CSV)
    Notes       short lines shown one under the other (numbered sources)
    Code        text shown verbatim (the manifest)

Every string is raw text: the renderers (:func:`biblio.report.markdown.render_markdown`,
:func:`biblio.report.html.render_html`) escape it. Adding a section or a figure to the report is
adding blocks; no renderer changes.

Examples
--------
>>> doc = Document(
...     "AI research in 2024",
...     Section("Headlines", BulletList("China leads.", "The US follows.")),
...     Section("Tables", Section("Works", Table(["unit", "works"], [["CN", 1024]]))),
... )
>>> [s.title for s in doc.sections()]
['Headlines', 'Tables', 'Works']
>>> doc.blocks[1].blocks[0].blocks[0].rows
(('CN', '1024'),)
>>> Paragraph("One.", "Two.").text
'One. Two.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "Alert",
    "Block",
    "BulletList",
    "Code",
    "Document",
    "Figure",
    "Notes",
    "Paragraph",
    "Section",
    "Table",
]

_FIGURE_NAME = re.compile(r"[a-z0-9_-]+")


@dataclass(frozen=True)
class Alert:
    """A warning shown before everything else (the synthetic-data banner)."""

    text: str


@dataclass(frozen=True, init=False)
class Paragraph:
    """Sentences shown as one paragraph: ``Paragraph("One.", "Two.")``."""

    sentences: tuple[str, ...]

    def __init__(self, *sentences: str) -> None:
        object.__setattr__(self, "sentences", sentences)

    @property
    def text(self) -> str:
        """The sentences joined by a space."""
        return " ".join(self.sentences)


@dataclass(frozen=True, init=False)
class BulletList:
    """One bullet per item: ``BulletList("first", "second")``."""

    items: tuple[str, ...]

    def __init__(self, *items: str) -> None:
        object.__setattr__(self, "items", items)


@dataclass(frozen=True, init=False)
class Notes:
    """Short lines shown one under the other, e.g. the numbered sources under a table."""

    lines: tuple[str, ...]

    def __init__(self, *lines: str) -> None:
        object.__setattr__(self, "lines", lines)


@dataclass(frozen=True, init=False)
class Table:
    """Headers and rows; every cell is kept as text (format numbers before, see
    :mod:`biblio.report.format`).

    >>> Table(["a", "b"], [[1, None]]).rows
    (('1', 'None'),)
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __init__(self, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        object.__setattr__(self, "headers", tuple(headers))
        object.__setattr__(self, "rows", tuple(tuple(str(c) for c in row) for row in rows))


@dataclass(frozen=True)
class Figure:
    """A rendered figure: its file stem (``[a-z0-9_-]+``, also the HTML id), PNG bytes, its
    title (the finding) and its caption; optionally its alt text (the figure's key values in
    words; the title when empty) and its data as CSV text, written beside the image as
    ``<name>.csv`` and linked under it."""

    name: str
    png: bytes
    title: str
    caption: str
    alt: str = ""
    data: str = ""

    def __post_init__(self) -> None:
        if not _FIGURE_NAME.fullmatch(self.name):
            raise ValueError(f"figure name {self.name!r}: use lower-case letters, digits, _ and -")


@dataclass(frozen=True)
class Code:
    """Text shown verbatim, never interpreted (e.g. the manifest as JSON)."""

    text: str
    language: str = ""


@dataclass(frozen=True, init=False)
class Section:
    """A titled block holding blocks: ``Section("Figures", fig1, fig2)``."""

    title: str
    blocks: tuple[Block, ...]

    def __init__(self, title: str, *blocks: Block) -> None:
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "blocks", blocks)


Block = Alert | Paragraph | BulletList | Notes | Table | Figure | Code | Section


@dataclass(frozen=True, init=False)
class Document:
    """A titled sequence of blocks: ``Document("Title", Alert(…), Section(…), …)``."""

    title: str
    blocks: tuple[Block, ...]

    def __init__(self, title: str, *blocks: Block) -> None:
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "blocks", blocks)

    def walk(self) -> Iterator[Block]:
        """Every block, depth first, sections before their blocks."""

        def visit(blocks: Sequence[Block]) -> Iterator[Block]:
            for block in blocks:
                yield block
                if isinstance(block, Section):
                    yield from visit(block.blocks)

        return visit(self.blocks)

    def sections(self) -> list[Section]:
        """Every section and subsection, in document order."""
        return [b for b in self.walk() if isinstance(b, Section)]

    def figures(self) -> list[Figure]:
        """Every figure, in document order (the files to write beside the Markdown)."""
        return [b for b in self.walk() if isinstance(b, Figure)]
