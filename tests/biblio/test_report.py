"""``biblio report`` through the real entry point: files, figures, escaping, no network."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from biblio.cli import main
from biblio.report.format import md_escape
from biblio.report.published import read_published_figures

SCRIPT_NAME = "<script>alert(1)</script> Institute"
FIGURES = (
    "citation_shares",
    "citation_trend",
    "flows",
    "asymmetry",
    "network",
    "institutions_above",
    "researchers",
    "coverage",
)
ALLOWED_TAGS = {
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
    assert (demo_report / "index.html").is_file() and (demo_report / "report.md").is_file()
    for name in FIGURES:
        png = (demo_report / "figures" / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000
        assert b"tEXt" not in png and b"tIME" not in png  # no software/time metadata
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
    assert "<script" not in page and "<b>" not in page and "<img src=x" not in page
    assert {t for t, _ in _tags(page)} <= ALLOWED_TAGS
    assert md_escape(SCRIPT_NAME) in md
    # Outside the manifest's fenced code block (shown verbatim, never rendered as HTML).
    prose = md.split("```json", 1)[0]
    assert "<script" not in prose and "<b>" not in prose
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
    code = (
        "import sys, biblio, biblio.report, biblio.bundle, fetchers.demo; "
        "print(sorted(m for m in ('seaborn', 'matplotlib', 'igraph') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_report_computes_its_years_and_the_trend_rows(demo_cache: Path) -> None:
    """2023's report: every table of 2023 and of 2024 (the published figures' year), of the
    other years the received citation shares of the countries and EU27, and the coverage;
    the same rows as every table of every year."""
    import polars as pl

    from biblio.io import open_dataset
    from biblio.report.build import report_tables
    from biblio.tables import MetricOptions, compute_tables

    dataset = open_dataset(demo_cache / "demo")
    shown = report_tables(dataset, MetricOptions(), year=2023)
    every = compute_tables(dataset, MetricOptions())
    full = pl.col("year").is_in([2023, 2024])
    assert shown["coverage"].equals(every["coverage"])
    trend = (pl.col("window") == "received") & ~pl.col("unit").is_in(["EU", "AFRICA"])
    received = every["citation_shares"].filter(full | trend)
    assert shown["citation_shares"].equals(received)
    for name in ("output", "flows", "network_nodes", "researchers", "institution_output"):
        assert shown[name].equals(every[name].filter(full)), name
