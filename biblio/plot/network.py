"""The country co-authorship network, drawn so that it can be read.

Only the ``n`` countries with the most AI works are drawn, and only the links of at least
``min_works`` co-authored works, the heaviest on top; colours are the Leiden communities of the
whole network (Okabe–Ito palette, with a legend), node labels are country names. The title
says who has the most partners and who the most co-authored works, counted over every country,
and what was drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.patheffects as path_effects
import polars as pl
from matplotlib.artist import Artist
from matplotlib.lines import Line2D

from biblio.names import capital, the, unit_name
from biblio.plot._base import (
    GREY,
    NOTE_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    check_counting,
    finish,
    new_axes,
    optional_table,
    provenance,
    remember,
    table,
    wrap,
    year_rows,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.text import Text

__all__ = ["connectivity_finding", "plot_network"]

#: Communities beyond this many (by drawn size) share the grey of "other communities".
_COLOURED = 7
#: Where a label may go around its node, in order of preference: (dx, dy) directions.
_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))
#: Gaps (points) between a node's edge and its label that are tried, nearest first; a label
#: farther than :data:`_LEADER` points gets a thin line to its node.
_GAPS = (2.0, 7.0, 16.0, 30.0)
_LEADER = 10.0


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes ``(x0, y0, x1, y1)`` intersect."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _hits_circle(box: tuple[float, float, float, float], x: float, y: float, r: float) -> bool:
    """Whether a box intersects the disc of centre ``(x, y)`` and radius ``r``."""
    dx = x - min(max(x, box[0]), box[2])
    dy = y - min(max(y, box[1]), box[3])
    return dx * dx + dy * dy < r * r


class _LabelPlacer(Artist):
    """Places the node labels when the figure is drawn, so that no two overlap.

    At draw time the layout is final, so node positions and text sizes are known in pixels.
    Each label, largest node first, takes the first place around its node (above, below,
    right, left, the diagonals; near, then farther with a line to its node) where it covers no
    label already placed, no other node and stays inside the Axes; a label with no such place
    is hidden (the figure's data name every country drawn).
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_in_layout(False)
        self.set_zorder(3.5)  # after the nodes, before the labels it moves
        self.labels: list[tuple[Text, tuple[float, float], float, Line2D]] = []

    def add(self, text: Text, at: tuple[float, float], radius: float) -> None:
        """Place ``text`` beside the node at data ``at`` of ``radius`` points."""
        leader = Line2D([], [], color="0.35", linewidth=0.6, visible=False)
        self.labels.append((text, at, radius, leader))

    def draw(self, renderer: Any) -> None:
        """Move every label to its place and draw its line, if any (labels draw after)."""
        axes = self.axes
        if axes is None or not self.labels:
            return
        to_pixels = axes.transData.transform
        scale = renderer.points_to_pixels(1.0)
        frame = axes.bbox.extents
        to_data = axes.transData.inverted().transform
        nodes = [(*to_pixels(at), radius * scale) for _, at, radius, _ in self.labels]
        placed: list[tuple[float, float, float, float]] = []
        for i, (text, _, _, leader) in enumerate(self.labels):
            x, y, r = nodes[i]
            leader.set_visible(False)
            text.set_visible(True)
            text.set_horizontalalignment("left")
            text.set_verticalalignment("bottom")
            extent = text.get_window_extent(renderer)
            pad = 1.5 * scale  # the white outline around the letters
            width, height = extent.width + 2 * pad, extent.height + 2 * pad
            others = [n for j, n in enumerate(nodes) if j != i]
            for gap, (dx, dy) in ((g, d) for g in _GAPS for d in _DIRECTIONS):
                reach = r + gap * scale
                cx = x + dx * (reach + width / 2) if dx else x
                cy = y + dy * (reach + height / 2) if dy else y
                if dx and dy:  # a diagonal: the box's corner at the node's edge, 45° out
                    cx = x + dx * (reach * 0.71 + width / 2)
                    cy = y + dy * (reach * 0.71 + height / 2)
                box = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
                inside = (
                    box[0] >= frame[0]
                    and box[1] >= frame[1]
                    and box[2] <= frame[2]
                    and box[3] <= frame[3]
                )
                if (
                    inside
                    and not any(_overlaps(box, other) for other in placed)
                    and not any(_hits_circle(box, *node) for node in others)
                ):
                    placed.append(box)
                    corner = to_data((box[0] + pad, box[1] + pad))
                    text.set_position((float(corner[0]), float(corner[1])))
                    if gap > _LEADER:  # from the node's edge to the nearest point of the box
                        nx = min(max(x, box[0]), box[2])
                        ny = min(max(y, box[1]), box[3])
                        length = math.hypot(nx - x, ny - y) or 1.0
                        start = (x + (nx - x) * r / length, y + (ny - y) * r / length)
                        ends = to_data([start, (nx, ny)])
                        leader.set_data(ends[:, 0], ends[:, 1])
                        leader.set_transform(axes.transData)
                        leader.set_visible(True)
                        leader.draw(renderer)
                    break
            else:
                text.set_visible(False)


def connectivity_finding(nodes: pl.DataFrame, year: int) -> str:
    """Who has the most partner countries and who the most co-authored works, in words.

    The works are summed over partners; ``nodes`` is one year of ``network_nodes``.

    >>> nodes = pl.DataFrame({"unit": ["CN", "US", "GB"], "partners": [40, 45, 30],
    ...                       "strength": [200, 150, 90]})
    >>> import textwrap
    >>> print(textwrap.fill(connectivity_finding(nodes, 2024), 90))
    In 2024 the United States had the most co-authorship partners (45 countries) and China the
    most co-authored works summed over its partners (200)
    """
    if nodes.is_empty() or (nodes["partners"].max() or 0) == 0:
        return f"No country co-authored an AI work with another in {year}"
    by_partners = nodes.sort(["partners", "strength", "unit"], descending=[True, True, False])
    by_works = nodes.sort(["strength", "partners", "unit"], descending=[True, True, False])
    p, w = by_partners.row(0, named=True), by_works.row(0, named=True)
    if p["unit"] == w["unit"]:
        return (
            f"In {year} {the(p['unit'])} had the most co-authorship partners "
            f"({p['partners']} countries) and the most co-authored works summed over its "
            f"partners ({w['strength']:,})"
        )
    return (
        f"In {year} {the(p['unit'])} had the most co-authorship partners ({p['partners']} "
        f"countries) and {the(w['unit'])} the most co-authored works summed over its partners "
        f"({w['strength']:,})"
    )


def _without_large(data: Mapping[str, pl.DataFrame], edges: pl.DataFrame, year: int) -> str:
    """What "most connected" is without the works of more than 100 authors, as a clause.

    Empty when ``data`` has no table ``large_works`` or no such work in ``year``: each of those
    works links every pair of its countries, so a handful can make a country the most connected.
    """
    from biblio.metrics.derived import network_without_large

    large = optional_table(data, "large_works")
    if large is None or "year" not in large.columns:
        return ""
    large = large.filter(pl.col("year") == year)
    if large.is_empty():
        return ""
    threshold = int(large["authorship_threshold"][0]) if "authorship_threshold" in large else 100
    rest = network_without_large(edges, large)
    by_partners = rest.sort(
        ["partners_rest", "strength_rest", "unit"], descending=[True, True, False]
    )
    by_works = rest.sort(["strength_rest", "partners_rest", "unit"], descending=[True, True, False])
    p, w = by_partners.row(0, named=True), by_works.row(0, named=True)
    works = large["work_id"].n_unique()
    return (
        f". {works:,} work{'' if works == 1 else 's'} of more than {threshold} authors link "
        f"every pair of their countries; without {'it' if works == 1 else 'them'}, the most "
        "partners: "
        f"{the(p['unit'])} ({p['partners_rest']}), the most co-authored works: "
        f"{the(w['unit'])} ({w['strength_rest']:,})"
    )


def plot_network(
    data: Mapping[str, pl.DataFrame],
    *,
    year: int,
    units: Sequence[str] | None = None,
    counting: str | None = None,
    n: int = 20,
    min_works: int = 3,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
) -> Axes:
    """The co-authorship network of ``year`` among ``units``.

    ``units`` defaults to the ``n`` countries with the most AI works; a link needs at least
    ``min_works`` co-authored works (full counting).

    ``data`` holds ``network_nodes`` and ``network_edges``. Layout: igraph's Kamada–Kawai from a
    fixed circular start (no randomness: the same tables give the same picture). Node area ∝ AI
    works, line width ∝ co-authored works, colour = Leiden community of the whole network.
    """
    from biblio.network import build_graph

    counting = check_counting(counting, ("full",))
    source, synthetic = provenance(data, source, synthetic)
    year_nodes = year_rows(table(data, "network_nodes"), year, "network_nodes")
    edges = table(data, "network_edges").filter(pl.col("year") == year)
    if units is None:
        ranked = year_nodes.sort(["works_full", "unit"], descending=[True, False])
        units = ranked["unit"].head(n).to_list()
    kept = sorted(units)
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
    lengths = [1 / (1 + math.log1p(w)) for w in graph.es["weight"]] if graph.ecount() else None
    coords = graph.layout_kamada_kawai(
        seed=start, maxiter=50 * max(count, 1), weights=lengths
    ).coords
    position = {v["name"]: coords[v.index] for v in graph.vs}
    drawn_nodes = (
        year_nodes.filter(pl.col("unit").is_in(kept))
        .select("unit", "works_full", "partners", "strength", "community")
        .sort(["works_full", "unit"], descending=[True, False])
    )
    # Colours: communities ranked by the AI works of their drawn members.
    sizes = drawn_nodes.group_by("community").agg(
        pl.col("works_full").sum(), pl.col("unit").sort_by("works_full", descending=True)
    )
    sizes = sizes.sort(["works_full", "community"], descending=[True, False])
    colour = {
        c: OKABE_ITO[i] if i < _COLOURED else GREY
        for i, c in enumerate(sizes["community"].to_list())
    }
    drawn_edges = (
        edges.filter(
            pl.col("source").is_in(kept)
            & pl.col("partner").is_in(kept)
            & (pl.col("coauthored") >= min_works)
        ).sort(["coauthored", "source", "partner"])  # lightest first: the heaviest on top
    )
    ax = new_axes(ax, (9, 8))
    heaviest = max(drawn_edges["coauthored"].max() or 1, 1)
    for i, (s, p, w) in enumerate(
        drawn_edges.select("source", "partner", "coauthored").iter_rows()
    ):
        (x0, y0), (x1, y1) = position[s], position[p]
        share = w / heaviest
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="0.2",
            alpha=0.25 + 0.55 * share,
            linewidth=0.6 + 7 * share,
            solid_capstyle="round",
            zorder=1 + i / max(drawn_edges.height, 1),
        )
    largest = max(drawn_nodes["works_full"].max() or 1, 1)
    outline = [path_effects.withStroke(linewidth=2.5, foreground="white")]
    placer = _LabelPlacer()
    for row in drawn_nodes.iter_rows(named=True):  # largest first: they get the best places
        x, y = position[row["unit"]]
        area = 40 + 1800 * row["works_full"] / largest
        ax.scatter(
            [x],
            [y],
            s=area,
            color=colour.get(row["community"], GREY),
            zorder=3,
            edgecolors="white",
            linewidths=1.0,
        )
        text = ax.text(
            x,
            y,
            unit_name(row["unit"]),
            fontsize=TICK_SIZE,
            zorder=4,
            path_effects=outline,
            in_layout=False,
        )
        placer.add(text, (x, y), math.sqrt(area) / 2)
    ax.add_artist(placer)
    handles = []
    for i, row in enumerate(sizes.iter_rows(named=True)):
        if i >= _COLOURED:
            handles.append(
                Line2D([], [], marker="o", linestyle="", color=GREY, label="other communities")
            )
            break
        names = [unit_name(u) for u in row["unit"][:3]]
        more = f" and {len(row['unit']) - 3} more" if len(row["unit"]) > 3 else ""
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=8,
                color=colour[row["community"]],
                label=", ".join(names) + more,
            )
        )
    ax.legend(
        handles=handles,
        title="Leiden communities (whole network)",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=NOTE_SIZE,
        title_fontsize=NOTE_SIZE,
        frameon=False,
    )
    ax.set_axis_off()
    ax.margins(0.12)  # room for the labels of the outermost nodes
    ax.text(
        0.0,
        -0.02,
        wrap(
            "Node area ∝ AI works (full counting); line width ∝ co-authored works; colour = "
            "Leiden community (modularity, fixed seed) of the network of every country. A name "
            "that would cover another name or a node is left out; the data name every country.",
            ax.figure,
            NOTE_SIZE,
            0.7,
        ),
        transform=ax.transAxes,
        fontsize=NOTE_SIZE,
        va="top",
    )
    countries = year_nodes.height
    finding = (
        capital(connectivity_finding(year_nodes, year))
        + f", counted over all {countries} countries (full counting)"
        + _without_large(data, edges, year)
        + f". Drawn: the {len(kept)} countries with the most AI works and the "
        f"{drawn_edges.height} links of at least {min_works} co-authored works"
    )
    label = {u: unit_name(u) for u in kept}
    frame = pl.concat(
        [
            drawn_nodes.select(
                pl.lit("node").alias("kind"),
                "unit",
                pl.col("unit").replace_strict(label, return_dtype=pl.String).alias("name"),
                pl.lit(None, pl.String).alias("partner"),
                pl.lit(None, pl.String).alias("partner_name"),
                pl.lit(year, pl.Int64).alias("year"),
                "works_full",
                pl.lit(None, pl.Int64).alias("coauthored"),
                "partners",
                "strength",
                "community",
            ),
            drawn_edges.sort(
                ["coauthored", "source", "partner"], descending=[True, False, False]
            ).select(
                pl.lit("link").alias("kind"),
                pl.col("source").alias("unit"),
                pl.col("source").replace_strict(label, return_dtype=pl.String).alias("name"),
                "partner",
                pl.col("partner")
                .replace_strict(label, return_dtype=pl.String)
                .alias("partner_name"),
                pl.col("year").cast(pl.Int64),
                pl.lit(None, pl.Int64).alias("works_full"),
                "coauthored",
                pl.lit(None, pl.Int64).alias("partners"),
                pl.lit(None, pl.Int64).alias("strength"),
                pl.lit(None, pl.Int64).alias("community"),
            ),
        ]
    )
    top_links = drawn_edges.sort("coauthored", descending=True).head(5)
    alt = (
        f"Network of co-authorship among the {len(kept)} countries with the most AI works in "
        f"{year}, links of at least {min_works} co-authored works (full counting). "
        f"{capital(connectivity_finding(year_nodes, year))}. Heaviest links: "
        + "; ".join(
            f"{label[s]}–{label[p]} {w} works"
            for s, p, w in top_links.select("source", "partner", "coauthored").iter_rows()
        )
        + ". Communities: "
        + "; ".join(
            ", ".join(unit_name(u) for u in row["unit"][:4])
            for row in sizes.head(_COLOURED).iter_rows(named=True)
        )
        + "."
    )
    remember(ax, frame, alt)
    return finish(ax, finding, title, counting=counting, source=source, synthetic=synthetic)
