"""The HTML renderer: a :class:`~biblio.report.document.Document` as one self-contained page.

The page has its CSS inline, figures embedded as base64 PNG (and their data as a ``data:`` link),
no script and no external reference, so it opens from disk with no network. The document title
is the ``<h1>`` (and the ``<title>``), sections are ``<h2>``, subsections one deeper (at most
``<h6>``). Every string goes through :func:`~biblio.report.format.html_escape`; the renderer
writes only the tags below::

    Alert       <p class="synthetic" role="alert">
    Paragraph   <p>            BulletList  <ul><li>       Table  <table><thead><tbody><tr><th><td>
    Figure      <figure id="<name>"><img alt="<alt or title>" src="data:image/png;base64,…">
                <figcaption>, with <a download href="data:text/csv;base64,…"> when it has data
    Notes       <p> with <br>  Code        <pre>          Section  <h2>…<h6>

Examples
--------
>>> from biblio.report.document import Alert, Document, Paragraph, Section
>>> page = render_html(Document("Title", Alert("synthetic"), Section("A & B", Paragraph("<x>"))))
>>> print(page[page.index("<body>"):])
<body>
<h1>Title</h1>
<p class="synthetic" role="alert">synthetic</p>
<h2>A &amp; B</h2>
<p>&lt;x&gt;</p>
</body>
</html>
<BLANKLINE>
"""

from __future__ import annotations

import base64
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
from biblio.report.format import html_escape as esc

__all__ = ["CSS", "html_table", "render_html"]

#: The page's style sheet, inline in ``<style>``.
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:68rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}figure{margin:1.5rem 0}figure img{max-width:100%}
figcaption{font-size:.85rem;color:#444}
.synthetic{background:#fff3cd;border:2px solid #c59a00;padding:.8rem 1rem;font-weight:600}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;font-size:.8rem}
""".strip()


def html_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table; every cell is escaped.

    >>> html_table(["name"], [["<b>x</b>"]])
    '<table>\\n<thead><tr><th>name</th></tr></thead>\\n<tbody>\\n<tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr>\\n</tbody>\\n</table>'
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _block(block: Block, level: int) -> str:
    match block:
        case Section():
            tag = f"h{min(level, 6)}"
            children = (_block(b, level + 1) for b in block.blocks)
            return "\n".join([f"<{tag}>{esc(block.title)}</{tag}>", *children])
        case Paragraph():
            return f"<p>{esc(block.text)}</p>"
        case BulletList():
            return "<ul>" + "".join(f"<li>{esc(item)}</li>" for item in block.items) + "</ul>"
        case Table():
            return html_table(block.headers, block.rows)
        case Figure():
            png = base64.b64encode(block.png).decode("ascii")
            link = ""
            if block.data:
                csv = base64.b64encode(block.data.encode("utf-8")).decode("ascii")
                link = (
                    f' <a download="{block.name}.csv" '
                    f'href="data:text/csv;charset=utf-8;base64,{csv}">Data of this figure (CSV)</a>'
                )
            return (
                f'<figure id="{block.name}"><img alt="{esc(block.alt or block.title)}" '
                f'src="data:image/png;base64,{png}">\n'
                f"<figcaption>{esc(block.caption)}{link}</figcaption></figure>"
            )
        case Notes():
            return "<p>" + "<br>".join(esc(line) for line in block.lines) + "</p>"
        case Code():
            return f"<pre>{esc(block.text)}</pre>"
        case Alert():
            return f'<p class="synthetic" role="alert">{esc(block.text)}</p>'
    raise TypeError(f"no HTML for {type(block).__name__}")


def render_html(document: Document) -> str:
    """The document as a complete HTML page (UTF-8, ending with a newline)."""
    body = "\n".join([f"<h1>{esc(document.title)}</h1>", *(_block(b, 2) for b in document.blocks)])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(document.title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )
