"""Citation figures: who receives the citations, how that moved, and impact apart from size.

Examples
--------
>>> import textwrap
>>> import polars as pl
>>> from biblio.plot import figure_data, title_of
>>> cites = pl.DataFrame({"unit": ["CN", "US"], "year": [2024, 2024],
...     "window": ["received"] * 2, "citations_full": [6, 5], "citations_frac": [5.5, 4.5],
...     "share_full": [0.6, 0.5], "share_frac": [0.55, 0.45]})
>>> ax = plot_citation_shares(cites, year=2024)
>>> print(textwrap.fill(title_of(ax), 88))
China's AI works received 55.0 % of the citations made in 2024 to AI works (5.5 of 10
citations, fractional counting)
>>> figure_data(ax).select("name", "citations", "share").rows()
[('China', 5.5, 0.55), ('United States', 4.5, 0.45)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.ticker as mticker
import polars as pl

from biblio.metrics.derived import FEW_WORKS, citation_impact
from biblio.names import capital, possessive, the, unit_name
from biblio.plot._base import (
    GREY,
    NOTE_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    Data,
    check_counting,
    count,
    countries_only,
    finish,
    label,
    new_axes,
    pct,
    provenance,
    ranked_units,
    ratio_axis,
    remember,
    style_axes,
    table,
    wrap,
    year_rows,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_citation_impact", "plot_citation_shares", "plot_citation_trend"]

_SUFFIX = {"fractional": "frac", "full": "full"}
#: A year whose citations are under this share of the peak year's is not drawn (and said so):
#: OpenAlex's counts_by_year keeps only the last ten citing years.
SPARSE_YEAR = 0.01


def _bars(ax: Axes, names: Sequence[str], values: Sequence[float], colours: Sequence[str]) -> None:
    positions = list(range(len(names)))
    ax.barh(positions, values, color=colours, height=0.7)
    ax.set_yticks(positions, labels=list(names))
    ax.invert_yaxis()
    ax.set_ylim(len(names) - 0.5, -0.5)


def plot_citation_shares(
    data: Data,
    *,
    year: int,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    window: str = "received",
    n: int = 10,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """Each unit's share of the citations of ``year``, with one counting (default fractional).

    ``window="received"``: citations made in ``year`` to AI works published up to it;
    ``"published"``: citations to date of the works published in ``year``. ``units`` defaults
    to the ``n`` countries with the largest share, and EU27. Each bar is labelled with its share
    and the citations it rests on.
    """
    counting = check_counting(counting, ("fractional", "full"))
    suffix = _SUFFIX[counting]
    source, synthetic = provenance(data, source, synthetic)
    rows = year_rows(
        table(data, "citation_shares").filter(pl.col("window") == window),
        year,
        "citation_shares",
    )
    if units is None:
        units = ranked_units(rows, f"share_{suffix}", n)
    order = {u: i for i, u in enumerate(units)}
    shown = (
        rows.filter(pl.col("unit").is_in(list(units)))
        .select(
            "unit",
            pl.col("unit").map_elements(unit_name, return_dtype=pl.String).alias("name"),
            "year",
            "window",
            pl.lit(counting).alias("counting"),
            pl.col(f"citations_{suffix}").alias("citations"),
            pl.col(f"share_{suffix}").alias("share"),
        )
        .sort(pl.col("unit").replace_strict(order, return_dtype=pl.Int64))
    )
    total = _total(shown)
    ax = new_axes(ax, (8, 0.36 * max(shown.height, 3) + 1.9))
    colours = [OKABE_ITO[0] if u != "EU27" else GREY for u in shown["unit"]]
    _bars(ax, shown["name"].to_list(), shown["share"].fill_null(0).to_list(), colours)
    for i, row in enumerate(shown.iter_rows(named=True)):
        ax.annotate(
            f"{pct(row['share'])} ({count(row['citations'], counting)})",
            (row["share"] or 0, i),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=NOTE_SIZE,
        )
    style_axes(ax)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    largest = max([v for v in shown["share"].to_list() if v is not None] or [0.0])
    ax.set_xlim(0, max(largest, 0.01) * 1.3)
    what = (
        f"citations made in {year} to AI works published up to {year}"
        if window == "received"
        else f"citations to date of the AI works published in {year}"
    )
    label(ax, x=f"share of the {what} ({counting} counting; label: share (citations))")
    made = f"made in {year} to AI works" if window == "received" else f"to the AI works of {year}"
    finding = f"Citations {made}, {counting} counting"
    lead = countries_only(shown).sort("share", descending=True, nulls_last=True)
    if lead.height and lead["share"][0] is not None:
        top = lead.row(0, named=True)
        finding = (
            f"{capital(possessive(the(top['unit'])))} AI works received {pct(top['share'])} of the "
            f"citations {made} ({count(top['citations'], counting)} of {_int(total)} citations, "
            f"{counting} counting)"
        )
    alt = (
        f"Bar chart of each unit's share of the {what}, {counting} counting: "
        + "; ".join(
            f"{r['name']} {pct(r['share'])} ({count(r['citations'], counting)} citations)"
            for r in shown.iter_rows(named=True)
        )
        + "."
    )
    remember(ax, shown, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)


def _int(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value):,}"


def _total(rows: pl.DataFrame) -> float | None:
    """The year's citations (the denominator of the shares), from any row with a share."""
    known = rows.filter(pl.col("share").is_not_null() & (pl.col("share") > 0))
    if known.is_empty():
        return None
    row = known.row(0, named=True)
    return float(row["citations"] / row["share"])


def plot_citation_trend(
    data: Data,
    *,
    year: int | None = None,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    n: int = 5,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """Each unit's share of the citations made each year to the AI works of the years before.

    Table ``citation_trend``: a fixed window of ``cited_years`` publication years, for every
    citing year up to ``year`` (default: the table's last year).

    Years whose window the dataset does not hold entirely, and years with almost no citations
    in ``counts_by_year`` (OpenAlex keeps the last ten citing years), are not drawn, and a note
    in the figure names them. ``units`` defaults to the ``n`` countries with the largest share
    in ``year``, and EU27.
    """
    counting = check_counting(counting, ("fractional", "full"))
    suffix = _SUFFIX[counting]
    source, synthetic = provenance(data, source, synthetic)
    rows = table(data, "citation_trend")
    if rows.is_empty():
        raise ValueError("citation_trend: the table is empty")
    year = int(rows["year"].max()) if year is None else year  # type: ignore[arg-type]
    rows = rows.filter(pl.col("year") <= year)
    window = int(rows["cited_years"].max())  # type: ignore[arg-type]
    if units is None:
        units = ranked_units(year_rows(rows, year, "citation_trend"), f"share_{suffix}", n)
    totals = (
        countries_only(rows)
        .group_by("year")
        .agg(pl.col("citations_frac").sum().alias("total"))
        .sort("year")
    )
    peak = float(totals["total"].max() or 0)  # type: ignore[arg-type]
    reasons = totals.join(rows.select("year", "cited_years").unique(), on="year").with_columns(
        pl.when(pl.col("cited_years") < window)
        .then(pl.lit(f"the {window}-year window reaches before the dataset's first year"))
        .when(pl.col("total") < SPARSE_YEAR * peak)
        .then(pl.lit("almost no citations in counts_by_year"))
        .otherwise(None)
        .alias("not_drawn")
    )
    order = {u: i for i, u in enumerate(units)}
    frame = (
        rows.filter(pl.col("unit").is_in(list(units)))
        .join(reasons.select("year", "not_drawn"), on="year", how="left")
        .select(
            "unit",
            pl.col("unit").map_elements(unit_name, return_dtype=pl.String).alias("name"),
            "year",
            "cited_years",
            pl.lit(counting).alias("counting"),
            pl.col(f"citations_{suffix}").alias("citations"),
            pl.col(f"share_{suffix}").alias("share"),
            "not_drawn",
        )
        .sort(pl.col("unit").replace_strict(order, return_dtype=pl.Int64), "year")
    )
    drawn = frame.filter(pl.col("not_drawn").is_null())
    ax = new_axes(ax, (8, 4.8))
    for i, unit in enumerate(units):
        series = drawn.filter(pl.col("unit") == unit)
        ax.plot(
            series["year"].to_list(),
            series["share"].to_list(),
            marker="os^Dv<>p"[i % 8],
            color=GREY if unit == "EU27" else OKABE_ITO[i % len(OKABE_ITO)],
            label=unit_name(unit),
            linewidth=1.8,
        )
    style_axes(ax)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    years = sorted(set(drawn["year"].to_list()))
    ax.set_xticks(years)
    label(
        ax,
        x=f"citing year Y (citations made in Y to the AI works published in Y−{window - 1}…Y)",
        y=f"share of citations ({counting} counting)",
    )
    ax.legend(fontsize=TICK_SIZE, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    skipped = reasons.filter(pl.col("not_drawn").is_not_null()).sort("year")
    if skipped.height:
        grouped = skipped.group_by("not_drawn", maintain_order=True).agg(pl.col("year"))
        note = "Not drawn: " + "; ".join(
            f"{', '.join(str(y) for y in r['year'])} ({r['not_drawn']})"
            for r in grouped.iter_rows(named=True)
        )
        ax.text(
            0.0,
            -0.22,
            wrap(note, ax.figure, NOTE_SIZE, 0.75),
            transform=ax.transAxes,
            fontsize=NOTE_SIZE,
            va="top",
        )
    lead = drawn.filter(pl.col("unit") == units[0]).drop_nulls("share") if units else drawn
    finding = f"Shares of citations to AI works ({counting} counting)"
    if lead.height >= 2:
        first, last = lead.row(0, named=True), lead.row(-1, named=True)
        total = _total(drawn.filter(pl.col("year") == last["year"]))
        total_first = _total(drawn.filter(pl.col("year") == first["year"]))
        finding = (
            f"{capital(possessive(the(units[0])))} share of the citations made each year to the "
            f"AI works of the {window} years up to it went from {pct(first['share'])} in "
            f"{first['year']} ({count(first['citations'], counting)} of {_int(total_first)} "
            f"citations) to {pct(last['share'])} in {last['year']} "
            f"({count(last['citations'], counting)} of {_int(total)} citations), "
            f"{counting} counting"
        )
    alt = (
        f"Line chart of shares of the citations made each year to the AI works of the {window} "
        f"years up to it, {counting} counting, {years[0] if years else ''}–"
        f"{years[-1] if years else ''}: "
        + "; ".join(
            f"{unit_name(u)} {_span(drawn, u, counting)}"
            for u in units
            if drawn.filter(pl.col("unit") == u).height
        )
        + "."
        + (f" {skipped.height} earlier year(s) not drawn (see the data)." if skipped.height else "")
    )
    remember(ax, frame, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)


def _span(drawn: pl.DataFrame, unit: str, counting: str) -> str:
    """``16.0 % in 2017 (838.8 of 5,231 citations) to 25.3 % in 2024 (…)`` for ``unit``."""
    series = drawn.filter(pl.col("unit") == unit)
    ends = [series.row(0, named=True), series.row(-1, named=True)]
    first, last = (
        f"{pct(row['share'])} in {row['year']} ({count(row['citations'], counting)} of "
        f"{_int(_total(drawn.filter(pl.col('year') == row['year'])))} citations)"
        for row in ends
    )
    return f"{first} to {last}"


def plot_citation_impact(
    data: Mapping[str, pl.DataFrame],
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
    """Relative citation impact of the ``n`` countries with the most AI works in ``year``.

    The impact is :func:`biblio.metrics.derived.citation_impact`, drawn for those countries and
    EU27 as points on a log axis, with a reference line at 1 (as cited as the world's attributed
    works of the year).
    """
    counting = check_counting(counting, ("fractional", "full"))
    source, synthetic = provenance(data, source, synthetic)
    impact = year_rows(
        citation_impact(table(data, "output"), table(data, "citation_shares"), counting=counting),
        year,
        "citation impact",
    )
    if units is None:
        units = ranked_units(impact, "works", n)
    order = {u: i for i, u in enumerate(units)}
    shown = (
        impact.filter(pl.col("unit").is_in(list(units)))
        .with_columns(
            pl.col("unit").map_elements(unit_name, return_dtype=pl.String).alias("name"),
            pl.lit(counting).alias("counting"),
        )
        .select(
            "unit",
            "name",
            "year",
            "counting",
            "works",
            "citations",
            "work_share",
            "citation_share",
            "impact",
        )
        .sort(pl.col("unit").replace_strict(order, return_dtype=pl.Int64))
    )
    ax = new_axes(ax, (8, 0.36 * max(shown.height, 3) + 2.0))
    positions = list(range(shown.height))
    values = shown["impact"].to_list()
    colours = [GREY if u == "EU27" else OKABE_ITO[0] for u in shown["unit"]]
    ax.scatter(
        [v for v in values if v],
        [p for p, v in zip(positions, values, strict=True) if v],
        color=[c for c, v in zip(colours, values, strict=True) if v],
        s=45,
        zorder=3,
    )
    ratio_axis(ax, values)
    ax.set_yticks(
        positions,
        labels=[
            f"{r['name']} ({count(r['works'], counting)} works)"
            for r in shown.iter_rows(named=True)
        ],
    )
    ax.set_ylim(shown.height - 0.5, -0.5)
    ax.grid(axis="y", color="0.92", zorder=0)
    style_axes(ax)
    label(
        ax,
        x=f"relative citation impact: share of the citations to date of {year}'s AI works ÷ "
        f"share of those works ({counting} counting); 1 = as cited as the world's works of "
        f"{year}",
    )
    ranked = countries_only(shown).drop_nulls("impact").sort("impact", descending=True)
    finding = f"Relative citation impact of AI works, {year} ({counting} counting)"
    if ranked.height:
        top = ranked.row(0, named=True)
        finding = (
            f"Relative to their share of {year}'s AI works, {possessive(the(top['unit']))} works "
            f"drew the most citations among these countries: {top['impact']:.2f}× the world "
            f"average ({count(top['citations'], counting)} citations to "
            f"{count(top['works'], counting)} works, {counting} counting"
            + (f"; only {count(top['works'], counting)} works" if top["works"] < FEW_WORKS else "")
            + ")"
        )
    alt = (
        f"Dot plot of relative citation impact in {year} ({counting} counting; 1 = world "
        "average): "
        + "; ".join(
            f"{r['name']} {r['impact']:.2f} ({count(r['works'], counting)} works)"
            if r["impact"] is not None
            else f"{r['name']} n/a"
            for r in shown.iter_rows(named=True)
        )
        + "."
    )
    remember(ax, shown, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)
