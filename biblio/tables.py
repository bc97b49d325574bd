"""Every table of METRICS.md from one dataset: the notebook API behind ``biblio metrics``.

>>> from biblio.metrics.testing import tiny_corpus
>>> tables = corpus_tables(tiny_corpus(), MetricOptions(units=["CN", "US"]))
>>> sorted(tables) == sorted(OUTPUT_TABLES)
True
>>> tables["output"].filter(unit="US")["works_full"].item()
2
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from biblio.corpus import Corpus, corpus_countries, corpus_years, prepare, select_works
from biblio.dataset.selection import Selection
from biblio.errors import InputError, UsageError
from biblio.io import Dataset, atomic_path, atomic_write, empty_frame, open_dataset
from biblio.metrics.citations import citation_shares, citation_trend
from biblio.metrics.coverage import coverage
from biblio.metrics.flows import (
    DEFAULT_UNION_PAIRS,
    asymmetry,
    coauthored_pairs,
    coauthorship,
    default_pairs,
    flows,
    pair_grid,
)
from biblio.metrics.institutions import (
    institution_output,
    institution_units,
    institutions_above,
)
from biblio.metrics.large_works import large_works
from biblio.metrics.output import output, unit_sizes, unit_works
from biblio.metrics.researchers import researchers
from biblio.schema import OUTPUT_TABLES
from biblio.summary import (
    ActiveResearcher,
    CorpusFilters,
    DatasetInfo,
    Definitions,
    Flow,
    Leader,
    MostConnected,
    Summary,
    YearSummary,
)
from biblio.units import DEFAULT_GROUPS, check_unit, is_country, load_groups

__all__ = [
    "TREND_TABLES",
    "MetricOptions",
    "Trend",
    "compute_tables",
    "corpus_tables",
    "default_units",
    "definition_works",
    "held_selections",
    "resolve_selection",
    "run_metrics",
    "summarise",
    "trend_tables",
    "write_tables",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricOptions:
    """The options of ``biblio metrics``; the defaults are those of METRICS.md."""

    years: tuple[int, int] | None = None
    units: Sequence[str] | None = None
    threshold: int = 50
    groups: Path | None = None
    rollup: bool = True
    min_works: int = 1
    window_years: int = 1
    pairs: Sequence[tuple[str, str]] = field(default_factory=tuple)
    keep_paratext: bool = False
    keep_retracted: bool = False
    #: The definition of AI work to compute for (``None``: the dataset's first).
    selection: str | None = None

    def describe(self) -> Definitions:
        """The definitions in force, as written into summary.json and reports."""
        return Definitions(
            selection=self.selection,
            threshold=self.threshold,
            institution_rollup=self.rollup,
            active_researcher=ActiveResearcher(self.min_works, self.window_years),
            corpus_filters=CorpusFilters(
                paratext="kept" if self.keep_paratext else "dropped",
                retracted="kept" if self.keep_retracted else "dropped",
            ),
        )


def _check_options(options: MetricOptions) -> None:
    for name in ("threshold", "min_works", "window_years"):
        value = getattr(options, name)
        if value < (0 if name == "threshold" else 1):
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} {value}: must be at least {0 if name == 'threshold' else 1}")


def _report_years(present: Sequence[int], requested: tuple[int, int] | None) -> list[int]:
    if requested is None:
        return list(present)
    chosen = [y for y in present if requested[0] <= y <= requested[1]]
    span = f"{requested[0]}" if requested[0] == requested[1] else f"{requested[0]}-{requested[1]}"
    if not chosen:
        have = f"{present[0]}-{present[-1]}" if present else "none"
        raise UsageError(f"--years {span}: no works in those years (the dataset has {have})")
    missing = [y for y in range(requested[0], requested[1] + 1) if y not in present]
    if missing:
        log.warning("--years %s: no works in %s; those years are left out", span, missing)
    return chosen


def default_units(corpus_countries: Sequence[str]) -> list[str]:
    """Every country with an attributed work in the corpus, plus EU27, EU and AFRICA.

    >>> default_units(["US", "CN"])
    ['AFRICA', 'CN', 'EU', 'EU27', 'US']
    """
    return sorted(set(corpus_countries) | set(DEFAULT_GROUPS))


def corpus_tables(
    corpus: Corpus, options: MetricOptions, *, corpus_countries: Sequence[str] | None = None
) -> dict[str, pl.DataFrame]:
    """Every table for a prepared corpus (see :func:`biblio.corpus.prepare`).

    The years are computed one at a time (:meth:`biblio.corpus.Corpus.for_years`), so the
    working set is one year's; only ``institutions_above`` waits for every year, because its
    units include every country an institution of any reported year is in.
    """
    _check_options(options)
    countries = list(corpus_countries) if corpus_countries is not None else corpus.countries()
    units = _units(options, corpus, countries)
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in OUTPUT_TABLES}
    for year in corpus.years:
        # Each year's rows gathered once, for the several tables that read them.
        one = corpus.for_years([year], window_years=options.window_years).materialise()
        for name, frame in _year_tables(one, options, units, countries).items():
            parts[name].append(frame)
    tables = {
        name: pl.concat(frames) if frames else empty_frame(OUTPUT_TABLES[name])
        for name, frames in parts.items()
        if name != "institutions_above"
    }
    counted = tables["institution_output"].lazy()
    tables["institutions_above"] = institutions_above(
        corpus,
        units=sorted(set(units) | set(institution_units(counted))),
        threshold=options.threshold,
        counted=counted,
    ).collect()
    return {name: _conform(name, tables[name]) for name in OUTPUT_TABLES}


def _units(options: MetricOptions, corpus: Corpus, countries: Sequence[str]) -> list[str]:
    """The units of the per-unit tables: ``--units`` or the defaults.

    Every unit named in the options is checked first.
    """
    units = list(dict.fromkeys(options.units or ()))
    for unit in units:
        check_unit(unit, corpus.groups, known=countries)
    for pair in options.pairs:
        for unit in pair:
            check_unit(unit, corpus.groups, known=countries)
    return units or default_units(countries)


def _year_tables(
    corpus: Corpus, options: MetricOptions, units: Sequence[str], countries: Sequence[str]
) -> dict[str, pl.DataFrame]:
    """Every table but ``institutions_above`` for a corpus of one reported year."""
    from biblio.network import network_tables

    pairs = (
        pl.concat(
            [
                default_pairs(units, corpus),
                pair_grid([*DEFAULT_UNION_PAIRS, *options.pairs], corpus),
            ]
        )
        .unique(maintain_order=True)
        .collect()
        .lazy()
    )
    paired = {u for pair in (*DEFAULT_UNION_PAIRS, *options.pairs) for u in pair}
    # One membership frame for every unit a table needs: the units, the pairs' units and every
    # country (the network's vertices); one self-join of it for the flows and the network.
    joined_units = sorted(set(units) | paired | set(countries))
    members = unit_works(corpus, joined_units).collect().lazy()
    sizes = unit_sizes(members).collect().lazy()
    together = coauthored_pairs(corpus, units=joined_units, members=members).collect().lazy()
    coauthored = coauthorship(corpus, pairs=pairs, together=together, sizes=sizes)
    lazy = {
        "output": output(corpus, units=units, sizes=sizes),
        "citation_shares": citation_shares(corpus, units=units, members=members),
        "flows": flows(corpus, pairs=pairs, coauthored=coauthored),
        "asymmetry": asymmetry(corpus, pairs=pairs, coauthored=coauthored),
        "institution_output": institution_output(corpus, rollup=options.rollup),
        "researchers": researchers(
            corpus, units=units, min_works=options.min_works, window_years=options.window_years
        ),
        "coverage": coverage(corpus),
        "citation_trend": citation_trend(corpus, units=units),
        "large_works": large_works(corpus),
    }
    tables = dict(zip(lazy, pl.collect_all(list(lazy.values())), strict=True))
    network_units = [u for u in units if is_country(u) or u in countries]
    tables["network_nodes"], tables["network_edges"] = network_tables(
        corpus, units=network_units, coauthored=together
    )
    return tables


def _conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with exactly the columns and types of the output table ``name``.

    A NaN becomes null: an undefined value is null in every output table, never NaN
    (CONTRACT.md, "Table formats"), whichever computation produced it.

    >>> frame = pl.DataFrame({"unit": ["CN"], "year": [2024], "works_full": [0],
    ...     "works_frac": [0.0], "share_full": [float("nan")], "share_frac": [None]})
    >>> _conform("output", frame).row(0)
    ('CN', 2024, 0, 0.0, None, None)
    """
    schema = OUTPUT_TABLES[name]
    frame = (
        frame.select(schema.names)
        .rechunk()
        .with_columns(pl.col(pl.Float32, pl.Float64).fill_nan(None))
    )
    out = pl.from_arrow(frame.to_arrow().cast(schema))
    assert isinstance(out, pl.DataFrame)
    return out


def held_selections(manifest: dict[str, Any]) -> list[str]:
    """The definitions of AI work a dataset holds, its default first (from its manifest).

    >>> held_selections({"filters": {"selections": ["subfield:1702", "concept:C154945302"]}})
    ['subfield:1702', 'concept:C154945302']
    >>> held_selections({"filters": {"selection": "subfield:1702"}}), held_selections({})
    (['subfield:1702'], [])
    """
    filters = manifest.get("filters") or {}
    held = filters.get("selections") or ([filters["selection"]] if filters.get("selection") else [])
    return [str(s) for s in held]


def resolve_selection(dataset: Dataset, selection: str | None) -> str | None:
    """The definition of AI work to compute for.

    ``selection`` (checked against those the dataset holds) or the dataset's first; ``None``
    when the manifest records none and none was asked for.

    Raises :class:`~biblio.errors.UsageError` naming the definitions the dataset holds when it
    lacks ``selection``.
    """
    held = held_selections(dataset.manifest)
    if selection is None:
        return held[0] if held else None
    chosen = str(Selection.parse(selection))
    if chosen not in held:
        holds = ", ".join(held) if held else "no recorded definition"
        raise UsageError(
            f"--selection {chosen}: dataset {dataset.name!r} holds {holds}; choose one of "
            "those, or build a dataset with it (biblio fetch/ingest --selection, repeatable)"
        )
    return chosen


def definition_works(dataset: Dataset, selection: str | None) -> pl.LazyFrame:
    """The dataset's works that meet ``selection`` (every work when it holds one definition)."""
    if selection is None or len(held_selections(dataset.manifest)) <= 1:
        return dataset.works
    return dataset.works.filter(pl.col("selections").list.contains(pl.lit(selection)))


@dataclass(frozen=True)
class Trend:
    """Rows of one table for every year a computation does not report, for trend figures.

    A report shows every table of its year, but of the other years only a few figures (a
    citation share over the years, the coverage of every year): asking for those rows
    instead of every table of every year keeps its cost near that of one year. ``table`` is
    one of :data:`TREND_TABLES`; ``units`` default to those of the full tables, and with
    ``countries`` they are every country of the corpus plus ``units``; ``windows`` are the
    citation windows of ``citation_shares``.

    >>> Trend("citation_trend", units=("EU27",), countries=True).table
    'citation_trend'
    """

    table: str
    units: tuple[str, ...] | None = None
    windows: tuple[str, ...] = ("published", "received")
    countries: bool = False

    def __post_init__(self) -> None:
        if self.table not in TREND_TABLES:
            raise ValueError(f"no trend of {self.table!r}: choose from {', '.join(TREND_TABLES)}")


#: The tables a :class:`Trend` can ask for: those that need no authorship of the trend years
#: in memory (coverage reads them from the dataset in one streaming pass).
TREND_TABLES = ("output", "citation_shares", "citation_trend", "coverage")


def compute_tables(
    dataset: Dataset,
    options: MetricOptions,
    *,
    trends: Sequence[Trend] = (),
    meanwhile: Callable[[dict[str, pl.DataFrame]], None] | None = None,
    prepared: Callable[[], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every table of METRICS.md for a dataset opened with :func:`biblio.io.open_dataset`.

    Computed from the works that meet ``options.selection`` (default: the dataset's first
    definition of AI work). ``trends`` add, for every other year of the dataset, the rows they
    ask for: each of their tables then holds every table row of the reported years and those
    rows of the others. ``meanwhile``, when given, is called in a second thread with the
    reported years' tables while the trend rows compute (polars computes without holding the
    interpreter, so Python work such as drawing figures runs beside it); its exceptions are
    raised here. ``prepared`` is called once the corpus is prepared, after the largest
    transient frames are freed (e.g. to start loading libraries without adding to the peak).
    """
    _check_options(options)
    groups = load_groups(options.groups)
    chosen = resolve_selection(dataset, options.selection)
    works = definition_works(dataset, chosen)
    selected = select_works(
        works,
        keep_paratext=options.keep_paratext,
        keep_retracted=options.keep_retracted,
    )
    present = corpus_years(selected)
    if not present:
        raise InputError(
            f"dataset {dataset.name!r} holds no works after the corpus filters "
            f"(selection {chosen or '?'}); check its years and selection"
        )
    years = _report_years(present, options.years)
    others = [y for y in present if y not in years] if trends else []
    corpus = prepare(
        works,
        dataset.authorships,
        dataset.institutions,
        years=sorted([*years, *others]),
        detail_years=years,
        counted_years=others if any(t.table == "coverage" for t in trends) else (),
        window_years=options.window_years,
        groups=groups,
        keep_paratext=options.keep_paratext,
        keep_retracted=options.keep_retracted,
    )
    if prepared is not None:
        prepared()
    # Default units come from the whole corpus, also the years after the last reported one.
    countries = (
        corpus.countries()
        if corpus.years[-1] == present[-1]
        else corpus_countries(selected, dataset.authorships)
    )
    reported = corpus.for_years(years, window_years=options.window_years)
    tables = corpus_tables(reported, options, corpus_countries=countries)
    if not others:
        if meanwhile is not None:
            meanwhile(dict(tables))
        return tables
    units = _units(options, corpus, countries)
    with ThreadPoolExecutor(max_workers=1) as pool:
        beside = pool.submit(meanwhile, dict(tables)) if meanwhile is not None else None
        rows = trend_tables(corpus.for_years(others), trends, units, countries=countries)
        if beside is not None:
            beside.result()
    for name, frame in rows.items():
        merged = pl.concat([tables[name], _conform(name, frame)]).sort("year", maintain_order=True)
        tables[name] = merged
    return tables


def trend_tables(
    corpus: Corpus,
    trends: Sequence[Trend],
    units: Sequence[str],
    *,
    countries: Sequence[str] = (),
) -> dict[str, pl.DataFrame]:
    """The rows ``trends`` ask for, for every year of ``corpus`` (see :class:`Trend`).

    ``units`` are those of a trend that names none, ``countries`` those every country adds.
    Two trends of one table are merged.
    """
    parts: dict[str, list[pl.DataFrame]] = {}
    for trend in trends:
        chosen = list(trend.units) if trend.units is not None else list(units)
        if trend.countries:
            chosen = sorted(set(countries) | set(chosen))
        if trend.table == "coverage":  # counted in prepare's pass, else read from the dataset
            lazy = coverage(corpus)
        elif trend.table == "output":
            lazy = output(corpus, units=chosen)
        elif trend.table == "citation_trend":
            lazy = citation_trend(corpus, units=chosen)
        else:
            lazy = citation_shares(corpus, units=chosen, windows=trend.windows)
        parts.setdefault(trend.table, []).append(lazy.collect(engine="streaming"))
    keys = {
        "output": ["unit"],
        "citation_shares": ["unit", "window"],
        "citation_trend": ["unit"],
        "coverage": [],
    }
    return {
        name: pl.concat(frames)
        .unique(["year", *keys[name]], keep="first")
        .sort("year", *keys[name])
        for name, frames in parts.items()
    }


def _value(frame: pl.DataFrame, column: str, **where: Any) -> Any:
    rows = frame.filter(**where)
    return rows[column].item() if rows.height == 1 else None


def summarise(tables: dict[str, pl.DataFrame], options: MetricOptions) -> Summary:
    """The headline figures per year.

    Citation-share leader, published flows, most connected unit, institutions above the
    threshold and active researchers per unit.
    """
    by_year: dict[int, YearSummary] = {}
    for year in tables["coverage"]["year"].to_list():
        cites = tables["citation_shares"].filter(year=year)
        countries = cites.filter(pl.col("unit").map_elements(is_country, return_dtype=pl.Boolean))
        leaders = {}
        for window in ("received", "published"):
            for counting in ("full", "frac"):
                ranked = countries.filter(window=window).sort(
                    [f"share_{counting}", "unit"], descending=[True, False], nulls_last=True
                )
                if ranked.height and ranked[f"share_{counting}"][0] is not None:
                    leaders[f"{window}_{counting}"] = Leader(
                        unit=ranked["unit"][0], share=ranked[f"share_{counting}"][0]
                    )
        flows_y = tables["flows"].filter(year=year)
        published_flows = tuple(
            Flow(s, p, flow_share=_value(flows_y, "flow_share", source=s, partner=p))
            for s, p in (("US", "CN"), ("CN", "US+GB+EU27"), ("GB", "CN"), ("EU27", "CN"))
        )
        top_partners = {}
        for unit in ("US", "GB", "EU27", "CN"):
            ranked = flows_y.filter(
                (pl.col("source") == unit)
                & pl.col("partner").map_elements(is_country, return_dtype=pl.Boolean)
                & (pl.col("coauthored") > 0)
            ).sort(["coauthored", "partner"], descending=[True, False])
            top_partners[unit] = ranked["partner"][0] if ranked.height else None
        nodes = (
            tables["network_nodes"]
            .filter(year=year)
            .sort(["strength", "partners", "unit"], descending=[True, True, False])
        )
        above = tables["institutions_above"].filter(year=year)
        people = tables["researchers"].filter(year=year)
        by_year[year] = YearSummary(
            attributed_works=_value(tables["coverage"], "attributed", year=year),
            citation_share_leader=leaders,
            flows=published_flows,
            top_partner=top_partners,
            most_connected=(
                MostConnected(
                    unit=nodes["unit"][0],
                    strength=nodes["strength"][0],
                    partners=nodes["partners"][0],
                )
                if nodes.height
                else None
            ),
            institutions_above=dict(
                zip(above["unit"].to_list(), above["institutions_above"].to_list(), strict=True)
            ),
            researchers=dict(
                zip(people["unit"].to_list(), people["researchers_full"].to_list(), strict=True)
            ),
        )
    return Summary(definitions=options.describe(), years=by_year)


def write_tables(tables: dict[str, pl.DataFrame], summary: Summary, out: Path) -> list[Path]:
    """Write every table as ``out/<table>.parquet`` and ``.csv``, plus ``out/summary.json``.

    Each file appears whole or not at all.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        for suffix in ("parquet", "csv"):
            path = out / f"{name}.{suffix}"
            with atomic_path(path) as tmp:
                if suffix == "parquet":
                    frame.write_parquet(tmp, statistics=False)
                else:
                    frame.write_csv(tmp)
            written.append(path)
    with atomic_write(out / "summary.json") as fh:
        fh.write(summary.dumps())
    written.append(out / "summary.json")
    return written


def run_metrics(dataset: str | Path | Dataset, options: MetricOptions, *, out: Path) -> list[Path]:
    """Write every table as ``out/<table>.parquet`` and ``.csv``, plus ``out/summary.json``.

    Each file appears whole or not at all.
    """
    opened = open_dataset(dataset)
    options = replace(options, selection=resolve_selection(opened, options.selection))
    tables = compute_tables(opened, options)
    summary = replace(summarise(tables, options), dataset=DatasetInfo(opened.name, opened.manifest))
    return write_tables(tables, summary, out)
