"""``biblio report`` through the real entry point: files, figures, escaping, no network."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from biblio.cli import main
from biblio.report.format import md_escape
from biblio.report.published import read_published_figures
from tests.biblio.conftest import heavy_modules_loaded
from tests.biblio.quotable import bare_shares, unquotable_text

SCRIPT_NAME = "<script>alert(1)</script> Institute"
FIGURES = (
    "citation_shares",
    "citation_trend",
    "citation_impact",
    "flows",
    "asymmetry",
    "network",
    "institutions_above",
    "researchers",
    "coverage",
)
ALLOWED_TAGS = {
    "a",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "h3",
    "p",
    "ul",
    "li",
    "figure",
    "img",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "pre",
    "br",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def demo_report(
    demo_cache: Path, shared_build: Callable[[str, Callable[[Path], None]], Path]
) -> Path:
    def build(folder: Path) -> None:
        out = ["--out", str(folder / "2024")]
        assert main(["--cache", str(demo_cache), "report", "demo", "--year", "2024", *out]) == 0

    return shared_build("demo-report", build) / "2024"


def test_report_files(demo_report: Path) -> None:
    assert (demo_report / "index.html").is_file()
    assert (demo_report / "report.md").is_file()
    for name in FIGURES:
        png = (demo_report / "figures" / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
        assert len(png) > 5_000
        assert b"tEXt" not in png
        assert b"tIME" not in png
    md = (demo_report / "report.md").read_text()
    for name in FIGURES:
        assert f"](figures/{name}.png)" in md


def test_html_is_self_contained_with_embedded_figures(demo_report: Path) -> None:
    page = (demo_report / "index.html").read_text()
    tags = _tags(page)
    assert {t for t, _ in tags} <= ALLOWED_TAGS  # no script, link, iframe, …
    images = [a["src"] or "" for t, a in tags if t == "img"]
    assert len(images) == len(FIGURES)
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_report_says_synthetic_and_has_the_sections(demo_report: Path) -> None:
    page = (demo_report / "index.html").read_text()
    md = (demo_report / "report.md").read_text()
    for text in (page, md):
        assert "SYNTHETIC DEMONSTRATION DATA" in text
        assert text.index("SYNTHETIC") < text.index("Headlines")
        for heading in (
            "Headlines",
            "Figures",
            "Published figures beside ours",
            "Definitions",
            "Tables",
            "Dataset manifest",
        ):
            assert heading in text
    assert "In 2024 China" in md  # a sentence generated from the tables
    assert "Coverage, every year" in md


def test_published_figures_are_set_beside_ours_never_judged(demo_report: Path) -> None:
    md = (demo_report / "report.md").read_text()
    section = md.split("## Published figures beside ours", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(read_published_figures()) + 1  # + the header row
    assert "not in this dataset" in section  # the 2000 figures: the demo starts in 2015
    table = "\n".join(rows).lower()
    for word in ("pass", "fail", "✓", "✗"):
        assert word not in table


def _tiny_dataset(root: Path) -> Path:
    """A dataset whose institution names and titles carry HTML."""
    from biblio.dataset.builder import DatasetBuilder
    from biblio.dataset.normalise import read_institutions, read_works
    from biblio.dataset.selection import WorkFilter

    oa = "https://openalex.org/"
    institutions = {
        "I1": (SCRIPT_NAME, "US"),
        "I2": ("Tsinghua & <b>Partners</b> | Lab", "CN"),
        "I3": ("Oxford *AI* [Group]", "GB"),
        "I4": ("Institut für KI", "DE"),
    }
    works = []
    n = 0
    for year in (2023, 2024):
        for combo in (
            ["I1"],
            ["I1", "I2"],
            ["I2"],
            ["I2", "I3"],
            ["I3", "I4"],
            ["I1", "I4"],
            ["I2"],
            ["I1"],
        ):
            n += 1
            works.append(
                {
                    "id": f"{oa}W{n}",
                    "title": "<img src=x onerror=alert(1)> study",
                    "publication_year": year,
                    "publication_date": f"{year}-03-01",
                    "cited_by_count": n,
                    "counts_by_year": [{"year": year, "cited_by_count": n}],
                    "primary_topic": {
                        "id": f"{oa}T10028",
                        "subfield": {"id": f"{oa}subfields/1702"},
                        "field": {"id": f"{oa}fields/17"},
                    },
                    "is_retracted": False,
                    "is_paratext": False,
                    "updated_date": "2025-01-01",
                    "authorships": [
                        {
                            "author": {"id": f"{oa}A{i}{n % 3}"},
                            "institutions": [{"id": oa + inst}],
                            "countries": [institutions[inst][1]],
                            "is_corresponding": i == 0,
                        }
                        for i, inst in enumerate(combo)
                    ],
                }
            )
    records = [
        {
            "id": oa + iid,
            "display_name": name,
            "country_code": cc,
            "type": "education",
            "lineage": [oa + iid],
        }
        for iid, (name, cc) in institutions.items()
    ]
    final = root / "tiny"
    builder = DatasetBuilder(final, filters=WorkFilter(years=(2023, 2024)))
    builder.add_works(read_works("\n".join(json.dumps(w) for w in works).encode()), part="w")
    builder.add_institutions(
        read_institutions("\n".join(json.dumps(r) for r in records).encode()), part="i"
    )
    builder.finish({"source": "test <b>source</b>"})
    return final


def test_data_strings_are_escaped(tmp_path: Path) -> None:
    dataset = _tiny_dataset(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(dataset), "--year", "2024", "--out", str(out)]) == 0
    page = (out / "index.html").read_text()
    md = (out / "report.md").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Institute" in page
    assert "<script" not in page
    assert "<b>" not in page
    assert "<img src=x" not in page
    assert {t for t, _ in _tags(page)} <= ALLOWED_TAGS
    assert md_escape(SCRIPT_NAME) in md
    # Outside the manifest's fenced code block (shown verbatim, never rendered as HTML).
    prose = md.split("```json", 1)[0]
    assert "<script" not in prose
    assert "<b>" not in prose
    assert "Tsinghua &amp; &lt;b&gt;Partners&lt;/b&gt; \\| Lab" in md  # the table stays a table
    assert "SYNTHETIC" not in page  # a real (non-demo) dataset carries no such banner


def test_year_outside_the_dataset_is_a_usage_error(
    demo_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--cache",
            str(demo_cache),
            "report",
            "demo",
            "--year",
            "1990",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert code == 2
    assert "1990" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_import_biblio_stays_light() -> None:
    assert heavy_modules_loaded("biblio, biblio.report, biblio.bundle, fetchers.demo") == []


# -- every number safe to quote -------------------------------------------------------------
KEY_NAMES = ("China", "the United States", "EU27", "the United Kingdom")


def _section(md: str, title: str) -> str:
    return md.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _headlines(md: str) -> list[str]:
    return [line[2:] for line in _section(md, "Headlines").splitlines() if line.startswith("- ")]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_no_headline_mixes_countings(demo_report: Path) -> None:
    md = (demo_report / "report.md").read_text()
    for sentence in _headlines(md):
        if not any(name in sentence for name in KEY_NAMES):
            continue  # the coverage and consortium sentences name no unit
        # One counting, named: "full counting" or "fractional counting", never both.
        words = {w.lower() for w in re.findall(r"\b(full|fractional)\b", sentence, re.I)}
        assert len(words) == 1, sentence
        assert f"{words.pop()} counting" in sentence.lower(), sentence


def test_every_share_in_the_headlines_agrees_with_the_count_beside_it(demo_report: Path) -> None:
    sentences = _headlines((demo_report / "report.md").read_text())
    output = [s for s in sentences if s.startswith(("Full counting", "Fractional counting"))]
    assert len(output) == 2
    for sentence in output:
        whole = _number(re.search(r"% of (?:the )?([\d,]+)", sentence)[1])  # type: ignore[index]
        pairs = re.findall(r" ([\d,]+(?:\.\d)?)(?: AI works)? \(([\d.]+) %", sentence)
        assert len(pairs) == len(KEY_NAMES), sentence
        for count, share in pairs:
            assert abs(100 * _number(count) / whole - float(share)) < 0.051, (count, share)
    flows = next(s for s in sentences if "had a co-author in" in s)
    found = re.findall(r"([\d.]+) % of [^(]+\(([\d,]+) of ([\d,]+)\)", flows)
    assert len(found) == 4  # every published flow, with its counts
    for share, part, whole in found:
        assert abs(100 * _number(part) / _number(whole) - float(share)) < 0.051
    assert "only 17 works" in flows  # a share resting on few works says so


def test_titles_and_sentences_name_countries(demo_report: Path) -> None:
    from biblio.units import is_country

    md = (demo_report / "report.md").read_text()
    titles = [line[4:] for line in _section(md, "Figures").splitlines() if line.startswith("### ")]
    assert len(titles) == len(FIGURES)
    for text in [*titles, *_headlines(md)]:
        codes = [t for t in re.findall(r"\b[A-Z]{2}\b", text) if is_country(t) and t != "AI"]
        assert codes == [], text


def test_glossary_explains_the_terms_that_remain(demo_report: Path) -> None:
    glossary = _section((demo_report / "report.md").read_text(), "Glossary")
    for term in (
        "full counting",
        "fractional counting",
        "attributed",
        "F(u→v)",
        "Salton's cosine",
        "affinity",
        "leadership asymmetry",
        "Leiden community",
        "Kamada–Kawai",
        "lineage",
        "paratext",
        "relative citation impact",
    ):
        assert md_escape(term) in glossary, term


def test_connectedness_says_what_it_counts_and_what_rests_on_consortium_papers(
    demo_report: Path,
) -> None:
    md = (demo_report / "report.md").read_text()
    assert "co-authorship links" not in md  # a sum of co-authored works is not a count of links
    connected = next(s for s in _headlines(md) if s.startswith("Most connected"))
    assert "partner countries" in connected
    assert "summed over partners" in connected
    assert "more than 100 authors" in connected
    assert "without them" in connected
    assert "international co-authorship rate" in md
    assert "### Works of more than 100 authors, 2024" in md


def test_coverage_names_the_authors_that_cannot_be_placed(demo_report: Path) -> None:
    coverage = _section((demo_report / "report.md").read_text(), "Tables").split(
        "### Coverage, every year", 1
    )[1]
    row = next(line for line in coverage.splitlines() if line.startswith("| 2024 |"))
    authors = row.split("|")[7].strip()
    found = re.search(r"In 2024, ([\d,]+) of the ([\d,]+) authors with an OpenAlex id", coverage)
    assert found
    assert found[2] == authors
    assert 0 < _number(found[1]) < _number(authors)


def test_published_figures_are_shown_as_published(demo_report: Path) -> None:
    section = _section((demo_report / "report.md").read_text(), "Published figures beside ours")
    rows = [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in section.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    header, body = rows[0], rows[1:]
    published, reason = header.index("published"), header.index("main reason they may differ")
    china = next(r for r in body if r[1] == "China (CN)" and r[2] == "2024" and "AI pub" in r[0])
    assert china[published] == "23,695 (41.6 % of ≈ 57,000)"  # exact, with its share
    assert re.match(
        r"[\d,]+ \([\d.]+ % of [\d,]+; full counting\)", china[header.index("this dataset")]
    )
    for row in body:
        assert row[reason], row  # every row says why ours may differ


def test_every_figure_has_its_data_alt_text_and_resolution(demo_report: Path) -> None:
    md = (demo_report / "report.md").read_text()
    page = (demo_report / "index.html").read_text()
    for name in FIGURES:
        csv = demo_report / "figures" / f"{name}.csv"
        assert csv.read_text().count("\n") >= 2, name
        assert f"[Data of this figure (CSV)](figures/{name}.csv)" in md
        assert f'<a download="{name}.csv" href="data:text/csv;charset=utf-8;base64,' in page
        png = (demo_report / "figures" / f"{name}.png").read_bytes()
        assert int.from_bytes(png[16:20], "big") >= 1400  # 200 dpi: 7 inches or more
    for tag, attrs in _tags(page):
        if tag == "img":
            alt = attrs["alt"] or ""
            assert re.search(r"\d", alt)
            assert len(alt) > 80
            assert bare_shares(alt) == [], alt  # alt text quotes shares with their counts too
    # As the trend's alt text was: shares without the citations they rest on.
    assert bare_shares("China 16.0 % in 2017 to 25.3 % in 2024; United States 21.9 % in 2017")


# -- every number safe to quote: a share with its count, a figure with its counting ----------
def test_every_share_is_printed_with_its_count(demo_report: Path) -> None:
    md = (demo_report / "report.md").read_text()
    assert unquotable_text(md) == []
    # The check finds what the report printed before: a share without its count.
    assert bare_shares("(2 works of more than 100 authors among them; 12.1 % without those)")
    assert bare_shares("| 2,470 AI works, 2.8 % with no country; 3 institutions |")
    assert bare_shares("went from 16.0 % in 2017 to 25.3 % in 2024 (7,950.9 of 31,482 citations)")
    alone = md.replace("| 589 | 24.5 % |", "| — | 24.5 % |").replace(
        "| 532.8 | 22.2 % |", "| — | 22.2 % |"
    )
    assert unquotable_text(alone)


def test_every_figure_title_says_its_counting(demo_report: Path) -> None:
    md = (demo_report / "report.md").read_text()
    titles = [line[4:] for line in _section(md, "Figures").splitlines() if line.startswith("### ")]
    assert len(titles) == len(FIGURES)
    for title in titles:
        if "name no country" in title:  # coverage: works, whatever the counting
            continue
        words = set(re.findall(r"\b(full|fractional) counting\b", title))
        assert len(words) == 1, title


def test_findings_on_few_works_or_consortium_papers_say_so(demo_report: Path) -> None:
    md = (demo_report / "report.md").read_text()
    partners = next(s for s in _headlines(md) if s.startswith("Top co-author"))
    assert "of the United Kingdom, China (17 works) — only 17 works" in partners
    titles = [line[4:] for line in _section(md, "Figures").splitlines() if line.startswith("### ")]
    network = next(t for t in titles if "co-authorship partners" in t)
    assert "3 works of more than 100 authors" in network
    assert "without them, the most partners: China (53)" in network
    pair = next(t for t in titles if "leadership asymmetry" in t)
    assert "2 of them of more than 100 authors" in pair
    assert re.search(r"affinity: 47 works where \d+ would be expected", pair)


@pytest.mark.parametrize("year", [2023, 2024])
def test_the_report_computes_what_it_shows(demo_cache: Path, year: int) -> None:
    """A report computes every table of its year and of the published figures' (2024), and of
    the other years only the rows its trend figures draw: the fixed-window citation trend of
    the countries and EU27, and the coverage. Those rows are the rows of every year's tables.
    """
    import polars as pl

    from biblio.io import open_dataset
    from biblio.report.build import report_tables
    from biblio.tables import MetricOptions, compute_tables
    from biblio.units import is_country

    dataset = open_dataset(demo_cache / "demo")
    shown = report_tables(dataset, MetricOptions(), year=year)
    every = compute_tables(dataset, MetricOptions())
    assert len(every["coverage"]) > 2  # the demo has years the report does not compute in full
    full = pl.col("year").is_in([year, 2024])
    assert shown["coverage"].equals(every["coverage"])
    trend = pl.col("unit").map_elements(is_country, return_dtype=pl.Boolean) | (
        pl.col("unit") == "EU27"
    )
    assert shown["citation_trend"].equals(every["citation_trend"].filter(full | trend))
    for name, frame in every.items():
        if name not in ("coverage", "citation_trend"):
            assert shown[name].equals(frame.filter(full)), name
