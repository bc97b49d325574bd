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
>>> frictionless_field("share_frac", __import__("pyarrow").float64())["type"]
'number'
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from biblio.errors import InputError
from biblio.io import atomic_write, file_sha256, open_dataset, publish_dataset
from biblio.report.build import (
    check_year,
    dataset_years,
    preload_plotting,
    report_tables,
    report_year,
    write_report,
)
from biblio.report.document import Block, Paragraph, Section, Table
from biblio.report.format import fmt_int, fmt_pct
from biblio.report.published import INSTITUTION_UNITS, KEY_UNITS
from biblio.schema import OUTPUT_TABLES

__all__ = [
    "PRIMARY_KEYS",
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

#: The columns that identify a row of each table (the Data Package ``primaryKey``).
PRIMARY_KEYS: dict[str, list[str]] = {
    "output": ["unit", "year"],
    "citation_shares": ["unit", "year", "window"],
    "flows": ["source", "partner", "year"],
    "asymmetry": ["source", "partner", "year"],
    "network_nodes": ["unit", "year"],
    "network_edges": ["source", "partner", "year"],
    "institutions_above": ["unit", "year"],
    "institution_output": ["institution_id", "year"],
    "researchers": ["unit", "year"],
    "coverage": ["year"],
}

_TABLE_DOC = {
    "output": "AI works per unit and year, full and fractional counting (METRICS.md §1).",
    "citation_shares": "Citation shares per unit, year and window (received / published) (§2).",
    "flows": "Co-authorship flows: share of the source's works with a co-author in the partner "
    "(§3).",
    "asymmetry": "Flow asymmetry beside Salton's cosine, affinity and leadership asymmetry (§4).",
    "network_nodes": "Country co-authorship network: node measures per unit and year (§5).",
    "network_edges": "Country co-authorship network: co-authored works per pair and year (§5).",
    "institutions_above": "Institutions with more works than the threshold, per unit (§6).",
    "institution_output": "AI works per (rolled-up) institution and year (§6).",
    "researchers": "Active AI researchers per unit and year (§7).",
    "coverage": "Coverage per year: works and authorships with and without country (§8).",
}

_FIELD_DOC = {
    "unit": "country (ISO 3166-1 alpha-2) or group of countries (EU27, EU, AFRICA, …)",
    "source": "unit whose works are counted",
    "partner": "co-author unit (a union is written A+B+C)",
    "year": "publication year (citing year for the received window)",
    "works_full": "works with at least one authorship in the unit",
    "works_frac": "sum of the unit's authorship fractions",
    "share_full": "full count / attributed works (or citations) of the year",
    "share_frac": "fractional count / attributed works (or citations) of the year",
    "window": "received: citations made in the year; published: citations to date of the "
    "year's works",
    "citations_full": "citations to works of the unit",
    "citations_frac": "citations weighted by the unit's fraction of each work",
    "coauthored": "works with authors in both units",
    "source_works": "works of the source (full counting)",
    "flow_share": "coauthored / source_works",
    "led_by_source": "co-authored works whose lead authorship is in the source",
    "led_by_partner": "co-authored works whose lead authorship is in the partner",
    "flow_source_to_partner": "F(source→partner)",
    "flow_partner_to_source": "F(partner→source)",
    "asymmetry": "F(source→partner) / F(partner→source)",
    "salton": "coauthored / sqrt(works(source)·works(partner))",
    "affinity": "coauthored·N / (works(source)·works(partner))",
    "leadership_asymmetry": "led_by_source / led_by_partner",
    "partners": "number of partner countries (degree)",
    "strength": "co-authored works summed over partners",
    "eigenvector": "weighted eigenvector centrality, maximum 1",
    "betweenness": "weighted betweenness, distance 1/weight",
    "pagerank": "weighted PageRank, damping 0.85",
    "community": "Leiden community (modularity, fixed seed)",
    "top_partner": "partner with the most co-authored works",
    "intl_rate": "share of the unit's works with a country outside it",
    "threshold": "T: institutions need more than T works",
    "institutions_above": "institutions with more than T works",
    "institutions_total": "institutions with at least one work",
    "institution_id": "OpenAlex institution id (after roll-up)",
    "display_name": "institution name as OpenAlex gives it",
    "country_code": "institution's country; empty when unknown",
    "works": "works in the year",
    "min_works": "k: minimum works in the window",
    "window_years": "m: window length in years",
    "researchers_full": "active authors with a country in the unit",
    "researchers_frac": "active authors split over the countries of their latest work",
    "attributed": "works with at least one country",
    "unattributed": "works with no country",
    "authorships": "authorships of the year's works",
    "authorships_with_country": "authorships with at least one country",
    "authors_with_id": "distinct non-null author ids",
    "institutions_missing_country": "listed institutions with no record or no country",
}
_SHARES = {
    "share_full",
    "share_frac",
    "flow_share",
    "flow_source_to_partner",
    "flow_partner_to_source",
    "intl_rate",
    "eigenvector",
}


# -- the data package --------------------------------------------------------------------------
def frictionless_field(name: str, dtype: pa.DataType) -> dict[str, Any]:
    """One Table Schema field for a column of :data:`biblio.schema.OUTPUT_TABLES`."""
    if pa.types.is_integer(dtype):
        kind = "integer"
    elif pa.types.is_floating(dtype):
        kind = "number"
    else:
        kind = "string"
    out: dict[str, Any] = {"name": name, "type": kind}
    if name in _FIELD_DOC:
        out["description"] = _FIELD_DOC[name]
    if name in _SHARES:
        out["constraints"] = {"minimum": 0, "maximum": 1}
    return out


def _schema(name: str) -> dict[str, Any]:
    return {
        "fields": [frictionless_field(f.name, f.type) for f in OUTPUT_TABLES[name]],
        "primaryKey": PRIMARY_KEYS[name],
        "missingValues": [""],
    }


def _file_props(root: Path, relative: str) -> dict[str, Any]:
    path = root / relative
    return {"bytes": path.stat().st_size, "hash": f"sha256:{file_sha256(path)}"}


def datapackage(
    root: Path, *, year: int, manifest: Mapping[str, Any], dataset_name: str, version: str
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
                "description": _TABLE_DOC[name],
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
                "description": f"{_TABLE_DOC[name]} The same rows as {csv_path}, as Parquet.",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                **_file_props(root, parquet_path),
                "schema": _schema(name),
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
            "selection": (manifest.get("filters") or {}).get("selection"),
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


# -- year over year ----------------------------------------------------------------------------
def headline_figures(summary: Mapping[str, Any], year: int) -> dict[str, Any]:
    """The headline figures of one year of ``summary.json``, flattened to label → value.

    >>> summary = {"years": {"2024": {"attributed_works": 10, "most_connected": {"unit": "CN",
    ...     "strength": 3, "partners": 2}, "researchers": {"CN": 5, "XX": 1}}}}
    >>> for label, value in headline_figures(summary, 2024).items():
    ...     print(f"{label}: {value}")
    AI works naming a country: 10
    most connected country: CN
    most connected: co-authorship links: 3
    active researchers: CN: 5
    """
    head = summary.get("years", {}).get(str(year))
    if head is None:
        return {}
    out: dict[str, Any] = {"AI works naming a country": head.get("attributed_works")}
    for key, leader in sorted(head.get("citation_share_leader", {}).items()):
        window, _, counting = key.partition("_")
        label = (
            f"citation share leader ({window}, {'fractional' if counting == 'frac' else counting})"
        )
        out[label] = leader.get("unit")
        out[f"{label}: share"] = leader.get("share")
    for flow in head.get("flows", []):
        out[f"flow share {flow['source']}→{flow['partner']}"] = flow.get("flow_share")
    for unit, partner in head.get("top_partner", {}).items():
        out[f"top partner of {unit}"] = partner
    connected = head.get("most_connected")
    if connected:
        out["most connected country"] = connected.get("unit")
        out["most connected: co-authorship links"] = connected.get("strength")
    for unit in INSTITUTION_UNITS:
        if unit in head.get("institutions_above", {}):
            out[f"institutions above the threshold: {unit}"] = head["institutions_above"][unit]
    for unit in KEY_UNITS:
        if unit in head.get("researchers", {}):
            out[f"active researchers: {unit}"] = head["researchers"][unit]
    return out


def _show(label: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and ("share" in label):
        return fmt_pct(value)
    if isinstance(value, int | float):
        return fmt_int(value)
    return str(value)


def _change(label: str, before: Any, now: Any) -> str:
    if before is None or now is None:
        return "—"
    if isinstance(before, str) or isinstance(now, str):
        return "same" if before == now else "changed"
    if "share" in label and isinstance(now, float):
        return f"{100 * (now - before):+.1f} pp"
    return f"{now - before:+,}"


def year_over_year(
    previous: Path,
    *,
    summary: Mapping[str, Any],
    tables: Mapping[str, pl.DataFrame],
    year: int,
) -> Section:
    """The year-over-year section: last bundle's headline figures beside this one's.

    ``previous`` is a folder written by :func:`build_benchmark`. Lists every headline figure
    then and now, the units whose count of institutions above the threshold went from zero to
    some or back, and the institutions that crossed the threshold either way.
    """
    package_path = previous / "datapackage.json"
    try:
        package = json.loads(package_path.read_text("utf-8"))
        prev_year = int(package["biblio"]["report_year"])
        prev_summary = json.loads((previous / TABLES_DIR / "summary.json").read_text("utf-8"))
        prev_institutions = pl.read_parquet(previous / TABLES_DIR / "institution_output.parquet")
        prev_above = pl.read_parquet(previous / TABLES_DIR / "institutions_above.parquet")
    except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise InputError(
            f"--previous {previous}: not a benchmark bundle ({exc}); give a folder written by "
            "`biblio benchmark`"
        ) from exc
    before = headline_figures(prev_summary, prev_year)
    now = headline_figures(summary, year)
    labels = list(dict.fromkeys([*now, *before]))
    rows = [
        [
            label,
            _show(label, before.get(label)),
            _show(label, now.get(label)),
            _change(label, before.get(label), now.get(label)),
        ]
        for label in labels
    ]
    headers = ["headline figure", str(prev_year), str(year), "change"]

    threshold = int(summary.get("definitions", {}).get("threshold", 50))
    above_now = tables["institutions_above"].filter(year=year).select("unit", "institutions_above")
    above_before = prev_above.filter(year=prev_year).select(
        "unit", pl.col("institutions_above").alias("before")
    )
    units = (
        above_now.join(above_before, on="unit", how="full", coalesce=True)
        .with_columns(pl.col("institutions_above", "before").fill_null(0))
        .filter((pl.col("institutions_above") > 0) != (pl.col("before") > 0))
        .sort("unit")
    )
    unit_rows = [
        [u, fmt_int(b), fmt_int(n), "crossed above" if n > 0 else "fell to none"]
        for u, n, b in units.iter_rows()
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
            r["country_code"] or "unknown",
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
        "works (in the year it was above)",
        "direction",
    ]
    unit_headers = [
        "unit",
        f"institutions above {threshold} in {prev_year}",
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
    dataset_path: Path,
    *,
    year: int | None = None,
    out: Path | None = None,
    groups: Path | None = None,
    threshold: int = 50,
    previous: Path | None = None,
) -> Path:
    """Write the benchmark bundle of a dataset for ``year``; return its folder.

    ``out`` defaults to ``reports/benchmark-<year>``; an existing bundle there is replaced.
    """
    from biblio import __version__
    from biblio.tables import MetricOptions, summarise, write_tables

    if previous is not None and not (previous / "datapackage.json").is_file():
        raise InputError(
            f"--previous {previous}: no datapackage.json there; give a folder "
            "written by `biblio benchmark`"
        )
    dataset = open_dataset(dataset_path)
    check_year(dataset, year)
    options = MetricOptions(threshold=threshold, groups=groups)
    year = report_year(dataset_years(dataset, options), dataset.manifest, year)
    parent = out.parent if out is not None else Path("reports")
    staging = parent / f".{out.name if out is not None else 'benchmark'}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        # What the report shows; the bundle's tables are those of its year.
        preload_plotting()
        tables = report_tables(dataset, options, year=year)
        own = {name: frame.filter(pl.col("year") == year) for name, frame in tables.items()}
        summary = summarise(own, options)
        summary["dataset"] = {"name": dataset.name, "manifest": dataset.manifest}
        write_tables(own, summary, staging / TABLES_DIR)
        summary = json.loads((staging / TABLES_DIR / "summary.json").read_text("utf-8"))
        final = out if out is not None else parent / f"benchmark-{year}"
        extra: Sequence[Section] = ()
        if previous is not None:
            extra = [year_over_year(previous, summary=summary, tables=tables, year=year)]
        write_report(
            tables,
            summary,
            dataset.manifest,
            dataset_name=dataset.name,
            year=year,
            out=staging,
            extra=extra,
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
