"""The yearly benchmark bundle: report + every table + schema + citation + checksums.

:func:`build_benchmark` writes one folder::

    index.html, report.md, figures/*.png   the report (biblio.report), for one year
    tables/<table>.parquet, .csv            every table of METRICS.md for that year (as
                                            ``biblio metrics --years YEAR`` writes them)
    tables/summary.json                     its headline figures (biblio.tables.summarise)
    manifest.json                           the dataset's manifest, as it is
    datapackage.json                        a Frictionless Data Package describing every table
    CITATION.cff                            how to cite the bundle (and OpenAlex)
    SHA256SUMS                              every other file, in ``sha256sum -c`` format

Nothing in it records when it was built: the same dataset gives byte-identical files (polars
writes Parquet without timestamps, figures carry no metadata, ``CITATION.cff`` takes its date
from the dataset's manifest). The folder is built beside ``out`` and moved into place in one
rename, so an interrupted run leaves no half-written bundle. With ``previous`` (last year's
bundle), the report gains a year-over-year section: every headline figure then and now, and the
units and institutions that crossed the threshold.

Examples
--------
>>> print(sha256sums({"b.csv": "00ff", "a/x.png": "ab12"}), end="")
ab12  a/x.png
00ff  b.csv
>>> from biblio.schema import OUTPUT_SPECS
>>> frictionless_field(OUTPUT_SPECS["output"].column("share_frac"))["constraints"]
{'minimum': 0, 'maximum': 1}
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from biblio.errors import InputError
from biblio.io import Dataset, atomic_write, file_sha256, open_dataset, publish_dataset
from biblio.report.build import (
    check_year,
    dataset_years,
    definitions_compared,
    report_inputs,
    report_year,
    write_report,
    year_rows,
)
from biblio.report.document import Block, Paragraph, Section, Table
from biblio.report.format import fmt_int, fmt_pct, name_with_code
from biblio.report.published import INSTITUTION_UNITS, KEY_UNITS
from biblio.schema import OUTPUT_SPECS, OUTPUT_TABLES, Column
from biblio.summary import DatasetInfo, Summary

__all__ = [
    "build_benchmark",
    "citation_cff",
    "datapackage",
    "frictionless_field",
    "headline_figures",
    "sha256sums",
    "year_over_year",
]

log = logging.getLogger(__name__)

TABLES_DIR = "tables"


# -- the data package --------------------------------------------------------------------------
def frictionless_field(column: Column) -> dict[str, Any]:
    """One Table Schema field for a column of :data:`biblio.schema.OUTPUT_SPECS`."""
    if pa.types.is_integer(column.type):
        kind = "integer"
    elif pa.types.is_floating(column.type):
        kind = "number"
    else:
        kind = "string"
    out: dict[str, Any] = {"name": column.name, "type": kind, "description": column.doc}
    if column.share:
        out["constraints"] = {"minimum": 0, "maximum": 1}
    return out


def _schema(name: str, *, missing: Sequence[str] = ("",)) -> dict[str, Any]:
    spec = OUTPUT_SPECS[name]
    return {
        "fields": [frictionless_field(c) for c in spec.columns],
        "primaryKey": list(spec.primary_key),
        "missingValues": list(missing),
    }


#: How a null of a Parquet file reaches a validator that reads it as text: frictionless reads
#: Parquet through pandas, which turns a null number into NaN, shown as "nan". The tables hold
#: no NaN (tested), so "nan" can only be a null there.
_PARQUET_MISSING = ("", "nan")


def _file_props(root: Path, relative: str, *, count_bytes: bool = True) -> dict[str, Any]:
    path = root / relative
    props: dict[str, Any] = {"bytes": path.stat().st_size} if count_bytes else {}
    props["hash"] = f"sha256:{file_sha256(path)}"
    return props


def datapackage(
    root: Path,
    *,
    year: int,
    manifest: Mapping[str, Any],
    dataset_name: str,
    version: str,
    selection: str | None = None,
) -> dict[str, Any]:
    """The Frictionless Data Package of a bundle folder whose tables are already written."""
    resources: list[dict[str, Any]] = []
    for name in OUTPUT_TABLES:
        csv_path = f"{TABLES_DIR}/{name}.csv"
        parquet_path = f"{TABLES_DIR}/{name}.parquet"
        resources.append(
            {
                "name": name,
                "path": csv_path,
                "profile": "tabular-data-resource",
                "description": OUTPUT_SPECS[name].doc,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": True, "quoteChar": '"'},
                **_file_props(root, csv_path),
                "schema": _schema(name),
            }
        )
        resources.append(
            {
                "name": f"{name}-parquet",
                "path": parquet_path,
                "profile": "data-resource",
                "description": f"{OUTPUT_SPECS[name].doc} The same rows as {csv_path}, as Parquet.",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                # No "bytes": frictionless reads Parquet through pyarrow, counts no bytes and
                # reports any stated count as wrong; the hash is in SHA256SUMS too.
                **_file_props(root, parquet_path, count_bytes=False),
                "schema": _schema(name, missing=_PARQUET_MISSING),
            }
        )
    for relative, description, fmt in (
        (
            f"{TABLES_DIR}/summary.json",
            "Headline figures per year and the definitions used.",
            "json",
        ),
        (
            "manifest.json",
            "The dataset's manifest: source, selection, years, record counts, "
            "checksums of its files.",
            "json",
        ),
    ):
        resources.append(
            {
                "name": Path(relative).stem,
                "path": relative,
                "profile": "data-resource",
                "description": description,
                "format": fmt,
                "mediatype": "application/json",
                **_file_props(root, relative),
            }
        )
    synthetic = bool(manifest.get("synthetic"))
    return {
        "profile": "data-package",
        "name": f"biblio-benchmark-{year}-{_slug(dataset_name)}",
        "title": f"AI research benchmark {year}: output, citations, collaboration "
        f"(dataset {dataset_name})" + (" — SYNTHETIC DEMONSTRATION DATA" if synthetic else ""),
        "description": (
            "Bibliometric indicators of AI research recomputed from OpenAlex with biblio; every "
            "table and column is defined in METRICS.md."
            + (
                " The dataset is synthetic demonstration data: not real figures."
                if synthetic
                else ""
            )
        ),
        "version": version,
        "licenses": [
            {
                "name": "CC0-1.0",
                "title": "CC0 1.0 Universal",
                "path": "https://creativecommons.org/publicdomain/zero/1.0/",
            }
        ],
        "sources": [
            {"title": str(manifest.get("source", "OpenAlex")), "path": "https://openalex.org"}
        ],
        "keywords": ["artificial intelligence", "bibliometrics", "OpenAlex", "co-authorship"],
        "biblio": {
            "report_year": year,
            "dataset": dataset_name,
            "synthetic": synthetic,
            "selection": (manifest.get("filters") or {}).get("selection")
            if selection is None
            else selection,
        },
        "resources": resources,
    }


def _slug(text: str) -> str:
    """``My data/2024`` → ``my-data-2024`` (Data Package names are lower-case, ``[a-z0-9._-]``)."""
    chars = [c if c.isalnum() or c in "._-" else "-" for c in text.lower()]
    return "".join(chars).strip("-") or "dataset"


def citation_cff(*, year: int, dataset_name: str, manifest: Mapping[str, Any], version: str) -> str:
    """``CITATION.cff`` (Citation File Format 1.2.0) for a bundle; no run time in it.

    >>> text = citation_cff(year=2024, dataset_name="demo", version="0.1.0",
    ...                     manifest={"created": "2025-06-01T00:00:00+00:00", "synthetic": True})
    >>> "date-released: 2025-06-01" in text and "synthetic" in text
    True
    """
    q = json.dumps  # a JSON string is a valid YAML double-quoted scalar
    synthetic = bool(manifest.get("synthetic"))
    title = f"AI research benchmark {year} (biblio, dataset {dataset_name})"
    abstract = (
        "Bibliometric indicators of AI research (output, citation shares, "
        "co-authorship flows and asymmetry, network, institutions above a threshold, "
        "active researchers) recomputed from OpenAlex."
    )
    if synthetic:
        abstract += " Built from synthetic demonstration data: not real figures."
    lines = [
        "cff-version: 1.2.0",
        "message: "
        + q(
            "If you use this benchmark, please cite it as below, and OpenAlex as "
            "the source of the data."
        ),
        "type: dataset",
        f"title: {q(title)}",
        f"version: {q(version)}",
        "license: CC0-1.0",
        "authors:",
        "  - name: " + q("biblio contributors"),
        f"abstract: {q(abstract)}",
        "keywords:",
        *(f"  - {q(k)}" for k in ("artificial intelligence", "bibliometrics", "OpenAlex")),
    ]
    created = str(manifest.get("created") or "")[:10]
    if len(created) == 10:
        lines.append(f"date-released: {created}")
    lines += [
        "references:",
        "  - type: article",
        "    title: "
        + q(
            "OpenAlex: A fully-open index of scholarly works, authors, venues, "
            "institutions, and concepts"
        ),
        "    authors:",
        "      - family-names: Priem",
        "        given-names: Jason",
        "      - family-names: Piwowar",
        "        given-names: Heather",
        "      - family-names: Orr",
        "        given-names: Richard",
        "    year: 2022",
        '    url: "https://arxiv.org/abs/2205.01833"',
    ]
    return "\n".join(lines) + "\n"


def sha256sums(hashes: Mapping[str, str]) -> str:
    """``SHA256SUMS`` text: ``<hex>  <relative path>`` per file, sorted by path."""
    return "".join(f"{hashes[p]}  {p}\n" for p in sorted(hashes))


# -- year over year ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HeadlineFigure:
    """One headline figure of a year: its value, its counting and the count it rests on.

    ``value`` is as ``summary.json`` holds it (a unit code, a share or a count); ``counting``
    says how works were counted; ``basis`` is the count behind a share or a unit, as printed
    (``47 of 448 works``), empty for a figure that is itself a count.
    """

    value: str | int | float | None
    counting: str
    basis: str = ""


#: What each citation window of ``summary.json`` counts, in words.
_WINDOWS = {
    "received": "citations made in the year to AI works",
    "published": "citations to date of the year's AI works",
}
_COUNTING = {"full": "full", "frac": "fractional"}
#: The counting of figures that count whole things once (works, partner countries).
_WHOLE = "none needed: each work once"
_PARTNERS = "none needed: each partner country once"


def _basis(frame: pl.DataFrame, template: str, **where: Any) -> str:
    """``template`` filled with the one row of ``frame`` matching ``where`` (empty if none)."""
    rows = frame.filter(**where)
    if rows.height != 1:
        return ""
    return template.format(**rows.row(0, named=True))


def headline_figures(
    summary: Summary, tables: Mapping[str, pl.DataFrame], year: int
) -> dict[str, HeadlineFigure]:
    """The headline figures of one year of ``summary.json``, by label, with their counts.

    The counts come from ``tables`` (the bundle's, which hold every year); each figure says
    its counting.

    >>> from biblio.summary import Definitions, MostConnected, YearSummary
    >>> head = YearSummary(attributed_works=10, most_connected=MostConnected("CN", 3, 2),
    ...                    researchers={"CN": 5, "XX": 1})
    >>> summary = Summary(Definitions(), {2024: head})
    >>> coverage = pl.DataFrame({"year": [2024], "works": [12], "attributed": [10]})
    >>> for label, figure in headline_figures(summary, {"coverage": coverage}, 2024).items():
    ...     print(f"{label}: {figure.value} [{figure.counting}] {figure.basis}".rstrip())
    AI works naming a country: 10 [none needed: each work once] of 12 AI works
    most connected country by co-authored works summed over partners: CN [full] 3 co-authored works, 2 partner countries
    co-authored works of the most connected country, summed over partners: 3 [full]
    partner countries of the most connected country: 2 [none needed: each partner country once]
    active researchers: China (CN): 5 [full]
    """  # noqa: E501
    head = summary.years.get(year)
    if head is None:
        return {}
    empty = pl.DataFrame({"year": [], "unit": [], "source": [], "partner": [], "window": []})

    def rows(name: str) -> pl.DataFrame:
        return tables[name].filter(pl.col("year") == year) if name in tables else empty

    works_basis = _basis(rows("coverage"), "of {works:,} AI works")
    out: dict[str, HeadlineFigure] = {
        "AI works naming a country": HeadlineFigure(head.attributed_works, _WHOLE, works_basis)
    }
    cites = rows("citation_shares")
    for key, leader in sorted(head.citation_share_leader.items()):
        window, _, suffix = key.partition("_")
        counting = _COUNTING.get(suffix, suffix)
        what = _WINDOWS.get(window, window)
        amount = "{citations_full:,}" if suffix == "full" else "{citations_frac:,.1f}"
        share = cites.filter(window=window, unit=leader.unit)
        total = share.select(
            (pl.col(f"citations_{suffix}") / pl.col(f"share_{suffix}")).round(0).alias("total")
        )
        basis = (
            _basis(share, amount) + f" of {int(total['total'][0]):,} citations"
            if share.height == 1 and total["total"][0] is not None
            else ""
        )
        label = f"largest share of the {what}, {counting} counting"
        out[f"{label}: country"] = HeadlineFigure(leader.unit, counting, basis)
        out[f"{label}: its share"] = HeadlineFigure(leader.share, counting, basis)
    flows = rows("flows")
    for f in head.flows:
        out[f"flow share {name_with_code(f.source)} → {name_with_code(f.partner)}"] = (
            HeadlineFigure(
                f.flow_share,
                "full",
                _basis(
                    flows,
                    "{coauthored:,} of {source_works:,} works",
                    source=f.source,
                    partner=f.partner,
                ),
            )
        )
    for unit, partner in sorted(head.top_partner.items()):
        basis = (
            _basis(flows, "{coauthored:,} co-authored works", source=unit, partner=partner)
            if partner
            else "no co-authored work"
        )
        out[f"top co-author country of {name_with_code(unit)} (most co-authored works)"] = (
            HeadlineFigure(partner, "full", basis)
        )
    connected = head.most_connected
    if connected:
        out["most connected country by co-authored works summed over partners"] = HeadlineFigure(
            connected.unit,
            "full",
            f"{connected.strength:,} co-authored works, {connected.partners:,} partner countries",
        )
        out["co-authored works of the most connected country, summed over partners"] = (
            HeadlineFigure(connected.strength, "full")
        )
        out["partner countries of the most connected country"] = HeadlineFigure(
            connected.partners, _PARTNERS
        )
    above = rows("institutions_above")
    threshold = summary.definitions.threshold
    for unit in INSTITUTION_UNITS:
        if unit in head.institutions_above:
            out[f"institutions with more than {threshold} AI works: {name_with_code(unit)}"] = (
                HeadlineFigure(
                    head.institutions_above[unit],
                    "full",
                    _basis(above, "of {institutions_total:,} with at least one AI work", unit=unit),
                )
            )
    for unit in KEY_UNITS:
        if unit in head.researchers:
            out[f"active researchers: {name_with_code(unit)}"] = HeadlineFigure(
                head.researchers[unit], "full"
            )
    return out


def _show(figure: HeadlineFigure | None) -> str:
    """A figure's cell: the value (a unit by name and code) with its count in brackets."""
    if figure is None or figure.value is None:
        return "—"
    value = figure.value
    if isinstance(value, str):
        text = name_with_code(value)
    elif isinstance(value, float):  # the headline figures' only floats are shares
        text = fmt_pct(value)
    else:
        text = fmt_int(value)
    return f"{text} ({figure.basis})" if figure.basis else text


def _change(before: HeadlineFigure | None, now: HeadlineFigure | None) -> str:
    if before is None or now is None or before.value is None or now.value is None:
        return "—"
    if isinstance(before.value, str) or isinstance(now.value, str):
        return "same" if before.value == now.value else "changed"
    if isinstance(now.value, float) and isinstance(before.value, float):
        return f"{100 * (now.value - before.value):+.1f} pp"
    return f"{now.value - before.value:+,}"


def _counting(before: HeadlineFigure | None, now: HeadlineFigure | None) -> str:
    found = now or before
    if found is None:
        return "—"
    return found.counting if found.counting.startswith("none") else f"{found.counting} counting"


def year_over_year(
    previous: Path,
    *,
    summary: Summary,
    tables: Mapping[str, pl.DataFrame],
    year: int,
) -> Section:
    """The year-over-year section: last bundle's headline figures beside this one's.

    ``previous`` is a folder written by :func:`build_benchmark`. Lists every headline figure
    then and now, each with its counting and the counts it rests on, the units whose count of
    institutions above the threshold went from zero to some or back, and the institutions that
    crossed the threshold either way.
    """
    package_path = previous / "datapackage.json"
    try:
        package = json.loads(package_path.read_text("utf-8"))
        prev_year = int(package["biblio"]["report_year"])
        prev_summary = Summary.loads((previous / TABLES_DIR / "summary.json").read_text("utf-8"))
        prev_tables = {
            name: pl.read_parquet(previous / TABLES_DIR / f"{name}.parquet")
            for name in (
                "coverage",
                "citation_shares",
                "flows",
                "institutions_above",
                "institution_output",
            )
        }
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(
            f"--previous {previous}: not a benchmark bundle ({exc}); give a folder written by "
            "`biblio benchmark`"
        ) from exc
    prev_institutions, prev_above = (
        prev_tables["institution_output"],
        prev_tables["institutions_above"],
    )
    before = headline_figures(prev_summary, prev_tables, prev_year)
    now = headline_figures(summary, tables, year)
    labels = list(dict.fromkeys([*now, *before]))
    rows = [
        [
            label,
            _show(before.get(label)),
            _show(now.get(label)),
            _change(before.get(label), now.get(label)),
            _counting(before.get(label), now.get(label)),
        ]
        for label in labels
    ]
    headers = ["headline figure", str(prev_year), str(year), "change", "counting"]

    threshold = summary.definitions.threshold
    counted = ("unit", "institutions_above", "institutions_total")
    above_now = tables["institutions_above"].filter(year=year).select(counted)
    above_before = prev_above.filter(year=prev_year).select(
        "unit",
        pl.col("institutions_above").alias("before"),
        pl.col("institutions_total").alias("total_before"),
    )
    units = (
        above_now.join(above_before, on="unit", how="full", coalesce=True)
        .with_columns(pl.col("institutions_above", "before").fill_null(0))
        .filter((pl.col("institutions_above") > 0) != (pl.col("before") > 0))
        .sort("unit")
    )
    unit_rows = [
        [
            name_with_code(u),
            f"{fmt_int(b)} (of {fmt_int(tb or 0)} with at least one AI work)",
            f"{fmt_int(n)} (of {fmt_int(tn or 0)})",
            "crossed above" if n > 0 else "fell to none",
        ]
        for u, n, tn, b, tb in units.iter_rows()
    ]

    def above(frame: pl.DataFrame, y: int) -> pl.DataFrame:
        return frame.filter((pl.col("year") == y) & (pl.col("works") > threshold)).select(
            "institution_id", "display_name", "country_code", "works"
        )

    now_set, before_set = (
        above(tables["institution_output"], year),
        above(prev_institutions, prev_year),
    )
    crossed = [
        [
            r["institution_id"],
            r["display_name"] or "—",
            name_with_code(r["country_code"]) if r["country_code"] else "unknown",
            fmt_int(r["works"]),
            direction,
        ]
        for frame, other, direction in (
            (now_set, before_set, "crossed above"),
            (before_set, now_set, "fell below"),
        )
        for r in frame.join(other.select("institution_id"), on="institution_id", how="anti")
        .sort("institution_id")
        .iter_rows(named=True)
    ]
    inst_headers = [
        "institution",
        "name",
        "country",
        "AI works, full counting (in the year it was above)",
        "direction",
    ]
    unit_headers = [
        "unit",
        f"institutions with more than {threshold} AI works in {prev_year} (full counting)",
        f"… in {year}",
        "change",
    ]
    none = Paragraph("None.")
    blocks: list[Block] = [
        Paragraph(
            f"Compared with the benchmark for {prev_year} in {previous.name}.",
            "Figures are as each bundle computed them; a change of dataset or definitions "
            "changes them too.",
        ),
        Table(headers, rows),
        Paragraph(
            f"Units that crossed the threshold of {threshold} works (from no institution above "
            "it to some, or back):"
        ),
        Table(unit_headers, unit_rows) if unit_rows else none,
        Paragraph("Institutions that crossed the threshold:"),
        Table(inst_headers, crossed) if crossed else none,
    ]
    return Section(f"Changes since {prev_year}", *blocks)


# -- the bundle --------------------------------------------------------------------------------
def build_benchmark(
    dataset_path: Path | Dataset,
    *,
    year: int | None = None,
    out: Path | None = None,
    groups: Path | None = None,
    threshold: int = 50,
    previous: Path | None = None,
    selection: str | None = None,
) -> Path:
    """Write the benchmark bundle of a dataset for ``year``; return its folder.

    ``out`` defaults to ``reports/benchmark-<year>``; an existing bundle there is replaced.
    ``selection`` is the definition of AI work (default: the dataset's first).
    """
    from biblio import __version__
    from biblio.tables import MetricOptions, resolve_selection, summarise, write_tables

    if previous is not None and not (previous / "datapackage.json").is_file():
        raise InputError(
            f"--previous {previous}: no datapackage.json there; give a folder "
            "written by `biblio benchmark`"
        )
    dataset = open_dataset(dataset_path)
    check_year(dataset, year)
    chosen = resolve_selection(dataset, selection)
    options = MetricOptions(threshold=threshold, groups=groups, selection=chosen)
    year = report_year(dataset_years(dataset, options), dataset.manifest, year)
    parent = out.parent if out is not None else Path("reports")
    staging = parent / f".{out.name if out is not None else 'benchmark'}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        # What the report shows; the bundle's tables are those of its year alone.
        tables, figures = report_inputs(dataset, options, year=year)
        own = year_rows(tables, year)
        summary = replace(
            summarise(own, options), dataset=DatasetInfo(dataset.name, dataset.manifest)
        )
        write_tables(own, summary, staging / TABLES_DIR)
        summary = Summary.loads((staging / TABLES_DIR / "summary.json").read_text("utf-8"))
        final = out if out is not None else parent / f"benchmark-{year}"
        extra: list[Section] = []
        if previous is not None:
            extra = [year_over_year(previous, summary=summary, tables=tables, year=year)]
        extra += definitions_compared(dataset, options, (tables, summary), year)
        write_report(
            tables,
            summary,
            dataset.manifest,
            dataset_name=dataset.name,
            year=year,
            out=staging,
            extra=extra,
            figures=figures,
        )
        with atomic_write(staging / "manifest.json") as fh:
            json.dump(dataset.manifest, fh, indent=2, sort_keys=True, ensure_ascii=False)
            fh.write("\n")
        package = datapackage(
            staging,
            year=year,
            manifest=dataset.manifest,
            dataset_name=dataset.name,
            version=__version__,
            selection=chosen,
        )
        with atomic_write(staging / "datapackage.json") as fh:
            json.dump(package, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        with atomic_write(staging / "CITATION.cff") as fh:
            fh.write(
                citation_cff(
                    year=year,
                    dataset_name=dataset.name,
                    manifest=dataset.manifest,
                    version=__version__,
                )
            )
        hashes = {
            p.relative_to(staging).as_posix(): file_sha256(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file() and p.name != "SHA256SUMS"
        }
        with atomic_write(staging / "SHA256SUMS") as fh:
            fh.write(sha256sums(hashes))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish_dataset(staging, final)
    log.info("benchmark bundle for %s in %s", year, final)
    return final
