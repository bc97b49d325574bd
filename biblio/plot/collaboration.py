"""Co-authorship figures: flow shares between countries, and asymmetry beside other measures.

The other measures adjust for size: affinity, leadership asymmetry, Salton's cosine.

Examples
--------
>>> import textwrap
>>> import polars as pl
>>> from biblio.plot import figure_data, title_of
>>> flows = pl.DataFrame({"source": ["GB", "CN"], "partner": ["CN", "GB"], "year": [2024] * 2,
...     "coauthored": [17, 17], "source_works": [120, 600], "flow_share": [17 / 120, 17 / 600],
...     "led_by_source": [9, 8]})
>>> ax = plot_flows(flows, year=2024)
>>> print(textwrap.fill(title_of(ax), 88))
In 2024, 14.2 % of the United Kingdom's AI works (17 of 120) had a co-author in China,
the largest flow among these countries (full counting; only 17 works)
>>> [t.get_text() for t in ax.texts[:2]]
['2.8', '14']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import seaborn as sns

from biblio.metrics.derived import FEW_WORKS, flows_without_large
from biblio.names import capital, possessive, the, unit_name
from biblio.plot._base import (
    GREY,
    NOTE_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    Data,
    check_counting,
    countries_only,
    finish,
    label,
    new_axes,
    new_axes_beside,
    optional_table,
    pct,
    provenance,
    ratio_axis,
    remember,
    style_axes,
    table,
    year_rows,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["cell_text", "plot_asymmetry", "plot_flows"]


def cell_text(share: float | None) -> str:
    """A flow share as a heatmap cell prints it, in percent.

    ``""`` when undefined, ``0`` only for no co-authored work, ``<0.1`` for a flow too small to
    print, one decimal under 10.

    >>> [cell_text(v) for v in (None, 0.0, 0.0004, 0.004, 0.0996, 0.142)]
    ['', '0', '<0.1', '0.4', '10', '14']
    """
    if share is None or share != share:
        return ""
    percent = 100 * share
    if percent == 0:
        return "0"
    if percent < 0.05:
        return "<0.1"
    return f"{percent:.1f}" if round(percent, 1) < 10 else f"{percent:.0f}"


def _top_units(data: Data, flows: pl.DataFrame, year: int, n: int) -> list[str]:
    output = optional_table(data, "output")
    if output is not None:
        rows = countries_only(output.filter((pl.col("year") == year) & (pl.col("works_full") > 0)))
        return rows.sort(["works_full", "unit"], descending=[True, False])["unit"].head(n).to_list()
    sizes = (
        countries_only(flows.filter(pl.col("year") == year), "source")
        .group_by("source")
        .agg(pl.col("source_works").max())
        .filter(pl.col("source_works") > 0)
        .sort(["source_works", "source"], descending=[True, False])
    )
    return sizes["source"].head(n).to_list()


def plot_flows(
    data: Data,
    *,
    year: int,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    n: int = 10,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """Heatmap of flow shares ``F(u→v)``, one row and one column per country.

    A cell is the share of the row country's AI works with a co-author in the column country
    (full counting, the only counting flows are defined with).

    ``units`` defaults to the ``n`` countries with the most AI works in ``year``. A cell prints
    ``0`` only when no work is co-authored, ``<0.1`` when the share is too small to print.
    """
    counting = check_counting(counting, ("full",))
    source, synthetic = provenance(data, source, synthetic)
    flows = year_rows(table(data, "flows"), year, "flows")
    if units is None:
        units = _top_units(data, flows, year, n)
    units = list(units)
    rows = flows.filter(pl.col("source").is_in(units) & pl.col("partner").is_in(units))
    shares = {(s, p): v for s, p, v in rows.select("source", "partner", "flow_share").iter_rows()}
    matrix = np.array(
        [[shares.get((s, p), np.nan) if s != p else np.nan for p in units] for s in units],
        dtype=float,
    )
    labels = np.array(
        [[cell_text(shares.get((s, p))) if s != p else "" for p in units] for s in units]
    )
    names = [unit_name(u) for u in units]
    ax = new_axes(ax, (0.62 * len(units) + 3.6, 0.5 * len(units) + 2.6))
    sns.heatmap(
        matrix * 100,
        annot=labels,
        fmt="",
        cmap="rocket_r",
        vmin=0,
        ax=ax,
        xticklabels=names,
        yticklabels=names,
        cbar_kws={"label": "% of the row country's AI works (full counting)"},
        annot_kws={"fontsize": NOTE_SIZE},
        linewidths=0.5,
        linecolor="white",
    )
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=40, ha="right")
    label(ax, x="country of a co-author (partner)", y="country whose AI works are counted")
    frame = (
        rows.filter(pl.col("source") != pl.col("partner"))
        .select(
            "source",
            pl.col("source").map_elements(unit_name, return_dtype=pl.String).alias("source_name"),
            "partner",
            pl.col("partner").map_elements(unit_name, return_dtype=pl.String).alias("partner_name"),
            "year",
            "coauthored",
            "source_works",
            "flow_share",
        )
        .sort("source", "partner")
    )
    best = frame.drop_nulls("flow_share").sort(
        ["flow_share", "source", "partner"], descending=[True, False, False]
    )
    finding = f"No co-authored AI works between these countries in {year}"
    if best.height and best["flow_share"][0] > 0:
        top = best.row(0, named=True)
        few = f"; only {top['coauthored']} works" if top["coauthored"] < FEW_WORKS else ""
        few += _large_among(data, year, top["source"], top["partner"])
        finding = (
            f"In {year}, {pct(top['flow_share'])} of {possessive(the(top['source']))} AI works "
            f"({top['coauthored']:,} of {top['source_works']:,}) had a co-author in "
            f"{the(top['partner'])}, the largest flow among these countries (full counting{few})"
        )
    alt = (
        f"Heatmap of flow shares in {year} among {', '.join(names)}: the share of the row "
        "country's AI works with a co-author in the column country (full counting). Largest: "
        + "; ".join(
            f"{r['source_name']} → {r['partner_name']} {pct(r['flow_share'])} "
            f"({r['coauthored']} of {r['source_works']} works)"
            for r in best.head(5).iter_rows(named=True)
        )
        + "."
    )
    remember(ax, frame, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)


def _pairs(
    rows: pl.DataFrame,
    pairs: Sequence[tuple[str, str]] | None,
    first: Sequence[tuple[str, str]],
    units: Sequence[str] | None,
    n: int,
) -> list[tuple[str, str]]:
    present = {(s, p) for s, p in rows.select("source", "partner").iter_rows()}
    if pairs is not None:
        return [p for p in pairs if p in present]
    chosen = [p for p in first if p in present]
    ranked = rows.filter(pl.col("asymmetry") >= 1)
    if units is not None:
        ranked = ranked.filter(
            pl.col("source").is_in(list(units)) & pl.col("partner").is_in(list(units))
        )
    ranked = countries_only(countries_only(ranked, "source"), "partner")
    ranked = ranked.sort(["salton", "source"], descending=[True, False], nulls_last=True)
    for source, partner in ranked.select("source", "partner").iter_rows():
        if len(chosen) >= n:
            break
        if (source, partner) not in chosen and (partner, source) not in chosen:
            chosen.append((source, partner))
    return chosen


#: The measures drawn as points, each a ratio whose baseline is 1: (column, legend, marker).
_RATIOS = (
    ("affinity", "affinity: co-authored works ÷ the number expected from the two sizes", "o"),
    (
        "leadership_asymmetry",
        "leadership asymmetry: works led from the first country ÷ led from the second",
        "^",
    ),
    ("asymmetry", "size ratio F(u→v) ÷ F(v→u) = works of v ÷ works of u (a size effect)", "s"),
)


_MEASURES = {
    "led_by_source": pl.Int64,
    "led_by_partner": pl.Int64,
    "affinity": pl.Float64,
    "leadership_asymmetry": pl.Float64,
    "salton": pl.Float64,
    "asymmetry": pl.Float64,
}


def plot_asymmetry(
    data: Data,
    *,
    year: int,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    first: Sequence[tuple[str, str]] = (),
    n: int = 10,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """Who leads the works two countries share, and how much they co-author for their sizes.

    One row per pair ``u → v``; as points on one log axis with a reference line at 1: affinity
    (observed ÷ expected co-authored works), leadership asymmetry (works led from ``u`` ÷ led
    from ``v``) and the size ratio ``F(u→v)/F(v→u)``. Salton's cosine is drawn in a panel
    beside them, as a point on a linear axis from 0 with the value the two sizes alone would
    give as its reference, and printed at the right. ``pairs`` shows exactly those pairs;
    without it, the ``first`` pairs (e.g. the published flows) come first, then the pairs of
    countries (among ``units``) with the highest Salton cosine, up to ``n``. With every table
    (a mapping), each row gives its co-authored works.
    """
    counting = check_counting(counting, ("full",))
    source, synthetic = provenance(data, source, synthetic)
    rows = year_rows(table(data, "asymmetry"), year, "asymmetry")
    # A hand-made frame may leave out measures: they are then not drawn.
    rows = rows.with_columns(
        pl.lit(None, dtype).alias(name)
        for name, dtype in _MEASURES.items()
        if name not in rows.columns
    )
    if units is None and optional_table(data, "output") is not None:
        units = _top_units(data, rows, year, n)
    chosen = _pairs(rows, pairs, first, units, n)
    keys = pl.DataFrame(
        {
            "source": [s for s, _ in chosen],
            "partner": [p for _, p in chosen],
            "order": list(range(len(chosen))),
        },
        schema={"source": pl.String, "partner": pl.String, "order": pl.Int64},
    )
    shown = rows.join(keys, on=["source", "partner"], how="inner")
    flows = optional_table(data, "flows")
    if flows is not None:
        shown = shown.join(
            flows.select("source", "partner", "year", "coauthored"),
            on=["source", "partner", "year"],
            how="left",
        )
    else:
        shown = shown.with_columns(pl.lit(None, pl.Int64).alias("coauthored"))
    shown = shown.sort("order").select(
        "source",
        pl.col("source").map_elements(unit_name, return_dtype=pl.String).alias("source_name"),
        "partner",
        pl.col("partner").map_elements(unit_name, return_dtype=pl.String).alias("partner_name"),
        "year",
        "coauthored",
        "led_by_source",
        "led_by_partner",
        "affinity",
        "leadership_asymmetry",
        "salton",
        pl.when(pl.col("affinity") > 0)
        .then(pl.col("salton") / pl.col("affinity"))
        .alias("salton_expected"),
        "asymmetry",
    )
    height = 0.42 * max(shown.height, 3) + 3.2
    ax, panel, legends = new_axes_beside(ax, (12, height), 0.24)
    positions = list(range(shown.height))
    for i, (column, legend, marker) in enumerate(_RATIOS):
        values = shown[column].to_list()
        kept = [(v, p) for v, p in zip(values, positions, strict=True) if v is not None and v > 0]
        ax.scatter(
            [v for v, _ in kept],
            [p for _, p in kept],
            marker=marker,
            s=55,
            color=GREY if column == "asymmetry" else OKABE_ITO[i],
            label=legend,
            zorder=3,
            edgecolors="white",
            linewidths=0.6,
        )
    ratio_axis(ax, [v for column, _, _ in _RATIOS for v in shown[column].to_list()])
    ax.set_yticks(
        positions,
        labels=[
            f"{r['source_name']} → {r['partner_name']}"
            + (f" ({_works(r['coauthored'])})" if r["coauthored"] is not None else "")
            for r in shown.iter_rows(named=True)
        ],
    )
    ax.set_ylim(max(shown.height, 1) - 0.5, -0.5)
    ax.grid(axis="y", color="0.92", zorder=0)
    style_axes(ax)
    _salton_panel(panel, shown, legends)
    label(
        ax,
        x="ratio (log scale); the dashed line at 1 is each measure's baseline: as many shared "
        "works as the two sizes predict, as many led from each side, two countries of one size",
        width=min(0.55, 0.8 * ax.get_position().width),  # not under the Salton panel
    )
    if legends is None:  # above the Axes, under the figure's title
        ax.legend(
            loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=NOTE_SIZE, frameon=False, ncols=1
        )
    else:  # in the row below: the caller's Axes carry the title just above
        handles, labels = ax.get_legend_handles_labels()
        more, more_labels = panel.get_legend_handles_labels()
        legends.legend(
            [*handles, *more],
            [*labels, *more_labels],
            loc="upper left",
            fontsize=NOTE_SIZE,
            frameon=False,
        )
    finding = f"Co-authorship between country pairs, {year} (full counting)"
    if shown.height:
        top = shown.row(0, named=True)
        large = _large_among(data, year, top["source"], top["partner"])
        finding = _asymmetry_finding(top, year, large)
    alt = (
        f"Dot plot of country pairs in {year} (full counting), three ratios per pair on a log "
        "axis with a reference line at 1, and beside them Salton's cosine with the value "
        "expected from the two sizes: "
        + "; ".join(
            f"{r['source_name']} → {r['partner_name']}"
            + (f" ({_works(r['coauthored'])})" if r["coauthored"] is not None else "")
            + f": affinity {_ratio(r['affinity'])}, leadership asymmetry "
            f"{_ratio(r['leadership_asymmetry'])} ({r['led_by_source']} led from "
            f"{r['source_name']}, {r['led_by_partner']} from {r['partner_name']}), size ratio "
            f"{_ratio(r['asymmetry'])}, Salton {_ratio(r['salton'], 3)} (expected "
            f"{_ratio(r['salton_expected'], 3)})"
            for r in shown.iter_rows(named=True)
        )
        + "."
    )
    remember(ax, shown, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)


def _salton_panel(panel: Axes, shown: pl.DataFrame, legends: Axes | None) -> None:
    """Salton's cosine of each row as a point, beside the value the two sizes alone would give.

    On ``panel`` (right of the ratios, on the same rows), on a linear axis from 0; its value
    is printed at the right. The reference is the cosine expected if partners were chosen
    regardless of country (Salton's cosine ÷ affinity, i.e. √(works(u)·works(v)) ÷ the
    works naming a country): above it, the pair co-authors more than its sizes predict.
    """
    positions = list(range(shown.height))
    cosine = shown["salton"].to_list()
    expected = shown["salton_expected"].to_list()
    values = [(v, p) for v, p in zip(cosine, positions, strict=True) if v is not None]
    panel.scatter(
        [v for v, _ in values],
        [p for _, p in values],
        marker="D",
        s=45,
        color=OKABE_ITO[3],
        label="Salton's cosine",
        zorder=3,
        edgecolors="white",
        linewidths=0.6,
    )
    reference = [(e, p) for e, p in zip(expected, positions, strict=True) if e is not None]
    panel.scatter(
        [e for e, _ in reference],
        [p for _, p in reference],
        marker="|",
        s=160,
        linewidths=1.6,
        color="0.25",
        label="the same expected from the two sizes alone",
        zorder=2,
    )
    high = max([v for v in [*cosine, *expected] if v is not None] or [1.0])
    panel.set_xlim(0, high * 1.15)
    panel.grid(axis="y", color="0.92", zorder=0)
    panel.tick_params(axis="y", left=False, labelleft=False)
    style_axes(panel)
    panel.set_xlabel("Salton's cosine (linear, from 0;\n1 = every work shared)", fontsize=NOTE_SIZE)
    if legends is None:
        panel.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=NOTE_SIZE, frameon=False)
    for position, value in zip(positions, cosine, strict=True):
        panel.annotate(
            "—" if value is None else f"{value:.3f}",
            (1.02, position),
            xycoords=("axes fraction", "data"),
            fontsize=NOTE_SIZE,
            va="center",
        )


def _works(n: int) -> str:
    return f"{n:,} shared work" + ("" if n == 1 else "s")


def _ratio(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _large_among(data: Data, year: int, source: str, partner: str) -> str:
    """``; 2 of them of more than 100 authors`` for a pair's co-authored works, or ``""``.

    Empty without the tables ``flows`` and ``large_works`` or when none of the works is large.
    """
    flows, large = optional_table(data, "flows"), optional_table(data, "large_works")
    if flows is None or large is None:
        return ""
    rows = flows.filter(
        (pl.col("year") == year) & (pl.col("source") == source) & (pl.col("partner") == partner)
    )
    large = large.filter(pl.col("year") == year)
    if rows.height != 1 or large.is_empty():
        return ""
    count = flows_without_large(rows, large)["large_coauthored"][0]
    threshold = int(large["authorship_threshold"][0]) if "authorship_threshold" in large else 100
    return f"; {count} of them of more than {threshold} authors" if count else ""


def _asymmetry_finding(row: dict[str, object], year: int, large: str = "") -> str:
    source, partner = str(row["source"]), str(row["partner"])
    shared = row["coauthored"]
    of = f" of the {shared:,} AI works they shared" if isinstance(shared, int) else ""
    la = row["leadership_asymmetry"]
    few = f"; only {shared} works" if isinstance(shared, int) and shared < FEW_WORKS else ""
    few += large
    ratio = f"leadership asymmetry {la:.2f}, " if isinstance(la, float) else ""
    text = (
        f"In {year}, authors in {the(source)} led {row['led_by_source']}{of}, authors in "
        f"{the(partner)} {row['led_by_partner']} ({ratio}full counting{few})"
    )
    affinity = row["affinity"]
    if isinstance(affinity, float):
        expected = (
            f": {shared:,} works where {shared / affinity:,.0f} would be expected"
            if isinstance(shared, int) and affinity > 0
            else ""
        )
        text += (
            f"; for their sizes they co-authored {affinity:.2f}× as often as partners chosen "
            f"regardless of country would (affinity{expected})"
        )
    return capital(text)
