"""The report: ``index.html`` (self-contained) and ``report.md`` built from the metric tables.

:func:`build_report` computes every table of a dataset (:func:`biblio.tables.compute_tables`),
draws the figures (:mod:`biblio.plot`) and writes, for one year:

- a header that says, for the ``demo`` dataset, that the data are synthetic;
- headline sentences generated from the tables (:func:`headline_sentences`);
- the figures, each titled with its finding; in the HTML they are embedded as base64 PNG, so the
  file opens from disk with no network; the Markdown links ``figures/<name>.png``;
- the published figures (``biblio/data/published_figures.csv``) beside ours for the same unit,
  year and metric, with our definition and coverage: never a pass or fail;
- the definitions in force, the main tables, the coverage table and the dataset's manifest.

Every string that comes from data (institution names, units, manifest values) is escaped:
:func:`html.escape` in HTML and :func:`md_escape` in Markdown. Nothing in a report depends on
the time it was built, so the same tables give byte-identical files.

Examples
--------
>>> md_escape("<script>alert(1)</script> | *x*")
'&lt;script&gt;alert(1)&lt;/script&gt; \\\\| \\\\*x\\\\*'
>>> print(md_table(["unit", "works"], [["CN", "1,024"], ["A|B", "—"]]))
| unit | works |
|---|---|
| CN | 1,024 |
| A\\|B | — |
"""

from __future__ import annotations

import base64
import csv
import html
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from biblio.errors import UsageError
from biblio.io import Dataset, atomic_write, open_dataset
from biblio.summary import Definitions, Summary

__all__ = [
    "Figure",
    "Section",
    "build_report",
    "check_year",
    "figures",
    "headline_sentences",
    "html_table",
    "md_escape",
    "md_table",
    "published_comparison",
    "read_published_figures",
    "report_year",
    "write_report",
]

log = logging.getLogger(__name__)

#: Units the headline sentences and tables always mention when present.
KEY_UNITS = ("CN", "US", "EU27", "GB")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


# -- escaping and tables ---------------------------------------------------------------------
def md_escape(value: object) -> str:
    """Text for Markdown: markup characters backslash-escaped, ``<>&`` as HTML entities."""
    text = " ".join(str(value).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; every cell is escaped with :func:`md_escape`."""
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table; every cell is escaped with :func:`html.escape`.

    >>> html_table(["name"], [["<b>x</b>"]])
    '<table>\\n<thead><tr><th>name</th></tr></thead>\\n<tbody>\\n<tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr>\\n</tbody>\\n</table>'
    """
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def fmt_int(value: Any) -> str:
    """``1,234``; ``—`` for a missing value."""
    return "—" if value is None else f"{int(value):,}"


def fmt_float(value: Any, digits: int = 1) -> str:
    """``12.3``; ``—`` for a missing value."""
    return "—" if value is None else f"{float(value):,.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share (a fraction) as ``12.3 %``; ``—`` for a missing value."""
    return "—" if value is None else f"{100 * float(value):.{digits}f} %"


def unit_name(unit: str) -> str:
    """A country's name (``China``); a group or union keeps its code (``EU27``)."""
    from biblio.units import country_name, is_country

    return country_name(unit) if is_country(unit) else unit


# -- report pieces ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """One rendered figure: file stem, PNG bytes, its title (the finding) and a caption."""

    name: str
    png: bytes
    title: str
    caption: str


@dataclass(frozen=True)
class Section:
    """A report section given as Markdown and as HTML (the HTML already escaped)."""

    title: str
    markdown: str
    html: str


def report_year(
    tables: Mapping[str, pl.DataFrame], manifest: Mapping[str, Any], year: int | None
) -> int:
    """The year to report: ``year`` if the dataset has it, else the latest complete year.

    The latest complete year is the latest year with works that ended before the dataset was
    fetched (``manifest["created"]``), or the latest year when none did.

    >>> cov = pl.DataFrame({"year": [2023, 2024, 2025]})
    >>> report_year({"coverage": cov}, {"created": "2025-06-01T00:00:00+00:00"}, None)
    2024
    """
    years = sorted(tables["coverage"]["year"].to_list())
    if not years:
        raise UsageError("the dataset has no works in its years; nothing to report")
    if year is not None:
        if year not in years:
            raise UsageError(f"--year {year}: the dataset has works in {years[0]}–{years[-1]}")
        return year
    created = str(manifest.get("created") or "")
    fetched = int(created[:4]) if created[:4].isdigit() else None
    complete = [y for y in years if fetched is None or y < fetched]
    return (complete or years)[-1]


def check_year(dataset: Dataset, year: int | None) -> None:
    """Refuse a ``--year`` with no works in the dataset, before any table is computed."""
    if year is None:
        return
    years = sorted(
        dataset.works.select(pl.col("publication_year").unique().drop_nulls())
        .collect()["publication_year"]
        .to_list()
    )
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "no year"
        raise UsageError(f"--year {year}: the dataset has works in {span}")


def _possessive(name: str) -> str:
    """``China's``, ``United States'``.

    >>> _possessive("China"), _possessive("United States")
    ("China's", "United States'")
    """
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _value(frame: pl.DataFrame, column: str, **where: Any) -> Any:
    rows = frame.filter(**where)
    return rows[column].item() if rows.height == 1 else None


def _list(units: Sequence[str], values: Mapping[str, Any], fmt: Callable[[Any], str]) -> str:
    parts = [f"{unit_name(u)} {fmt(values[u])}" for u in units if values.get(u) is not None]
    return ", ".join(parts)


def headline_sentences(
    tables: Mapping[str, pl.DataFrame], summary: Summary, year: int
) -> list[str]:
    """Plain sentences with the year's headline figures, from the tables and the summary.

    ``summary`` is :func:`biblio.tables.summarise`'s output. Returns raw text (not escaped).
    """
    head = summary.years[year]
    definitions = summary.definitions
    out: list[str] = []
    cov = tables["coverage"].filter(year=year).row(0, named=True)
    out.append(
        f"In {year} the dataset holds {fmt_int(cov['works'])} AI works; "
        f"{fmt_int(cov['attributed'])} name at least one country and "
        f"{fmt_int(cov['unattributed'])} "
        f"({fmt_pct(cov['unattributed'] / cov['works'] if cov['works'] else None)}) name none, "
        "so they are left out of every country figure."
    )
    output = tables["output"].filter(year=year)
    key = [u for u in KEY_UNITS if u in output["unit"].to_list()]
    if key:
        works = dict(zip(output["unit"], output["works_full"], strict=True))
        shares = dict(zip(output["unit"], output["share_frac"], strict=True))
        out.append(
            f"AI works with at least one author in the unit (full counting): "
            f"{_list(key, works, fmt_int)}; fractional shares of the world's attributed "
            f"works: {_list(key, shares, fmt_pct)}."
        )
    leaders = head.citation_share_leader
    if "received_full" in leaders:
        full, frac = leaders["received_full"], leaders.get("received_frac")
        frac_text = f" ({fmt_pct(frac.share)} with fractional counting" if frac else ""
        if frac and frac.unit != full.unit:
            frac_text += f", where {unit_name(frac.unit)} leads"
        frac_text += ")" if frac else ""
        out.append(
            f"In {year} {_possessive(unit_name(full.unit))} AI works received "
            f"{fmt_pct(full.share)} of the citations received by AI works{frac_text}."
        )
    cites = tables["citation_shares"].filter(year=year, window="received")
    key = [u for u in KEY_UNITS if _value(cites, "share_full", unit=u) is not None]
    if key:
        shares = {u: _value(cites, "share_full", unit=u) for u in key}
        out.append(f"Shares of the citations received in {year}: {_list(key, shares, fmt_pct)}.")
    flows = [f for f in head.flows if f.flow_share is not None]
    if flows:
        parts = [
            f"{fmt_pct(f.flow_share)} of {_possessive(unit_name(f.source))} AI works had a "
            f"co-author in {unit_name(f.partner)}"
            for f in flows
        ]
        out.append(f"In {year}, " + "; ".join(parts) + ".")
    partners: dict[str, list[str]] = {}
    for unit, partner in head.top_partner.items():
        if partner is not None:
            partners.setdefault(partner, []).append(unit_name(unit))
    if partners:
        out.append(
            " ".join(
                f"{unit_name(p)} is the top co-author country of {' and '.join(us)}."
                for p, us in sorted(partners.items())
            )
        )
    connected = head.most_connected
    if connected:
        out.append(
            f"{unit_name(connected.unit)} is the most connected country: "
            f"{fmt_int(connected.strength)} co-authorship links (co-authored works summed "
            f"over partners) with {connected.partners} partner countries."
        )
    above = head.institutions_above
    threshold = definitions.threshold
    key = [u for u in (*KEY_UNITS, "FR", "AFRICA") if u in above]
    if key:
        out.append(
            f"Institutions with more than {threshold} AI works in {year}: "
            f"{_list(key, above, fmt_int)}."
        )
    people = head.researchers
    key = [u for u in KEY_UNITS if u in people]
    if key:
        out.append(f"Active AI researchers in {year}: {_list(key, people, fmt_int)}.")
    return out


# -- published figures ------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedFigure:
    """One row of ``biblio/data/published_figures.csv``."""

    unit: str
    year: int
    metric: str
    value: float
    comparison: str
    source: str


def read_published_figures(path: Path | None = None) -> list[PublishedFigure]:
    """The published figures the reports set beside their own.

    >>> rows = read_published_figures()
    >>> [(r.unit, r.comparison, r.value) for r in rows if r.metric == "citation_share"][0]
    ('CN', '>', 0.4)
    """
    text = (
        path.read_text("utf-8")
        if path
        else (resources.files("biblio").joinpath("data/published_figures.csv").read_text("utf-8"))
    )
    return [
        PublishedFigure(
            r["unit"], int(r["year"]), r["metric"], float(r["value"]), r["comparison"], r["source"]
        )
        for r in csv.DictReader(text.splitlines())
    ]


_METRIC_LABEL = {
    "output": "AI publications",
    "citation_share": "share of global AI citations",
    "flow_share": "share of the unit's AI works with a co-author in the partner",
    "institutions_above": "institutions with more than {t} AI works",
    "researchers": "active AI researchers",
    "most_connected_rank": "rank by co-authorship links (1 = most connected)",
}


def _our_definition(metric: str, options: Definitions, first_year: int) -> str:
    researchers = options.active_researcher
    return {
        "output": "works with at least one author in the unit (full counting); world = works "
        "naming any country",
        "citation_share": f"citations received in the year (counts_by_year) by AI works "
        f"published {first_year} or later, full counting (fractional in "
        "brackets)",
        "flow_share": "works of the unit with at least one co-author in the partner / all works "
        "of the unit (full counting)",
        "institutions_above": "institutions rolled up to their top-level parent, counting every "
        "AI work that lists them (full counting), strictly above "
        "the threshold",
        "researchers": f"authors with at least {researchers.min_works} AI work(s) in "
        f"the last {researchers.window_years} year(s), by the country "
        "of their latest work (fractional in brackets)",
        "most_connected_rank": "rank by strength: co-authored works summed over partner countries",
    }.get(metric, "")


def published_comparison(
    tables: Mapping[str, pl.DataFrame],
    definitions: Definitions,
    published: Sequence[PublishedFigure] | None = None,
) -> tuple[list[str], list[list[str]], list[str]]:
    """Headers, rows and sources: each published figure beside this dataset's own figure.

    Our figure is ``not in this dataset`` when the dataset lacks the year or the unit. The
    ``source`` column holds ``[n]``, the 1-based index of the figure's source in the sources.
    """
    published = read_published_figures() if published is None else published
    years = sorted(tables["coverage"]["year"].to_list())
    first_year = years[0] if years else 0
    threshold = definitions.threshold
    rows = []
    sources: list[str] = []
    for fig in published:
        if fig.source not in sources:
            sources.append(fig.source)
        ours = _our_figure(tables, fig, threshold) if fig.year in years else None
        coverage = (
            _coverage_note(tables, fig.year)
            if fig.year in years
            else (f"the dataset covers {years[0]}–{years[-1]}" if years else "empty dataset")
        )
        rows.append(
            [
                _METRIC_LABEL.get(fig.metric, fig.metric).format(t=threshold),
                fig.unit,
                str(fig.year),
                _published_value(fig),
                ours or "not in this dataset",
                _our_definition(fig.metric, definitions, first_year),
                coverage,
                f"[{sources.index(fig.source) + 1}]",
            ]
        )
    headers = [
        "metric",
        "unit",
        "year",
        "published",
        "this dataset",
        "our definition",
        "our coverage",
        "source",
    ]
    return headers, rows, sources


def _published_value(fig: PublishedFigure) -> str:
    if fig.metric in ("citation_share", "flow_share"):
        shown = fmt_pct(fig.value, 0)
    elif fig.metric == "most_connected_rank":
        return f"{int(fig.value)}"  # a rank: "most connected" is rank 1, no approximation
    else:
        shown = fmt_int(fig.value)
    return f"{fig.comparison} {shown}"


def _our_figure(
    tables: Mapping[str, pl.DataFrame], fig: PublishedFigure, threshold: int
) -> str | None:
    year, unit = fig.year, fig.unit
    if fig.metric == "output":
        if unit == "world":
            return fmt_int(_value(tables["coverage"], "attributed", year=year))
        value = _value(tables["output"], "works_full", unit=unit, year=year)
        return None if value is None else fmt_int(value)
    if fig.metric == "citation_share":
        row = tables["citation_shares"].filter(unit=unit, year=year, window="received")
        if row.height != 1:
            return None
        return f"{fmt_pct(row['share_full'][0])} ({fmt_pct(row['share_frac'][0])})"
    if fig.metric == "flow_share":
        source, _, partner = unit.partition("→")
        value = _value(tables["flows"], "flow_share", source=source, partner=partner, year=year)
        return None if value is None else fmt_pct(value)
    if fig.metric == "institutions_above":
        value = _value(tables["institutions_above"], "institutions_above", unit=unit, year=year)
        return None if value is None else fmt_int(value)
    if fig.metric == "researchers":
        row = tables["researchers"].filter(unit=unit, year=year)
        if row.height != 1:
            return None
        return f"{fmt_int(row['researchers_full'][0])} ({fmt_float(row['researchers_frac'][0])})"
    if fig.metric == "most_connected_rank":
        ranked = (
            tables["network_nodes"]
            .filter(year=year)
            .sort(["strength", "partners", "unit"], descending=[True, True, False])["unit"]
            .to_list()
        )
        return str(ranked.index(unit) + 1) if unit in ranked else None
    return None


def _coverage_note(tables: Mapping[str, pl.DataFrame], year: int) -> str:
    row = tables["coverage"].filter(year=year).row(0, named=True)
    share = row["unattributed"] / row["works"] if row["works"] else None
    return (
        f"{fmt_int(row['works'])} AI works, {fmt_pct(share)} with no country; "
        f"{fmt_int(row['institutions_missing_country'])} institutions without a country"
    )


# -- figures ----------------------------------------------------------------------------------
def figures(tables: Mapping[str, pl.DataFrame], *, year: int, threshold: int) -> list[Figure]:
    """Every figure of the report for ``year``, rendered as PNG."""
    from biblio import plot

    out = tables["output"]
    top = plot.top_countries(out, year=year, n=10)
    trend_units = [*top[:5], *(["EU27"] if "EU27" in out["unit"].to_list() else [])]
    specs: list[tuple[str, Callable[[], Any], str]] = [
        (
            "citation_shares",
            lambda: plot.plot_citation_shares(tables["citation_shares"], year=year),
            f"Share of the citations received in {year} (OpenAlex counts_by_year) by AI works "
            f"published up to {year}. Full counting credits every unit of a work with all its "
            "citations (shares sum to more than 100 %); fractional counting splits them by "
            "authorship (shares sum to 100 %). The ten countries with the largest fractional "
            "share, and EU27.",
        ),
        (
            "citation_trend",
            lambda: plot.plot_citation_trend(tables["citation_shares"], units=trend_units),
            "Fractional share of the citations received each year, for the five countries with "
            f"the most AI works in {year} and EU27. The window reaches back only to the first year "
            "of the dataset, so early years count fewer citing years.",
        ),
        (
            "flows",
            lambda: plot.plot_flows(tables["flows"], year=year, units=top),
            f"Flow share F(u→v) = works of u with a co-author in v / works of u, {year}, for the "
            "ten countries with the most AI works (read along a row; full counting).",
        ),
        (
            "asymmetry",
            lambda: plot.plot_asymmetry(tables["asymmetry"], year=year, units=top)[0],
            "Asymmetry A(u,v) = F(u→v) / F(v→u) equals works(v) / works(u): a size effect. "
            "Salton's cosine and affinity (observed co-authored works / expected under "
            "independence) adjust for size; affinity above 1 means more co-authorship than sizes "
            "predict. The published pairs first, then the pairs of the ten largest countries "
            "with the highest Salton cosine.",
        ),
        (
            "network",
            lambda: plot.plot_network(tables["network_nodes"], tables["network_edges"], year=year),
            f"Country co-authorship network, {year} (the 35 countries with the most AI works). "
            "Node area ∝ AI works (full counting), edge width ∝ co-authored works, colour = "
            "Leiden community (modularity, fixed seed); igraph Kamada–Kawai layout from a "
            "fixed start.",
        ),
        (
            "institutions_above",
            lambda: plot.plot_institutions_above(tables["institutions_above"], year=year),
            f"Institutions with more than {threshold} AI works in {year}, per unit; institutions "
            "are rolled up to their top-level parent (lineage) and a work counts once per "
            "institution. Groups (grey) overlap their member countries.",
        ),
        (
            "researchers",
            lambda: plot.plot_researchers(tables["researchers"], year=year),
            "Active AI researchers: authors with an OpenAlex id and at least one AI work in the "
            "year, placed in the countries of their latest work; fractional counting splits an "
            "author over those countries.",
        ),
        (
            "coverage",
            lambda: plot.plot_coverage(tables["coverage"]),
            "Works whose authorships name no country are left out of every country figure; "
            "authorships with no country are left out of fractional counts.",
        ),
    ]
    rendered = []
    for name, draw, caption in specs:
        ax = draw()
        fig = ax.figure
        # A multi-panel figure (asymmetry) carries its finding in the figure's title.
        title = ax.get_title(loc="left") or fig.get_suptitle()
        rendered.append(Figure(name, plot.png_bytes(fig), " ".join(title.split()), caption))
    return rendered


# -- assembling the report --------------------------------------------------------------------
_CSS = """
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


def _synthetic_notice(manifest: Mapping[str, Any]) -> str | None:
    if not manifest.get("synthetic"):
        return None
    return (
        "SYNTHETIC DEMONSTRATION DATA — these are not real figures. The dataset was generated "
        f"({manifest.get('source', 'synthetic data')}) to show what the report looks like; do "
        "not cite any number in it."
    )


def _text(default: str) -> Callable[[Any], str]:
    return lambda value: default if value is None else str(value)


#: Each main table: caption, source table, ranking column, rows shown, and the columns shown as
#: (header, column, formatter).
_MAIN_TABLES: tuple[
    tuple[str, str, str, int, tuple[tuple[str, str, Callable[[Any], str]], ...]], ...
] = (
    (
        "AI works per unit, {year} (15 largest)",
        "output",
        "works_full",
        15,
        (
            ("unit", "unit", str),
            ("name", "unit", unit_name),
            ("works (full)", "works_full", fmt_int),
            ("works (fractional)", "works_frac", fmt_float),
            ("share (full)", "share_full", fmt_pct),
            ("share (fractional)", "share_frac", fmt_pct),
        ),
    ),
    (
        "Citations received in {year} (15 largest fractional shares)",
        "citation_shares",
        "share_frac",
        15,
        (
            ("unit", "unit", str),
            ("citations (full)", "citations_full", fmt_int),
            ("citations (fractional)", "citations_frac", fmt_float),
            ("share (full)", "share_full", fmt_pct),
            ("share (fractional)", "share_frac", fmt_pct),
        ),
    ),
    (
        "Institutions above the threshold, {year}",
        "institutions_above",
        "institutions_above",
        30,
        (
            ("unit", "unit", str),
            ("threshold", "threshold", fmt_int),
            ("institutions above", "institutions_above", fmt_int),
            ("institutions with ≥ 1 work", "institutions_total", fmt_int),
        ),
    ),
    (
        "The 20 institutions with the most AI works, {year}",
        "institution_output",
        "works",
        20,
        (
            ("institution", "institution_id", str),
            ("name", "display_name", _text("—")),
            ("country", "country_code", _text("unknown")),
            ("works", "works", fmt_int),
        ),
    ),
    (
        "Active AI researchers, {year} (15 largest)",
        "researchers",
        "researchers_full",
        15,
        (
            ("unit", "unit", str),
            ("min works", "min_works", fmt_int),
            ("window (years)", "window_years", fmt_int),
            ("researchers (full)", "researchers_full", fmt_int),
            ("researchers (fractional)", "researchers_frac", fmt_float),
        ),
    ),
)


def _main_tables(
    tables: Mapping[str, pl.DataFrame], year: int
) -> list[tuple[str, list[str], list[list[str]]]]:
    out = []
    for caption, name, rank, n, columns in _MAIN_TABLES:
        frame = tables[name].filter(year=year)
        if name == "citation_shares":
            frame = frame.filter(window="received")
        if name == "institutions_above":
            frame = frame.filter(pl.col("institutions_above") > 0)
        frame = frame.sort([rank, frame.columns[0]], descending=[True, False], nulls_last=True)
        out.append(
            (
                caption.format(year=year),
                [header for header, _, _ in columns],
                [
                    [fmt(r[column]) for _, column, fmt in columns]
                    for r in frame.head(n).iter_rows(named=True)
                ],
            )
        )
    coverage = tables["coverage"].sort("year")
    out.append(
        (
            "Coverage, every year",
            [
                "year",
                "works",
                "attributed",
                "unattributed",
                "authorships",
                "with country",
                "authors with id",
                "institutions missing country",
            ],
            [
                [str(r["year"]), *(fmt_int(r[c]) for c in coverage.columns[1:])]
                for r in coverage.iter_rows(named=True)
            ],
        )
    )
    return out


def _definitions(
    definitions: Definitions, manifest: Mapping[str, Any], years: Sequence[int]
) -> list[str]:
    filters = manifest.get("filters") or {}
    researchers = definitions.active_researcher
    corpus = definitions.corpus_filters
    return [
        f"Selection of AI works: {filters.get('selection', 'not recorded')} (OpenAlex); "
        f"publication years {years[0]}–{years[-1]}; work types: "
        f"{', '.join(filters.get('types') or []) or 'all'}; paratext "
        f"{corpus.paratext}, retracted works "
        f"{corpus.retracted}.",
        "Counting: full (a work counts once for every unit with an author there) and fractional "
        "(each authorship with a country carries 1/n of the work, split equally over its "
        "countries). Shares are of the works (or citations) that name at least one country.",
        "Citation windows: received = citations made in year Y (OpenAlex counts_by_year) to AI "
        f"works published up to Y, reaching back to {years[0]}; published = citations to date "
        "of the works published in Y.",
        f"Institutions: threshold {definitions.threshold} works, strictly greater; "
        f"roll-up to the top-level institution: "
        f"{'yes' if definitions.institution_rollup else 'no'}.",
        f"Active researchers: at least {researchers.min_works} work(s) in the last "
        f"{researchers.window_years} year(s), placed by their latest work.",
        "Units: countries are ISO 3166-1 alpha-2 codes as OpenAlex gives them (TW, HK and MO "
        "are their own units); EU27 is the 27 members since 2020 in every year; EU the members "
        "of each year; AFRICA the UN M49 region. Full definitions: METRICS.md.",
    ]


def write_report(
    tables: Mapping[str, pl.DataFrame],
    summary: Summary,
    manifest: Mapping[str, Any],
    *,
    dataset_name: str,
    year: int,
    out: Path,
    extra: Sequence[Section] = (),
) -> list[Path]:
    """Write ``figures/*.png``, ``report.md`` and ``index.html`` into ``out``; return the paths.

    ``extra`` sections (e.g. the benchmark's year-over-year changes) go after the headlines.
    """
    definitions = summary.definitions
    threshold = definitions.threshold
    years = sorted(tables["coverage"]["year"].to_list())
    rendered = figures(tables, year=year, threshold=threshold)
    written = []
    for fig in rendered:
        path = out / "figures" / f"{fig.name}.png"
        with atomic_write(path, "wb") as fh:
            fh.write(fig.png)
        written.append(path)

    title = f"AI research in {year}: who leads and who collaborates — dataset {dataset_name}"
    notice = _synthetic_notice(manifest)
    headlines = headline_sentences(tables, summary, year)
    pub_headers, pub_rows, pub_sources = published_comparison(tables, definitions)
    pub_notes = [f"[{i}] {source}" for i, source in enumerate(pub_sources, 1)]
    defs = _definitions(definitions, manifest, years)
    manifest_text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    pub_intro = (
        'Figures published by Digital Science ("DeepSeek and the New Geopolitics of AI", '
        "D. Hook, July 2025, Dimensions data) beside this dataset's figure for the same unit, "
        "year and metric. Their definitions of an AI publication, of counting, of the citation "
        "window and of an active researcher were not published, and the data source differs, so "
        "the two columns are set side by side to show where and why they differ: this is not a "
        "check that passes or fails."
    )
    if notice:
        pub_intro += " This report's own figures are synthetic and cannot be compared at all."

    # Markdown
    md: list[str] = [f"# {md_escape(title)}", ""]
    if notice:
        md += [f"> **{md_escape(notice)}**", ""]
    md += ["## Headlines", ""] + [f"- {md_escape(s)}" for s in headlines] + [""]
    for section in extra:
        md += [f"## {md_escape(section.title)}", "", section.markdown, ""]
    md += ["## Figures", ""]
    for fig in rendered:
        md += [
            f"### {md_escape(fig.title)}",
            "",
            f"![{md_escape(fig.title)}](figures/{fig.name}.png)",
            "",
            f"*{md_escape(fig.caption)}*",
            "",
        ]
    md += [
        "## Published figures beside ours",
        "",
        md_escape(pub_intro),
        "",
        md_table(pub_headers, pub_rows),
        "",
        *(f"{md_escape(note)}  " for note in pub_notes),
        "",
    ]
    md += ["## Definitions", ""] + [f"- {md_escape(d)}" for d in defs] + [""]
    md += ["## Tables", ""]
    main_tables = _main_tables(tables, year)
    for caption, headers, rows in main_tables:
        md += [f"### {md_escape(caption)}", "", md_table(headers, rows), ""]
    md += ["## Dataset manifest", "", "```json", manifest_text.replace("```", "'''"), "```", ""]

    # HTML
    esc = html.escape
    body: list[str] = [f"<h1>{esc(title)}</h1>"]
    if notice:
        body.append(f'<p class="synthetic" role="alert">{esc(notice)}</p>')
    body.append(
        "<h2>Headlines</h2>\n<ul>" + "".join(f"<li>{esc(s)}</li>" for s in headlines) + "</ul>"
    )
    for section in extra:
        body.append(f"<h2>{esc(section.title)}</h2>\n{section.html}")
    body.append("<h2>Figures</h2>")
    for fig in rendered:
        data = base64.b64encode(fig.png).decode("ascii")
        body.append(
            f'<figure id="{fig.name}"><img alt="{esc(fig.title)}" '
            f'src="data:image/png;base64,{data}">\n<figcaption>{esc(fig.caption)}</figcaption>'
            "</figure>"
        )
    body.append(
        f"<h2>Published figures beside ours</h2>\n<p>{esc(pub_intro)}</p>\n"
        + html_table(pub_headers, pub_rows)
        + "\n<p>"
        + "<br>".join(html.escape(note) for note in pub_notes)
        + "</p>"
    )
    body.append(
        "<h2>Definitions</h2>\n<ul>" + "".join(f"<li>{esc(d)}</li>" for d in defs) + "</ul>"
    )
    body.append("<h2>Tables</h2>")
    for caption, headers, rows in main_tables:
        body.append(f"<h3>{esc(caption)}</h3>\n{html_table(headers, rows)}")
    body.append(f"<h2>Dataset manifest</h2>\n<pre>{esc(manifest_text)}</pre>")
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    for name, text in (("report.md", "\n".join(md)), ("index.html", page)):
        with atomic_write(out / name) as fh:
            fh.write(text)
        written.append(out / name)
    return written


def build_report(
    dataset_path: Path,
    *,
    year: int | None = None,
    out: Path | None = None,
    groups: Path | None = None,
    threshold: int = 50,
) -> Path:
    """Compute every table of a dataset and write the report for ``year``; return its folder.

    ``out`` defaults to ``reports/<year>``.
    """
    from biblio.tables import MetricOptions, compute_tables, summarise

    dataset = open_dataset(dataset_path)
    check_year(dataset, year)
    options = MetricOptions(threshold=threshold, groups=groups)
    tables = compute_tables(dataset, options)
    year = report_year(tables, dataset.manifest, year)
    out = out if out is not None else Path("reports") / str(year)
    summary = summarise(tables, options)
    write_report(tables, summary, dataset.manifest, dataset_name=dataset.name, year=year, out=out)
    log.info("report for %s in %s", year, out)
    return out
