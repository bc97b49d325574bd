"""Institutions above the threshold and active researchers, per unit; coverage over the years.

Examples
--------
>>> import polars as pl
>>> from biblio.plot import title_of
>>> coverage = pl.DataFrame({"year": [2023, 2024], "works": [10, 20], "attributed": [9, 19],
...     "unattributed": [1, 1], "authorships": [40, 80], "authorships_with_country": [36, 75],
...     "authors_with_id": [30, 60], "institutions_missing_country": [0, 1]})
>>> ax = plot_coverage(coverage)
>>> title_of(ax)
'5.0 % of AI works in 2024 name no country (1 of 20; 10.0 % in 2023, 1 of 10)'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.ticker as mticker
import polars as pl

from biblio.names import capital, the, unit_name
from biblio.plot._base import (
    GREY,
    NOTE_SIZE,
    OKABE_ITO,
    Data,
    check_counting,
    count,
    countries_only,
    finish,
    label,
    legend_outside,
    new_axes,
    pct,
    provenance,
    ranked_units,
    remember,
    style_axes,
    table,
    year_rows,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_coverage", "plot_institutions_above", "plot_researchers"]


def _hbars(ax: Axes, rows: pl.DataFrame, value: str, text: Sequence[str]) -> None:
    names = rows["name"].to_list()
    positions = list(range(len(names)))
    colours = [OKABE_ITO[0] if k == "country" else GREY for k in rows["kind"]]
    ax.barh(positions, rows[value].to_list(), color=colours, height=0.7)
    ax.set_yticks(positions, labels=names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    for i, (v, t) in enumerate(zip(rows[value].to_list(), text, strict=True)):
        ax.annotate(
            t, (v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=NOTE_SIZE
        )
    top = max([v for v in rows[value].to_list() if v is not None] or [1])
    ax.set_xlim(0, top * 1.2)
    if "group" in rows["kind"].to_list():
        from matplotlib.patches import Patch

        ax.legend(
            handles=[
                Patch(color=OKABE_ITO[0], label="country"),
                Patch(color=GREY, label="group (overlaps its members)"),
            ],
            loc="lower right",
            fontsize=NOTE_SIZE,
            frameon=False,
        )


def _with_names(rows: pl.DataFrame) -> pl.DataFrame:
    countries = set(countries_only(rows)["unit"].to_list())
    return rows.with_columns(
        pl.col("unit").map_elements(unit_name, return_dtype=pl.String).alias("name"),
        pl.col("unit")
        .map_elements(lambda u: "country" if u in countries else "group", return_dtype=pl.String)
        .alias("kind"),
    )


def plot_institutions_above(
    data: Data,
    *,
    year: int,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    n: int = 15,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """Institutions with more AI works than the threshold in ``year``, per unit.

    Full counting: a work counts once per institution. ``units`` defaults to the ``n`` units
    with the most such institutions.
    """
    counting = check_counting(counting, ("full",))
    source, synthetic = provenance(data, source, synthetic)
    all_rows = table(data, "institutions_above")
    threshold = int(all_rows["threshold"][0]) if all_rows.height else 0
    rows = year_rows(all_rows, year, "institutions_above")
    if units is None:
        rows = (
            rows.filter(pl.col("institutions_above") > 0)
            .sort(["institutions_above", "unit"], descending=[True, False])
            .head(n)
        )
    else:
        order = {u: i for i, u in enumerate(units)}
        rows = rows.filter(pl.col("unit").is_in(list(units))).sort(
            pl.col("unit").replace_strict(order, return_dtype=pl.Int64)
        )
    shown = _with_names(rows).select(
        "unit", "name", "kind", "year", "threshold", "institutions_above", "institutions_total"
    )
    ax = new_axes(ax, (8, 0.36 * max(shown.height, 3) + 1.9))
    if shown.is_empty():
        ax.text(
            0.5,
            0.5,
            "no institution above the threshold",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_yticks([])
    else:
        _hbars(
            ax,
            shown,
            "institutions_above",
            [
                f"{a} of {t}"
                for a, t in shown.select("institutions_above", "institutions_total").iter_rows()
            ],
        )
    style_axes(ax)
    label(
        ax,
        x=f"institutions with more than {threshold} AI works in {year} (full counting, rolled "
        "up to the top-level institution; label: above the threshold of all with a work)",
    )
    finding = f"No unit has an institution with more than {threshold} AI works in {year}"
    ranked = shown.sort(["institutions_above", "unit"], descending=[True, False])
    if ranked.height and ranked["institutions_above"][0] > 0:
        top = ranked.row(0, named=True)
        finding = (
            f"{capital(the(top['unit']))} has {top['institutions_above']} institutions with more "
            f"than {threshold} AI works in {year} (of {top['institutions_total']} with at least "
            "one), the most of these units (full counting)"
        )
    alt = (
        f"Bar chart of institutions with more than {threshold} AI works in {year}, per unit: "
        + "; ".join(f"{r['name']} {r['institutions_above']}" for r in shown.iter_rows(named=True))
        + "."
    )
    remember(ax, shown, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)


def plot_researchers(
    data: Data,
    *,
    year: int,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    n: int = 12,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """Active AI researchers per unit in ``year``, with one counting.

    The default is fractional: an author is split over the countries of their latest work.
    ``units`` defaults to the ``n`` countries with the most, and EU27.
    """
    counting = check_counting(counting, ("fractional", "full"))
    source, synthetic = provenance(data, source, synthetic)
    column = "researchers_frac" if counting == "fractional" else "researchers_full"
    rows = year_rows(table(data, "researchers"), year, "researchers")
    if units is None:
        units = ranked_units(rows, column, n)
    order = {u: i for i, u in enumerate(units)}
    shown = (
        _with_names(rows.filter(pl.col("unit").is_in(list(units))))
        .select(
            "unit",
            "name",
            "kind",
            "year",
            "min_works",
            "window_years",
            pl.lit(counting).alias("counting"),
            pl.col(column).cast(pl.Float64).alias("researchers"),
        )
        .sort(pl.col("unit").replace_strict(order, return_dtype=pl.Int64))
    )
    first: dict[str, Any] = (
        shown.row(0, named=True) if shown.height else {"min_works": 1, "window_years": 1}
    )
    ax = new_axes(ax, (8, 0.36 * max(shown.height, 3) + 1.9))
    if shown.height:
        _hbars(
            ax,
            shown,
            "researchers",
            [count(v, counting) for v in shown["researchers"].to_list()],
        )
    style_axes(ax)
    label(
        ax,
        x=f"active AI researchers in {year}: authors with an OpenAlex id and at least "
        f"{first['min_works']} AI work(s) in the last {first['window_years']} year(s), placed by "
        f"the countries of their latest work ({counting} counting)",
    )
    finding = f"Active AI researchers, {year} ({counting} counting)"
    ranked = countries_only(shown).sort("researchers", descending=True, nulls_last=True)
    if ranked.height:
        top = ranked.row(0, named=True)
        finding = (
            f"{capital(the(top['unit']))} has the most active AI researchers of these countries "
            f"in {year}: {count(top['researchers'], counting)} ({counting} counting)"
        )
    alt = (
        f"Bar chart of active AI researchers in {year} ({counting} counting): "
        + "; ".join(
            f"{r['name']} {count(r['researchers'], counting)}" for r in shown.iter_rows(named=True)
        )
        + "."
    )
    remember(ax, shown, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)


def plot_coverage(
    data: Data,
    *,
    year: int | None = None,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """The share of AI works and of authorships that name no country, per year.

    Every year up to ``year`` (default: the last). Coverage is of the whole dataset: ``units``
    must be ``None`` and counts are plain (full) counts.
    """
    counting = check_counting(counting, ("full",))
    if units is not None:
        raise ValueError("coverage is of the whole dataset: leave units=None")
    source, synthetic = provenance(data, source, synthetic)
    rows = table(data, "coverage").sort("year")
    if year is not None:
        rows = rows.filter(pl.col("year") <= year)
    rows = rows.with_columns(
        (pl.col("unattributed") / pl.col("works")).alias("works_no_country"),
        (1 - pl.col("authorships_with_country") / pl.col("authorships")).alias(
            "authorships_no_country"
        ),
    )
    ax = new_axes(ax, (8, 3.8))
    years = rows["year"].to_list()
    for i, (column, text) in enumerate(
        (
            ("works_no_country", "AI works that name no country"),
            ("authorships_no_country", "authorships that name no country"),
        )
    ):
        ax.plot(years, rows[column].to_list(), marker="os"[i], color=OKABE_ITO[i], label=text)
    style_axes(ax)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_xticks(years)
    label(ax, x="publication year", y="share with no country")
    legend_outside(ax)
    finding = "Coverage of countries"
    if rows.height:
        last = rows.row(-1, named=True)
        finding = (
            f"{pct(last['works_no_country'])} of AI works in {last['year']} name no country "
            f"({last['unattributed']:,} of {last['works']:,}"
        )
        if rows.height >= 2:
            prev = rows.row(-2, named=True)
            finding += (
                f"; {pct(prev['works_no_country'])} in {prev['year']}, "
                f"{prev['unattributed']:,} of {prev['works']:,}"
            )
        finding += ")"
    shown = rows.select(
        "year",
        "works",
        "unattributed",
        "works_no_country",
        "authorships",
        "authorships_with_country",
        "authorships_no_country",
    )
    alt = (
        "Line chart of the share of AI works and of authorships that name no country, per "
        "publication year: "
        + "; ".join(
            f"{r['year']} {pct(r['works_no_country'])} of works ({r['unattributed']} of "
            f"{r['works']})"
            for r in shown.iter_rows(named=True)
        )
        + "."
    )
    remember(ax, shown, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)
