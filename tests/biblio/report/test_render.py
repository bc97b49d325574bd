"""The two renderers on a tiny document: each block kind, nesting, escaping."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser

import pytest

from biblio.report.document import (
    Alert,
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
from biblio.report.html import render_html
from biblio.report.markdown import render_markdown

PNG = b"\x89PNG\r\n\x1a\n tiny"
HOSTILE = "<script>alert(1)</script> & a|b *c* _d_ [e](f) `g` #h"
TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "h5", "h6"}
TAGS |= {"p", "ul", "li", "figure", "img", "figcaption", "table", "thead", "tbody", "tr"}
TAGS |= {"th", "td", "pre", "br"}


def tiny() -> Document:
    return Document(
        "Title",
        Alert("Synthetic."),
        Section(
            "Headlines",
            Paragraph("One.", "Two."),
            BulletList("first", "second"),
        ),
        Section(
            "Figures",
            Figure("flows", PNG, "CN leads", "Share of works."),
        ),
        Section(
            "Tables",
            Section("Works", Table(["unit", "works"], [["CN", "1,024"], ["US", "—"]])),
            Notes("[1] a source", "[2] another"),
        ),
        Section("Manifest", Code('{"a": 1}', "json")),
    )


def test_markdown_renders_each_block_kind() -> None:
    assert render_markdown(tiny()) == "\n".join(
        [
            "# Title",
            "",
            "> **Synthetic.**",
            "",
            "## Headlines",
            "",
            "One. Two.",
            "",
            "- first",
            "- second",
            "",
            "## Figures",
            "",
            "### CN leads",
            "",
            "![CN leads](figures/flows.png)",
            "",
            "*Share of works.*",
            "",
            "## Tables",
            "",
            "### Works",
            "",
            "| unit | works |",
            "|---|---|",
            "| CN | 1,024 |",
            "| US | — |",
            "",
            "\\[1\\] a source  ",
            "\\[2\\] another  ",
            "",
            "## Manifest",
            "",
            "```json",
            '{"a": 1}',
            "```",
            "",
        ]
    )


def test_html_renders_each_block_kind() -> None:
    page = render_html(tiny())
    assert page.startswith("<!DOCTYPE html>\n")
    assert page.endswith("</body>\n</html>\n")
    assert "<title>Title</title>" in page
    assert "<style>\n" in page
    data = base64.b64encode(PNG).decode("ascii")
    body = page.split("<body>\n", 1)[1].split("\n</body>", 1)[0]
    assert body == "\n".join(
        [
            "<h1>Title</h1>",
            '<p class="synthetic" role="alert">Synthetic.</p>',
            "<h2>Headlines</h2>",
            "<p>One. Two.</p>",
            "<ul><li>first</li><li>second</li></ul>",
            "<h2>Figures</h2>",
            f'<figure id="flows"><img alt="CN leads" src="data:image/png;base64,{data}">',
            "<figcaption>Share of works.</figcaption></figure>",
            "<h2>Tables</h2>",
            "<h3>Works</h3>",
            "<table>",
            "<thead><tr><th>unit</th><th>works</th></tr></thead>",
            "<tbody>",
            "<tr><td>CN</td><td>1,024</td></tr>",
            "<tr><td>US</td><td>—</td></tr>",
            "</tbody>",
            "</table>",
            "<p>[1] a source<br>[2] another</p>",
            "<h2>Manifest</h2>",
            "<pre>{&quot;a&quot;: 1}</pre>",
        ]
    )


def test_figures_link_the_given_folder_and_are_listed_in_order() -> None:
    doc = Document(
        "T",
        Section("A", Figure("b", PNG, "B", "")),
        Section("C", Section("D", Figure("a", PNG, "A", ""))),
    )
    assert [f.name for f in doc.figures()] == ["b", "a"]
    assert "![A](img/a.png)" in render_markdown(doc, figures_dir="img")
    assert "#### A" in render_markdown(doc)  # a figure's heading sits under its section's


def test_headings_follow_nesting_up_to_level_six() -> None:
    deep: Section = Section("level 7", Paragraph("x"))
    for level in range(6, 1, -1):
        deep = Section(f"level {level}", deep)
    md, page = render_markdown(Document("T", deep)), render_html(Document("T", deep))
    for level in range(2, 7):
        assert f"\n{'#' * level} level {level}\n" in md
        assert f"<h{level}>level {level}</h{level}>" in page
    assert "\n###### level 7\n" in md
    assert "<h6>level 7</h6>" in page


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def hostile() -> Document:
    return Document(
        HOSTILE,
        Alert(HOSTILE),
        Section(
            HOSTILE,
            Paragraph(HOSTILE, HOSTILE),
            BulletList(HOSTILE),
            Table([HOSTILE, "b"], [[HOSTILE, "x"]]),
            Figure("fig", PNG, f'{HOSTILE} "quoted"', HOSTILE),
            Notes(HOSTILE),
            Code(f"{HOSTILE}\n```\n</pre>"),
        ),
    )


def test_html_escapes_every_string() -> None:
    page = render_html(hostile())
    parser = _Tags()
    parser.feed(page)
    assert set(parser.tags) <= TAGS
    assert "<script" not in page
    assert page.count("</pre>") == 1
    assert 'alt="&lt;script&gt;' in page
    assert "&quot;quoted&quot;" in page
    shown = "".join(parser.text)
    # Every string comes back as the text the reader sees: <title>, h1, alert, h2, two
    # sentences, li, th, td, figcaption, notes, pre.
    assert shown.count(HOSTILE) == 12


def test_markdown_escapes_every_string_outside_code() -> None:
    md = render_markdown(hostile())
    prose, code = md.split("```", 1)
    assert "<" not in prose
    assert ">" not in prose.replace("> **", "", 1)
    for raw in ("a|b", "*c*", "_d_", "[e]", "`g`", " #h"):
        assert raw not in prose
    # Title, alert, section, two sentences, bullet, th, td, figure heading, alt, caption, notes.
    assert prose.count(md_escape(HOSTILE)) == 12
    table = [line for line in prose.splitlines() if line.startswith("| ")]
    assert [len(re.findall(r"(?<!\\)\|", line)) for line in table] == [3, 3]  # still two cells
    fences = [line for line in md.splitlines() if line.startswith("```")]
    assert fences == ["```", "```"]  # the text's own fence cannot close the block
    assert "</pre>" in code
    assert "<script>" in code


def test_the_model_is_immutable_and_freezes_its_input() -> None:
    rows = [["CN", 1]]
    table = Table(["unit", "works"], rows)
    rows[0][1] = 2
    assert table.rows == (("CN", "1"),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.rows = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Section("S").title = "T"  # type: ignore[misc]
    assert Paragraph("a.", "b.") == Paragraph("a.", "b.")


@pytest.mark.parametrize("name", ["Flows", "a b", "../x", 'x" onload="y', ""])
def test_figure_names_are_file_stems(name: str) -> None:
    with pytest.raises(ValueError, match="figure name"):
        Figure(name, PNG, "t", "c")


def test_a_figure_s_alt_text_and_data_link_in_both_renderings() -> None:
    fig = Figure(
        "flows", PNG, "Title", "Caption.", alt='Key values: 14 % <b> "x"', data="a,b\n1,2\n"
    )
    doc = Document("T", Section("Figures", fig))
    md = render_markdown(doc)
    assert '![Key values: 14 % &lt;b&gt; "x"](figures/flows.png)' in md
    assert md.endswith("*Caption.*\n\n[Data of this figure (CSV)](figures/flows.csv)\n")
    page = render_html(doc)
    data = base64.b64encode(b"a,b\n1,2\n").decode("ascii")
    assert 'alt="Key values: 14 % &lt;b&gt; &quot;x&quot;"' in page
    assert f'<a download="flows.csv" href="data:text/csv;charset=utf-8;base64,{data}">' in page
    parser = _Tags()
    parser.feed(page)
    assert set(parser.tags) <= TAGS | {"a"}
