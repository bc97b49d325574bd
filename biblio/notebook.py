"""The notebook API: one object that gives every table of a dataset, for a year, with names.

:func:`biblio.open_dataset` returns a :class:`DatasetTables`. Its tables are computed once, on
first use (:func:`biblio.tables.compute_tables`); its methods return a year's rows as polars
DataFrames with a country's name beside each code (``name``, ``source_name``,
``partner_name``), and ``countries_only=True`` drops the groups (EU27, Africa, …) and
``unknown``. It is also a mapping of the whole tables (``data["flows"]``), so it can be handed
to every :mod:`biblio.plot` function, which then prints the dataset's source line (and, on
synthetic data, the synthetic mark) in the image::

    import biblio
    data = biblio.open_dataset("demo")
    data.output(2024, countries_only=True).head()
    ax = biblio.plot.plot_flows(data, year=2024)
    biblio.plot.figure_data(ax).write_csv("flows.csv")

Examples
--------
>>> import polars as pl
>>> with_names(pl.DataFrame({"source": ["CN"], "partner": ["US+GB"], "x": [1]})).columns
['source', 'source_name', 'partner', 'partner_name', 'x']
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from biblio.io import DEFAULT_CACHE, Dataset, ensure_dataset
from biblio.metrics.derived import citation_impact, international_rate
from biblio.names import unit_name
from biblio.schema import OUTPUT_TABLES
from biblio.units import is_country

__all__ = ["DatasetTables", "load", "with_names"]

_NAMED = {"unit": "name", "source": "source_name", "partner": "partner_name"}


def with_names(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each unit's name beside its code.

    The names go in new columns: ``unit`` → ``name``, ``source`` → ``source_name``,
    ``partner`` → ``partner_name``; an institution's ``country_code`` → ``country``.
    """
    columns: list[Any] = []
    for column in frame.columns:
        columns.append(column)
        named = _NAMED.get(column) or ("country" if column == "country_code" else None)
        if named and named not in frame.columns:
            columns.append(
                pl.col(column)
                .map_elements(unit_name, return_dtype=pl.String, skip_nulls=True)
                .alias(named)
            )
    return frame.select(columns)


def _countries(frame: pl.DataFrame) -> pl.DataFrame:
    keep = pl.lit(True)
    for column in ("unit", "source", "partner"):
        if column in frame.columns:
            keep = keep & pl.col(column).map_elements(is_country, return_dtype=pl.Boolean)
    return frame.filter(keep)


class DatasetTables(Mapping[str, pl.DataFrame]):
    """Every table of one dataset (computed on first use), and a year's rows with names.

    A mapping of table name → the whole table (every year), as
    :func:`biblio.tables.compute_tables` returns them; each method gives one table's rows for
    ``year``, sorted as written, with names beside codes.
    """

    def __init__(self, dataset: Dataset, **options: Any) -> None:
        self.dataset = dataset
        self.options = options

    def __repr__(self) -> str:
        mark = ", SYNTHETIC" if self.synthetic else ""
        return f"<DatasetTables {self.name!r}{mark}>"

    # -- what the dataset is ---------------------------------------------------------------
    @property
    def name(self) -> str:
        """The dataset's name (its folder's)."""
        return self.dataset.name

    @property
    def manifest(self) -> dict[str, Any]:
        """The dataset's manifest: source, selection, years, record counts, checksums."""
        return self.dataset.manifest

    @property
    def synthetic(self) -> bool:
        """Whether the dataset is synthetic (the demo): its figures are not real."""
        return bool(self.manifest.get("synthetic"))

    @property
    def source_line(self) -> str:
        """The source every figure drawn from these tables prints (dataset, AI, date)."""
        from biblio.report.definitions import source_line

        return source_line(self.manifest, self.name)

    @property
    def years(self) -> list[int]:
        """The years the tables cover."""
        return sorted(self["coverage"]["year"].to_list())

    @property
    def latest_year(self) -> int:
        """The latest complete year (what ``biblio report`` reports by default)."""
        from biblio.report.build import report_year

        return report_year(self.years, self.manifest, None)

    # -- the mapping -----------------------------------------------------------------------
    @cached_property
    def _tables(self) -> dict[str, pl.DataFrame]:
        from biblio.tables import MetricOptions, compute_tables

        return compute_tables(self.dataset, MetricOptions(**self.options))

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(OUTPUT_TABLES)

    def __len__(self) -> int:
        return len(OUTPUT_TABLES)

    # -- a year's rows ---------------------------------------------------------------------
    def _year(self, frame: pl.DataFrame, year: int | None, countries_only: bool) -> pl.DataFrame:
        if year is not None:
            if year not in self.years:
                raise ValueError(f"year {year}: the tables cover {self.years}")
            frame = frame.filter(pl.col("year") == year)
        return with_names(_countries(frame) if countries_only else frame)

    def output(self, year: int, *, countries_only: bool = False) -> pl.DataFrame:
        """AI works per unit, full and fractional counting (METRICS.md §1)."""
        return self._year(self["output"], year, countries_only)

    def citation_shares(
        self, year: int, *, window: str = "received", countries_only: bool = False
    ) -> pl.DataFrame:
        """Citation shares per unit in ``window`` (``received`` or ``published``) (§2)."""
        rows = self["citation_shares"].filter(pl.col("window") == window)
        return self._year(rows, year, countries_only)

    def citation_trend(
        self, year: int | None = None, *, countries_only: bool = False
    ) -> pl.DataFrame:
        """Citations made each year to the works of the three years up to it.

        Every year, or only ``year`` when given.
        """
        return self._year(self["citation_trend"], year, countries_only)

    def citation_impact(
        self, year: int, *, counting: str = "fractional", countries_only: bool = False
    ) -> pl.DataFrame:
        """Relative citation impact: share of the citations ÷ share of the works.

        The shares are of the year's works; 1 is the world's average.
        """
        impact = citation_impact(self["output"], self["citation_shares"], counting=counting)
        return self._year(impact, year, countries_only)

    def flows(self, year: int, *, countries_only: bool = False) -> pl.DataFrame:
        """Co-authorship flows: the share of the source's works with a co-author in the partner.

        Defined in §3 of the metrics.
        """
        return self._year(self["flows"], year, countries_only)

    def asymmetry(self, year: int, *, countries_only: bool = False) -> pl.DataFrame:
        """Asymmetry beside Salton's cosine, affinity and leadership asymmetry (§4)."""
        return self._year(self["asymmetry"], year, countries_only)

    def network_nodes(self, year: int) -> pl.DataFrame:
        """Per country: partners, co-authored works summed over partners, centralities (§5)."""
        return self._year(self["network_nodes"], year, False)

    def network_edges(self, year: int) -> pl.DataFrame:
        """Co-authored works per pair of countries (§5)."""
        return self._year(self["network_edges"], year, False)

    def international_rate(self, year: int) -> pl.DataFrame:
        """Per country: works, works with a co-author abroad, and their share."""
        return self._year(international_rate(self["network_nodes"]), year, False)

    def institutions_above(self, year: int, *, countries_only: bool = False) -> pl.DataFrame:
        """Institutions with more works than the threshold, per unit (§6)."""
        return self._year(self["institutions_above"], year, countries_only)

    def institution_output(self, year: int) -> pl.DataFrame:
        """AI works per (rolled-up) institution, most first (§6)."""
        rows = self._year(self["institution_output"], year, False)
        return rows.sort(["works", "institution_id"], descending=[True, False])

    def researchers(self, year: int, *, countries_only: bool = False) -> pl.DataFrame:
        """Active AI researchers per unit (§7)."""
        return self._year(self["researchers"], year, countries_only)

    def coverage(self) -> pl.DataFrame:
        """Per year: works and authorships with and without a country (§8)."""
        return self["coverage"]

    def large_works(self, year: int) -> pl.DataFrame:
        """The works of more than 100 authors, one row per country."""
        return self._year(self["large_works"], year, False)

    def headlines(self, year: int | None = None) -> list[str]:
        """The report's headline sentences for ``year`` (default: the latest complete year)."""
        from biblio.report.headlines import headline_sentences

        return headline_sentences(self, self.latest_year if year is None else year)


def load(
    dataset: str | Path = "demo",
    *,
    cache: str | Path | None = None,
    years: tuple[int, int] | None = None,
    units: Sequence[str] | None = None,
    threshold: int = 50,
    groups: str | Path | None = None,
) -> DatasetTables:
    """Open a dataset for a notebook.

    ``dataset`` is a folder, or a name under ``cache``; ``demo`` is built on first use.
    ``cache`` defaults to ``$BIBLIO_CACHE``, else ``cache/``.
    """
    folder = (
        Path(cache) if cache is not None else Path(os.environ.get("BIBLIO_CACHE") or DEFAULT_CACHE)
    )
    opened = ensure_dataset(dataset, folder)  # checked against its manifest once
    options: dict[str, Any] = {"threshold": threshold}
    if years is not None:
        options["years"] = years
    if units is not None:
        options["units"] = list(units)
    if groups is not None:
        options["groups"] = Path(groups)
    return DatasetTables(opened, **options)
