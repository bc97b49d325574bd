"""Building the report: tables → document → Markdown and HTML → files, for one year.

:func:`build_report` computes what the report shows (:func:`report_tables`: every table of its
year, and of the other years only the rows of its trend figures, :data:`REPORT_TRENDS`) and
:func:`write_report` turns them into a :class:`~biblio.report.document.Document`
(:func:`report_document`), renders it twice and writes, each file whole or not at all::

    figures/<name>.png   every figure of the document
    report.md            biblio.report.markdown.render_markdown
    index.html           biblio.report.html.render_html (figures embedded)

    figures/<name>.csv   the data each figure drew (linked under it)

The document: a banner when the dataset is synthetic, the headline sentences, any ``extra``
sections (the bundle's year-over-year changes), the figures, the published figures beside ours,
the definitions, the main tables, a glossary and the dataset's manifest. Every sentence comes
from the tables alone, in a fixed order; nothing depends on the time it was built, so the same
tables give byte-identical files.

Examples
--------
>>> report_year([2023, 2024, 2025], {"created": "2025-06-01T00:00:00+00:00"}, None)
2024
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from biblio.corpus import corpus_years, select_works
from biblio.errors import UsageError
from biblio.io import Dataset, atomic_write, open_dataset
from biblio.output import staged_output
from biblio.report.comparison import published_section
from biblio.report.definitions import definitions_section, glossary_section, source_line
from biblio.report.document import (
    Alert,
    Block,
    BulletList,
    Code,
    Document,
    Figure,
    Section,
)
from biblio.report.figures import FIGURE_NAMES, TREND_FIGURES, report_figures
from biblio.report.headlines import headline_sentences
from biblio.report.html import render_html
from biblio.report.main_tables import tables_section
from biblio.report.markdown import render_markdown
from biblio.report.published import read_published_figures
from biblio.report.selections import definition_figures, selections_section
from biblio.summary import Summary
from biblio.tables import MetricOptions, Trend, compute_tables, summarise

__all__ = [
    "REPORT_TRENDS",
    "build_report",
    "check_year",
    "dataset_years",
    "definitions_compared",
    "preload_plotting",
    "report_document",
    "report_inputs",
    "report_tables",
    "report_year",
    "write_report",
]

log = logging.getLogger(__name__)

FIGURES_DIR = "figures"


def report_year(years: Sequence[int], manifest: Mapping[str, Any], year: int | None) -> int:
    """The year to report: ``year`` if the dataset has it, else the latest complete year.

    ``years`` are the dataset's years with works (:func:`dataset_years`). The latest complete
    year is the latest year with works that ended before the dataset was fetched
    (``manifest["created"]``), or the latest year when none did.
    """
    years = sorted(years)
    if not years:
        raise UsageError("the dataset has no works in its years; nothing to report")
    if year is not None:
        if year not in years:
            raise UsageError(f"--year {year}: the dataset has works in {years[0]}–{years[-1]}")
        return year
    created = str(manifest.get("created") or "")
    fetched = int(created[:4]) if created[:4].isdigit() else None
    complete = [y for y in years if fetched is None or y < fetched]
    return int((complete or years)[-1])


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


def dataset_years(dataset: Dataset, options: MetricOptions) -> list[int]:
    """The publication years with works after the corpus filters (the coverage table's).

    Of the works that meet ``options.selection`` (see :func:`biblio.tables.definition_works`).
    """
    from biblio.tables import definition_works

    return corpus_years(
        select_works(
            definition_works(dataset, options.selection),
            keep_paratext=options.keep_paratext,
            keep_retracted=options.keep_retracted,
        )
    )


def year_rows(tables: Mapping[str, pl.DataFrame], year: int) -> dict[str, pl.DataFrame]:
    """The rows of ``year`` of every table: what ``biblio metrics --years YEAR`` writes.

    >>> year_rows({"coverage": pl.DataFrame({"year": [2023, 2024]})}, 2024)["coverage"].rows()
    [(2024,)]
    """
    return {name: frame.filter(pl.col("year") == year) for name, frame in tables.items()}


#: What the report shows of the years other than its own, and so all it computes of them: the
#: fixed-window citation trend (every country, as the figure compares each year's citations
#: with the peak year's, and EU27) and the coverage of every year.
REPORT_TRENDS = (
    Trend("citation_trend", units=("EU27",), countries=True),
    Trend("coverage"),
)


def preload_plotting() -> None:
    """Import the plotting libraries in a background thread while the tables compute.

    matplotlib and seaborn (with scipy) take almost two CPU seconds to import, in Python, while
    polars computes on every core without holding the interpreter; the figures' own import then
    finds them loaded. :func:`report_tables` calls it once the corpus is prepared, so that their
    0.2 GB do not add to the peak of the preparation. igraph is imported here first, so that
    :mod:`biblio.network` can keep matplotlib out of it.
    """
    import biblio.network  # noqa: F401  (before matplotlib: see biblio.network)

    threading.Thread(target=importlib.import_module, args=("biblio.plot",), daemon=True).start()


def report_tables(
    dataset: Dataset,
    options: MetricOptions,
    *,
    year: int,
    meanwhile: Callable[[dict[str, pl.DataFrame]], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every table the report of ``year`` reads, computed for what it shows only.

    Every table of ``year`` (as ``biblio metrics --years year`` writes it) and of the years of
    the published figures, which the report sets beside ours; of the other years the rows of
    :data:`REPORT_TRENDS`. The cost is about that of ``biblio metrics`` for one year.
    ``meanwhile`` is called with the tables of ``year`` while the trend rows compute (see
    :func:`biblio.tables.compute_tables`).
    """
    tables = compute_tables(
        dataset,
        replace(options, years=(year, year)),
        trends=REPORT_TRENDS,
        meanwhile=meanwhile,
        prepared=preload_plotting,
    )
    present = set(tables["coverage"]["year"].to_list())
    for other in sorted({f.year for f in read_published_figures()} & present - {year}):
        more = compute_tables(dataset, replace(options, years=(other, other)))
        for name, frame in more.items():
            kept = tables[name].filter(pl.col("year") != other)
            tables[name] = pl.concat([kept, frame]).sort("year", maintain_order=True)
    return tables


def report_inputs(
    dataset: Dataset, options: MetricOptions, *, year: int
) -> tuple[dict[str, pl.DataFrame], list[Figure]]:
    """The tables the report of ``year`` reads (:func:`report_tables`) and its figures.

    The figures of ``year`` alone are drawn in a second thread while the trend rows compute
    (drawing is Python work, the trends are polars'), the trend figures
    (:data:`~biblio.report.figures.TREND_FIGURES`) once those rows are there. The figures are
    those :func:`write_report` would draw from the tables.
    """
    manifest = dataset.manifest
    drawing: dict[str, Any] = {
        "year": year,
        "threshold": options.threshold,
        "source": source_line(manifest, dataset.name),
        "synthetic": bool(manifest.get("synthetic")),
        "years": dataset_years(dataset, options),
    }
    drawn: list[Figure] = []

    def draw_year(own: Mapping[str, pl.DataFrame]) -> None:
        alone = [name for name in FIGURE_NAMES if name not in TREND_FIGURES]
        drawn.extend(report_figures(own, names=alone, **drawing))

    tables = report_tables(dataset, options, year=year, meanwhile=draw_year)
    drawn.extend(report_figures(tables, names=TREND_FIGURES, **drawing))
    by_name = {figure.name: figure for figure in drawn}
    return tables, [by_name[name] for name in FIGURE_NAMES]


def _synthetic_notice(manifest: Mapping[str, Any]) -> Alert | None:
    if not manifest.get("synthetic"):
        return None
    return Alert(
        "SYNTHETIC DEMONSTRATION DATA — these are not real figures. The dataset was generated "
        f"({manifest.get('source', 'synthetic data')}) to show what the report looks like; do "
        "not cite any number in it."
    )


def report_document(
    tables: Mapping[str, pl.DataFrame],
    summary: Summary,
    manifest: Mapping[str, Any],
    *,
    dataset_name: str,
    year: int,
    figures: Sequence[Figure],
    extra: Sequence[Section] = (),
) -> Document:
    """The report of ``year`` as a document; ``extra`` sections go after the headlines.

    ``summary`` is :func:`biblio.tables.summarise`'s output; ``figures`` are the rendered
    figures (:func:`biblio.report.figures.report_figures`).
    """
    definitions = summary.definitions
    years = sorted(tables["coverage"]["year"].to_list())
    notice = _synthetic_notice(manifest)
    manifest_text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    selection = definitions.selection or (manifest.get("filters") or {}).get("selection")
    blocks: list[Block] = [] if notice is None else [notice]
    blocks += [
        Section(
            "Headlines",
            BulletList(*headline_sentences(tables, year, definitions, manifest=manifest)),
        ),
        *extra,
        Section("Figures", *figures),
        published_section(tables, definitions, synthetic=notice is not None, selection=selection),
        definitions_section(definitions, manifest, years),
        tables_section(tables, year),
        glossary_section(),
        Section("Dataset manifest", Code(manifest_text, "json")),
    ]
    title = f"AI research in {year}: who leads and who collaborates — dataset {dataset_name}"
    return Document(title, *blocks)


def definitions_compared(
    dataset: Dataset,
    options: Any,
    own: tuple[Mapping[str, pl.DataFrame], Summary],
    year: int,
) -> list[Section]:
    """The section "How the definition of AI moves the figures", when there is one.

    Only when the dataset holds several definitions of AI work (else nothing); ``options`` are
    the report's :class:`~biblio.tables.MetricOptions`, ``own`` its tables and summary.
    """
    from biblio.tables import held_selections

    if len(held_selections(dataset.manifest)) < 2 or options.selection is None:
        return []
    figures = definition_figures(dataset, options, own, year)
    return [selections_section(figures, year, chosen=options.selection)]


def write_report(
    tables: Mapping[str, pl.DataFrame],
    summary: Summary,
    manifest: Mapping[str, Any],
    *,
    dataset_name: str,
    year: int,
    out: Path,
    extra: Sequence[Section] = (),
    figures: Sequence[Figure] | None = None,
) -> list[Path]:
    """Write the figures, ``report.md`` and ``index.html`` into ``out``; return the paths.

    The figures are ``figures/*.png`` with their data as ``.csv``.

    ``extra`` sections (e.g. the benchmark's year-over-year changes) go after the headlines;
    ``figures`` are the figures already drawn (:func:`report_inputs`), else they are drawn here.
    """
    if figures is None:
        figures = report_figures(
            tables,
            year=year,
            threshold=summary.definitions.threshold,
            source=source_line(manifest, dataset_name),
            synthetic=bool(manifest.get("synthetic")),
        )
    document = report_document(
        tables,
        summary,
        manifest,
        dataset_name=dataset_name,
        year=year,
        figures=figures,
        extra=extra,
    )
    written = []
    for fig in document.figures():
        path = out / FIGURES_DIR / f"{fig.name}.png"
        with atomic_write(path, "wb") as fh:
            fh.write(fig.png)
        written.append(path)
        if fig.data:
            with atomic_write(path.with_suffix(".csv")) as fh:
                fh.write(fig.data)
            written.append(path.with_suffix(".csv"))
    for name, text in (
        ("report.md", render_markdown(document, figures_dir=FIGURES_DIR)),
        ("index.html", render_html(document)),
    ):
        with atomic_write(out / name) as fh:
            fh.write(text)
        written.append(out / name)
    return written


def build_report(
    dataset_path: Path | Dataset,
    *,
    year: int | None = None,
    out: Path | None = None,
    groups: Path | None = None,
    threshold: int = 50,
    selection: str | None = None,
) -> Path:
    """Compute what the report shows and write the report for ``year``; return its folder.

    The tables are :func:`report_tables`'s.

    ``out`` defaults to ``reports/<year>``; ``selection`` is the definition of AI work to report
    (default: the dataset's first). A dataset holding several definitions gets the section
    comparing them (:mod:`biblio.report.selections`).
    """
    from biblio.tables import resolve_selection

    dataset = open_dataset(dataset_path)
    check_year(dataset, year)
    chosen = resolve_selection(dataset, selection)
    options = MetricOptions(threshold=threshold, groups=groups, selection=chosen)
    year = report_year(dataset_years(dataset, options), dataset.manifest, year)
    tables, figures = report_inputs(dataset, options, year=year)
    out = out if out is not None else Path("reports") / str(year)
    summary = summarise(year_rows(tables, year), options)
    extra = definitions_compared(dataset, options, (tables, summary), year)
    with staged_output(out) as stage:  # the whole report replaces the old one, or nothing does
        write_report(
            tables,
            summary,
            dataset.manifest,
            dataset_name=dataset.name,
            year=year,
            out=stage,
            extra=extra,
            figures=figures,
        )
    log.info("report for %s in %s", year, out)
    return out
