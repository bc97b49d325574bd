"""Figures of the metric tables, seaborn style: ``plot_x(table, *, year=…, ax=None) -> Axes``.

The only module that imports matplotlib and seaborn (with the non-interactive Agg backend,
except inside a Jupyter kernel, whose inline backend shows the figures), so ``import biblio``
stays light. Each function draws one figure that answers one question, takes a
metric table exactly as :mod:`biblio.schema` defines it (a polars DataFrame), and titles the
figure with its finding unless ``title`` is given. Axis labels carry units and definitions.
:func:`png_bytes` renders a figure without a timestamp or version in the file, so the same
tables always give byte-identical PNGs.

Examples
--------
>>> import polars as pl
>>> coverage = pl.DataFrame({"year": [2023, 2024], "works": [10, 20], "attributed": [9, 19],
...     "unattributed": [1, 1], "authorships": [40, 80], "authorships_with_country": [36, 75],
...     "authors_with_id": [30, 60], "institutions_missing_country": [0, 1]})
>>> ax = plot_coverage(coverage)
>>> ax.get_title(loc="left")
'5.0 % of AI works in 2024 name no country (10.0 % in 2023)'
>>> png_bytes(ax.figure)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io
import math
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

if "ipykernel" not in sys.modules:  # in Jupyter, keep the notebook's inline backend
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import seaborn as sns

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_asymmetry",
    "plot_citation_shares",
    "plot_citation_trend",
    "plot_coverage",
    "plot_flows",
    "plot_institutions_above",
    "plot_network",
    "plot_researchers",
    "png_bytes",
    "top_countries",
]

_WRAP = 72
_FULL, _FRAC = "full counting", "fractional counting"
_PALETTE = {_FULL: "#4c72b0", _FRAC: "#dd8452"}
_DPI = 100


def _countries_only(rows: pl.DataFrame, column: str = "unit") -> pl.DataFrame:
    # Country units are ISO 3166-1 alpha-2 codes; groups (EU27, AFRICA, …) and "unknown" are not.
    from biblio.units import is_country

    keep = [u for u in rows[column].unique().to_list() if u is not None and is_country(u)]
    return rows.filter(pl.col(column).is_in(keep))


def _ranked_units(rows: pl.DataFrame, column: str, n: int) -> list[str]:
    """The ``n`` countries with the largest ``column``, then EU27 when the table has it."""
    countries = _countries_only(rows).sort(
        [column, "unit"], descending=[True, False], nulls_last=True
    )
    units = countries["unit"].head(n).to_list()
    return [*units, "EU27"] if "EU27" in rows["unit"].to_list() else units


def _log_axis(ax: Axes) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.axvline(1.0, color="0.3", linewidth=1, linestyle="--")


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.{digits}f} %"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    # No rc_context around figure creation: leaving one would switch off Jupyter's inline
    # backend for the rest of the session.
    return plt.figure(figsize=size, layout="constrained").add_subplot()


def _legend_outside(ax: Axes) -> None:
    # Beside the axes, where it cannot hide a bar or a point.
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _xlabel(ax: Axes, text: str) -> None:
    ax.set_xlabel(textwrap.fill(text, 95))


def _finish(ax: Axes, title: str, given: str | None) -> Axes:
    ax.set_title(textwrap.fill(given if given is not None else title, _WRAP), loc="left")
    return ax


def _year_rows(data: pl.DataFrame, year: int, what: str) -> pl.DataFrame:
    rows = data.filter(pl.col("year") == year)
    if rows.is_empty():
        years = sorted(set(data["year"].to_list()))
        raise ValueError(f"{what}: no rows for {year}; the table has years {years}")
    return rows


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes with no software or time metadata (byte-stable), then closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def top_countries(output: pl.DataFrame, *, year: int, n: int = 10) -> list[str]:
    """The ``n`` countries (no groups) with the most AI works in ``year`` (ties by code).

    >>> out = pl.DataFrame({"unit": ["EU27", "CN", "US", "GB"], "year": [2024] * 4,
    ...                     "works_full": [90, 80, 50, 50]})
    >>> top_countries(out, year=2024, n=2)
    ['CN', 'GB']
    """
    rows = _countries_only(output.filter((pl.col("year") == year) & (pl.col("works_full") > 0)))
    return rows.sort(["works_full", "unit"], descending=[True, False])["unit"].head(n).to_list()


def plot_citation_shares(
    data: pl.DataFrame,
    *,
    year: int,
    window: str = "received",
    units: Sequence[str] | None = None,
    n: int = 10,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Citation share per unit in ``year``, full and fractional counting side by side.

    ``data`` is the ``citation_shares`` table; ``units`` defaults to the ``n`` countries with the
    largest fractional share, plus EU27 when the table has it.
    """
    rows = _year_rows(data.filter(pl.col("window") == window), year, "citation_shares")
    if units is None:
        units = _ranked_units(rows, "share_frac", n)
    shown = rows.filter(pl.col("unit").is_in(list(units)))
    long = shown.select(
        "unit", pl.col("share_full").alias(_FULL), pl.col("share_frac").alias(_FRAC)
    ).unpivot(index="unit", variable_name="counting", value_name="share")
    ax = _axes(ax, (8, 0.35 * len(units) + 1.8))
    sns.barplot(
        long.to_pandas(),
        y="unit",
        x="share",
        hue="counting",
        order=list(units),
        ax=ax,
        palette=_PALETTE,
        orient="h",
    )
    what = "received in" if window == "received" else "to date by works published in"
    _xlabel(
        ax,
        f"share of citations {what} {year} to AI works (full: each unit counts a whole "
        "work; fractional: its authorship share)",
    )
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    _legend_outside(ax)
    candidates = _countries_only(shown)
    candidates = shown if candidates.is_empty() else candidates
    best = candidates.sort("share_frac", descending=True, nulls_last=True).row(0, named=True)
    finding = (
        f"{best['unit']}'s AI works received {_pct(best['share_full'])} of the citations "
        f"{'received in ' + str(year) if window == 'received' else 'to works of ' + str(year)} "
        f"({_pct(best['share_frac'])} with fractional counting)"
    )
    return _finish(ax, finding, title)


def plot_citation_trend(
    data: pl.DataFrame,
    *,
    units: Sequence[str],
    window: str = "received",
    counting: str = "frac",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The citation share of ``units`` over every year of the table (one line each)."""
    column = f"share_{counting}"
    rows = data.filter(pl.col("window") == window)
    # Leave out years with under 1 % of the peak year's citations: the start of the window,
    # where OpenAlex's counts_by_year (the last ten years) leaves only a few citations.
    totals = _countries_only(rows).group_by("year").agg(pl.col("citations_frac").sum())
    peak = totals["citations_frac"].max() or 0
    kept = totals.filter(pl.col("citations_frac") >= 0.01 * peak)["year"]  # type: ignore[operator]
    rows = rows.filter(pl.col("unit").is_in(list(units)) & pl.col("year").is_in(kept.implode()))
    rows = rows.sort("year", "unit").select("unit", "year", column)
    ax = _axes(ax, (8, 4.2))
    sns.lineplot(
        rows.to_pandas(), x="year", y=column, hue="unit", hue_order=list(units), marker="o", ax=ax
    )
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel(
        f"share of citations {'received in the year' if window == 'received' else ''} "
        f"({'fractional' if counting == 'frac' else 'full'} counting)"
    )
    ax.set_xlabel("year")
    years = sorted(set(rows["year"].to_list()))
    ax.set_xticks(years)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    lead = units[0]
    series = rows.filter(pl.col("unit") == lead).drop_nulls(column)
    if series.height >= 2:
        first, last = series.row(0, named=True), series.row(-1, named=True)
        finding = (
            f"{lead}'s share of citations to AI works went from {_pct(first[column])} in "
            f"{first['year']} to {_pct(last[column])} in {last['year']}"
        )
    else:
        span = f"{years[0]}–{years[-1]}" if years else ""
        finding = f"Share of citations to AI works, {span}"
    return _finish(ax, finding, title)


def plot_flows(
    data: pl.DataFrame,
    *,
    year: int,
    units: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Heatmap of flow shares: the share of the row unit's works with a co-author in the column."""
    rows = _year_rows(data, year, "flows").filter(
        pl.col("source").is_in(list(units)) & pl.col("partner").is_in(list(units))
    )
    matrix = pl.DataFrame({"source": list(units)}).join(
        rows.pivot(on="partner", index="source", values="flow_share"), on="source", how="left"
    )
    for unit in units:
        if unit not in matrix.columns:
            matrix = matrix.with_columns(pl.lit(None, pl.Float64).alias(unit))
    frame = matrix.select("source", *units).to_pandas().set_index("source")
    ax = _axes(ax, (0.55 * len(units) + 3, 0.5 * len(units) + 1.8))
    sns.heatmap(
        frame * 100,
        annot=True,
        fmt=".0f",
        cmap="rocket_r",
        vmin=0,
        ax=ax,
        cbar_kws={"label": "% of the row unit's AI works"},
        annot_kws={"fontsize": 7},
        linewidths=0.5,
        linecolor="white",
    )
    ax.set_xlabel("partner (co-author's country)")
    ax.set_ylabel("unit whose works are counted")
    best = rows.drop_nulls("flow_share").sort(["flow_share", "source"], descending=[True, False])
    if best.is_empty():
        finding = f"No co-authorship between these units in {year}"
    else:
        top = best.row(0, named=True)
        finding = (
            f"In {year}, {_pct(top['flow_share'], 0)} of {top['source']}'s AI works had a "
            f"co-author in {top['partner']}, the largest flow between these units"
        )
    return _finish(ax, finding, title)


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
    ranked = _countries_only(_countries_only(ranked, "source"), "partner")
    ranked = ranked.sort(["salton", "source"], descending=[True, False], nulls_last=True)
    for source, partner in ranked.select("source", "partner").iter_rows():
        if len(chosen) >= n:
            break
        if (source, partner) not in chosen and (partner, source) not in chosen:
            chosen.append((source, partner))
    return chosen


def plot_asymmetry(
    data: pl.DataFrame,
    *,
    year: int,
    pairs: Sequence[tuple[str, str]] | None = None,
    first: Sequence[tuple[str, str]] = (),
    units: Sequence[str] | None = None,
    n: int = 10,
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
) -> list[Axes]:
    """Asymmetry of co-authorship pairs beside the two size-adjusted measures, three panels.

    Returns the three Axes (asymmetry ratio, Salton's cosine, affinity). ``pairs`` shows exactly
    those pairs. Without it, the ``first`` pairs (e.g. the published flows,
    :data:`biblio.report.published.PUBLISHED_FLOW_PAIRS`) come first, then the pairs of countries
    (among ``units`` when given) with the highest Salton cosine, each oriented so that the
    asymmetry is at least 1, up to ``n`` pairs.
    """
    rows = _year_rows(data, year, "asymmetry")
    chosen = _pairs(rows, pairs, first, units, n)
    index = {pair: i for i, pair in enumerate(chosen)}
    shown = (
        rows.filter(
            pl.struct("source", "partner").map_elements(
                lambda r: (r["source"], r["partner"]) in index, return_dtype=pl.Boolean
            )
        )
        .with_columns(pl.concat_str("source", pl.lit(" → "), "partner").alias("pair"))
        .with_columns(
            pl.struct("source", "partner")
            .map_elements(lambda r: index[(r["source"], r["partner"])], return_dtype=pl.Int64)
            .alias("order")
        )
        .sort("order")
    )
    if axes is None:
        _fig, made = plt.subplots(
            1,
            3,
            figsize=(10, 0.35 * max(len(chosen), 3) + 2.2),
            sharey=True,
            layout="constrained",
        )
        axes = list(made)
    frame = shown.to_pandas()
    panels = (
        ("asymmetry", "asymmetry = F(u→v) / F(v→u)\n(size effect: = works(v) / works(u))", True),
        ("salton", "Salton's cosine\nC(u,v) / √(works(u)·works(v))", False),
        ("affinity", "affinity = observed / expected\nC(u,v)·N / (works(u)·works(v))", True),
    )
    for ax, (column, label, log) in zip(axes, panels, strict=True):
        sns.barplot(frame, y="pair", x=column, ax=ax, color="#4c72b0", orient="h")
        if log and frame[column].notna().any():
            _log_axis(ax)
        ax.set_xlabel(label)
        ax.set_ylabel("")
    finding = f"Co-authorship asymmetry and size-adjusted affinity, {year}"
    if not shown.is_empty():
        top = shown.row(0, named=True)
        if top["asymmetry"] is not None and top["affinity"] is not None:
            finding = (
                f"{top['source']} relies on {top['partner']} {top['asymmetry']:.1f}× as much as "
                f"the reverse in {year}, a size effect; size-adjusted, they co-author "
                f"{top['affinity']:.1f}× as often as independence predicts"
            )
    axes[0].figure.suptitle(
        textwrap.fill(title or finding, _WRAP + 40),
        x=0.01,
        horizontalalignment="left",
        fontsize=10.5,
    )
    return list(axes)


def plot_network(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    year: int,
    n: int = 35,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The country co-authorship network of ``year`` (the ``n`` largest countries).

    Layout: igraph's Kamada–Kawai from a fixed circular start (no randomness, so reruns give
    the same picture). Node area
    ∝ AI works (full counting), edge width ∝ co-authored works, colour = Leiden community.
    """
    from biblio.network import build_graph

    year_nodes = _year_rows(nodes, year, "network_nodes")
    keep = year_nodes.sort(["works_full", "unit"], descending=[True, False])["unit"].head(n)
    kept = keep.to_list()
    graph = build_graph(
        edges.filter(pl.col("source").is_in(kept) & pl.col("partner").is_in(kept)),
        year_nodes.filter(pl.col("unit").is_in(kept)),
        year,
    )
    count = graph.vcount()
    start = [
        [math.cos(2 * math.pi * i / max(count, 1)), math.sin(2 * math.pi * i / max(count, 1))]
        for i in range(count)
    ]
    # Kamada–Kawai from a fixed circular start uses no random numbers, so the same tables give
    # the same picture; strong ties are short springs.
    lengths = [1 / (1 + math.log1p(w)) for w in graph.es["weight"]] if graph.ecount() else None
    layout = graph.layout_kamada_kawai(
        seed=start, maxiter=50 * max(count, 1), weights=lengths
    ).coords
    ax = _axes(ax, (8, 7))
    works = graph.vs["works_full"]
    largest = max(works) if works else 1
    palette = sns.color_palette("tab10", 10)
    top_weight = max(graph.es["weight"]) if graph.ecount() else 1
    for edge in graph.es:
        (x0, y0), (x1, y1) = layout[edge.source], layout[edge.target]
        width = 0.3 + 6 * edge["weight"] / top_weight
        ax.plot([x0, x1], [y0, y1], color="0.5", alpha=0.4, linewidth=width, zorder=1)
    for v in graph.vs:
        x, y = layout[v.index]
        size = 30 + 1500 * v["works_full"] / largest
        ax.scatter(
            [x],
            [y],
            s=size,
            color=palette[int(v["community"]) % 10],
            zorder=2,
            edgecolors="white",
            linewidths=0.8,
        )
        # Small nodes get their label beside them, large ones inside.
        offset = (0, 0) if size > 400 else (0, 2 + math.sqrt(size) / 2)
        ax.annotate(
            v["name"],
            (x, y),
            xytext=offset,
            textcoords="offset points",
            ha="center",
            va="center" if size > 400 else "bottom",
            fontsize=7,
            zorder=3,
        )
    ax.set_axis_off()
    ax.set_xlabel("")
    ax.text(
        0.0,
        -0.02,
        "node area ∝ AI works (full counting); edge width ∝ co-authored works; "
        "colour = Leiden community",
        transform=ax.transAxes,
        fontsize=8,
        va="top",
    )
    ranked = year_nodes.sort(["strength", "partners", "unit"], descending=[True, True, False])
    finding = f"Country co-authorship network of AI works, {year}"
    if not ranked.is_empty() and ranked["strength"][0] > 0:
        top = ranked.row(0, named=True)
        finding = (
            f"{top['unit']} is the most connected country in {year}: "
            f"{top['strength']:,} co-authorship links with {top['partners']} partners"
        )
    return _finish(ax, finding, title)


def plot_institutions_above(
    data: pl.DataFrame,
    *,
    year: int,
    n: int = 15,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Institutions with more than the threshold of AI works in ``year``, per unit."""
    rows = _year_rows(data, year, "institutions_above").filter(pl.col("institutions_above") > 0)
    rows = rows.sort(["institutions_above", "unit"], descending=[True, False]).head(n)
    threshold = int(data["threshold"][0]) if data.height else 0
    ax = _axes(ax, (8, 0.32 * max(rows.height, 3) + 1.6))
    countries = set(_countries_only(rows)["unit"].to_list())
    kinds = ["country" if u in countries else "group" for u in rows["unit"]]
    frame = rows.with_columns(pl.Series("kind", kinds, dtype=pl.String)).to_pandas()
    if rows.is_empty():
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
        sns.barplot(
            frame,
            y="unit",
            x="institutions_above",
            hue="kind",
            dodge=False,
            ax=ax,
            orient="h",
            palette={"country": "#4c72b0", "group": "#8c8c8c"},
        )
        _legend_outside(ax)
    for container in ax.containers:
        ax.bar_label(container, fontsize=8, padding=3)  # type: ignore[arg-type]
    _xlabel(
        ax,
        f"institutions with more than {threshold} AI works in {year} "
        "(full counting, rolled up to the top-level institution)",
    )
    ax.set_ylabel("")
    finding = f"No unit has an institution with more than {threshold} AI works in {year}"
    if not rows.is_empty():
        top = rows.row(0, named=True)
        finding = (
            f"{top['unit']} has {top['institutions_above']} institutions with more than "
            f"{threshold} AI works in {year}, the most of any unit"
        )
    return _finish(ax, finding, title)


def plot_researchers(
    data: pl.DataFrame,
    *,
    year: int,
    n: int = 12,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Active AI researchers per unit in ``year``, full and fractional counting."""
    rows = _year_rows(data, year, "researchers")
    order = _ranked_units(rows, "researchers_full", n)
    rows = rows.filter(pl.col("unit").is_in(order)).sort(
        pl.col("unit").replace_strict(order, list(range(len(order))), return_dtype=pl.Int64)
    )
    first = rows.row(0, named=True) if rows.height else {"min_works": 1, "window_years": 1}
    long = rows.select(
        "unit",
        pl.col("researchers_full").cast(pl.Float64).alias(_FULL),
        pl.col("researchers_frac").alias(_FRAC),
    ).unpivot(index="unit", variable_name="counting", value_name="researchers")
    ax = _axes(ax, (8, 0.35 * max(rows.height, 3) + 1.8))
    sns.barplot(
        long.to_pandas(),
        y="unit",
        x="researchers",
        hue="counting",
        ax=ax,
        palette=_PALETTE,
        orient="h",
        order=rows["unit"].to_list(),
    )
    _xlabel(
        ax,
        f"active AI researchers in {year}: authors with ≥ {first['min_works']} AI "
        f"work(s) in the last {first['window_years']} year(s), by the country of "
        "their latest work",
    )
    ax.set_ylabel("")
    _legend_outside(ax)
    finding = f"Active AI researchers, {year}"
    if rows.height:
        top = rows.sort("researchers_full", descending=True).row(0, named=True)
        finding = (
            f"{top['unit']} has the most active AI researchers in {year}: "
            f"{top['researchers_full']:,} (full counting)"
        )
    return _finish(ax, finding, title)


def plot_coverage(data: pl.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Per year, the share of AI works and of authorships that name no country."""
    rows = data.sort("year").with_columns(
        (pl.col("unattributed") / pl.col("works")).alias("works with no country"),
        (1 - pl.col("authorships_with_country") / pl.col("authorships")).alias(
            "authorships with no country"
        ),
    )
    long = rows.select("year", "works with no country", "authorships with no country").unpivot(
        index="year", variable_name="share of", value_name="share"
    )
    ax = _axes(ax, (8, 3.6))
    sns.lineplot(long.to_pandas(), x="year", y="share", hue="share of", marker="o", ax=ax)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_xticks(rows["year"].to_list())
    ax.set_ylabel("share with no country")
    _legend_outside(ax)
    finding = "Coverage of countries"
    if rows.height:
        last: dict[str, Any] = rows.row(-1, named=True)
        finding = (
            f"{_pct(last['works with no country'])} of AI works in {last['year']} name no country"
        )
        if rows.height >= 2:
            prev = rows.row(-2, named=True)
            finding += f" ({_pct(prev['works with no country'])} in {prev['year']})"
    return _finish(ax, finding, title)
