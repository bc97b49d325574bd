"""``biblio.plot`` takes the pairs to show from its caller."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.axes import Axes

from biblio.plot import plot_asymmetry


def _asymmetry() -> pl.DataFrame:
    pairs = [("US", "CN", 2.0, 0.2), ("FR", "DE", 1.5, 0.5), ("GB", "CN", 3.0, 0.1)]
    return pl.DataFrame(
        {
            "source": [s for s, _, _, _ in pairs],
            "partner": [p for _, p, _, _ in pairs],
            "year": [2024] * len(pairs),
            "asymmetry": [a for _, _, a, _ in pairs],
            "salton": [c for _, _, _, c in pairs],
            "affinity": [1.0] * len(pairs),
        }
    )


def _shown(ax: Axes) -> list[str]:
    labels = [label.get_text() for label in ax.get_yticklabels()]
    plt.close("all")
    return labels


def test_asymmetry_shows_the_given_pairs_first_then_by_salton() -> None:
    data = _asymmetry()
    first = [("GB", "CN"), ("XX", "CN")]  # a pair the table lacks is skipped
    assert _shown(plot_asymmetry(data, year=2024, first=first)) == [
        "United Kingdom → China",
        "France → Germany",
        "United States → China",
    ]
    assert _shown(plot_asymmetry(data, year=2024)) == [
        "France → Germany",
        "United States → China",
        "United Kingdom → China",
    ]
    assert _shown(plot_asymmetry(data, year=2024, pairs=[("US", "CN")], first=first)) == [
        "United States → China"
    ]


# -- every figure: one shape, its data, its source and the synthetic mark ------------------------
def _tables() -> dict[str, pl.DataFrame]:
    from biblio.metrics.testing import tiny_corpus
    from biblio.tables import MetricOptions, corpus_tables

    return corpus_tables(tiny_corpus(), MetricOptions(units=["CN", "US"]))


PLOTS = (
    "plot_citation_shares",
    "plot_citation_trend",
    "plot_citation_impact",
    "plot_flows",
    "plot_asymmetry",
    "plot_network",
    "plot_institutions_above",
    "plot_researchers",
    "plot_coverage",
)


def test_every_plot_has_the_same_shape() -> None:
    import inspect

    from biblio import plot

    for name in PLOTS:
        params = inspect.signature(getattr(plot, name)).parameters
        assert next(iter(params)) == "data", name
        for keyword in ("year", "units", "counting", "ax"):
            assert params[keyword].kind is inspect.Parameter.KEYWORD_ONLY, (name, keyword)
        assert params["units"].default is None, name
        assert params["ax"].default is None, name


def test_every_plot_keeps_its_data_and_prints_its_source_and_the_synthetic_mark() -> None:
    from biblio import plot

    tables = _tables()
    for name in PLOTS:
        ax = getattr(plot, name)(tables, year=2024, source="dataset T, AI = X", synthetic=True)
        texts = [t.get_text() for t in ax.figure.texts]
        texts.append(ax.figure.get_supxlabel())
        assert any("SYNTHETIC DATA" in t for t in texts), name
        assert any("Source: dataset T, AI = X" in t and "counting" in t for t in texts), name
        drawn = plot.figure_data(ax)
        assert isinstance(drawn, pl.DataFrame), name
        assert drawn.width, name
        assert drawn.height or name == "plot_institutions_above", name  # none above 50 here
        assert plot.alt_text(ax), name
        assert plot.alt_text(ax) != plot.title_of(ax), name
        png = plot.png_bytes(ax.figure)
        width = int.from_bytes(png[16:20], "big")  # IHDR: pixels = inches × 200 dpi
        assert width == round(ax.figure.get_figwidth() * 200), name


def test_a_real_dataset_carries_no_synthetic_mark() -> None:
    from biblio import plot

    ax = plot.plot_citation_shares(_tables(), year=2024, source="dataset T")
    texts = [t.get_text() for t in ax.figure.texts] + [ax.figure.get_supxlabel()]
    assert not any("SYNTHETIC" in t for t in texts)
    plt.close("all")


def test_a_figure_defined_with_one_counting_refuses_the_other() -> None:
    import pytest

    from biblio import plot

    with pytest.raises(ValueError, match="full counting only"):
        plot.plot_flows(_tables(), year=2024, counting="fractional")
    ax = plot.plot_citation_shares(_tables(), year=2024, counting="full")
    assert "full counting" in plot.title_of(ax)
    assert set(plot.figure_data(ax)["counting"].to_list()) == {"full"}
    plt.close("all")


# -- the flow heatmap ----------------------------------------------------------------------------
def test_a_heatmap_cell_shows_zero_only_for_no_coauthored_work() -> None:
    from biblio.plot import plot_flows

    pairs = [("A", 0.142), ("B", 0.004), ("C", 0.0004), ("D", 0.0)]
    flows = pl.DataFrame(
        {
            "source": ["US"] * len(pairs),
            "partner": [p for p, _ in pairs],
            "year": [2024] * len(pairs),
            "coauthored": [142, 4, 1, 0],
            "source_works": [1000] * len(pairs),
            "flow_share": [s for _, s in pairs],
            "led_by_source": [0] * len(pairs),
        }
    ).with_columns(pl.col("partner").replace({"A": "CN", "B": "GB", "C": "DE", "D": "FR"}))
    ax = plot_flows(flows, year=2024, units=["US", "CN", "GB", "DE", "FR"])
    shown = [t.get_text() for t in ax.texts if t.get_text()]
    plt.close("all")
    assert shown == ["14", "0.4", "<0.1", "0"]  # row US: CN, GB, DE, FR


# -- asymmetry: points around 1, leadership shown -------------------------------------------------
def test_asymmetry_draws_points_around_a_reference_line_at_one_and_shows_leadership() -> None:
    from matplotlib.patches import Rectangle

    from biblio.plot import figure_data, plot_asymmetry, title_of

    data = _asymmetry().with_columns(
        pl.Series("led_by_source", [6, 2, 5]),
        pl.Series("led_by_partner", [3, 2, 1]),
        pl.Series("leadership_asymmetry", [2.0, 1.0, 5.0]),
    )
    ax = plot_asymmetry(data, year=2024)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert bars == []  # no bars on a log axis
    assert ax.get_xscale() == "log"
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("leadership asymmetry" in label for label in labels)
    assert any("affinity" in label for label in labels)
    assert "leadership_asymmetry" in figure_data(ax).columns
    assert "led" in title_of(ax)
    assert "France" in title_of(ax)
    plt.close("all")


def test_asymmetry_draws_salton_as_points_beside_the_value_the_sizes_would_give() -> None:
    from biblio.plot import alt_text, figure_data, plot_asymmetry

    data = _asymmetry().with_columns(pl.Series("affinity", [0.5, 2.0, 1.0]))
    ax = plot_asymmetry(data, year=2024)
    panels = [a for a in ax.figure.axes if a is not ax]
    assert len(panels) == 1
    panel = panels[0]
    assert panel.get_xscale() == "linear"
    assert panel.get_xlim()[0] == 0
    assert list(panel.patches) == []  # points, not bars
    drawn = {
        text.get_text(): [tuple(xy) for xy in collection.get_offsets()]
        for text, collection in zip(panel.get_legend().get_texts(), panel.collections, strict=True)
    }
    rows = figure_data(ax)  # in the order drawn: by Salton's cosine
    salton = rows["salton"].to_list()
    assert drawn["Salton's cosine"] == [(v, i) for i, v in enumerate(salton)]
    expected = [v / a for v, a in zip(salton, rows["affinity"].to_list(), strict=True)]
    assert rows["salton_expected"].to_list() == expected
    reference = [label for label in drawn if label != "Salton's cosine"]
    assert reference == ["the same expected from the two sizes alone"]
    assert drawn[reference[0]] == [(v, i) for i, v in enumerate(expected)]
    assert "Salton's cosine" in panel.get_xlabel()
    assert "expected" in alt_text(ax)
    plt.close("all")


def test_asymmetry_on_the_caller_s_axes_overlaps_nothing() -> None:
    from biblio.plot import plot_asymmetry

    data = _asymmetry().with_columns(
        pl.Series("led_by_source", [6, 2, 5]),
        pl.Series("led_by_partner", [3, 2, 1]),
        pl.Series("leadership_asymmetry", [2.0, 1.0, 5.0]),
    )
    fig, ax = plt.subplots(figsize=(10, 6), layout="constrained")
    assert plot_asymmetry(data, year=2024, ax=ax) is ax
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    [panel] = [a for a in fig.axes if a is not ax and a.collections]
    boxes = {
        "title": ax.title.get_window_extent(renderer),
        "x label": ax.xaxis.label.get_window_extent(renderer),
        "panel x label": panel.xaxis.label.get_window_extent(renderer),
        "panel": panel.get_window_extent(renderer),
        "axes": ax.get_window_extent(renderer),
    }
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    assert len(legends) == 1  # one legend for both panels
    boxes["legend"] = legends[0].get_window_extent(renderer)
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not boxes[a].overlaps(boxes[b]), (a, b)
    plt.close("all")


# -- the network: legible --------------------------------------------------------------------
def test_the_network_draws_the_top_countries_heavy_links_on_top_and_a_legend() -> None:
    from biblio.plot import figure_data, plot_network, title_of

    countries = ["CN", "US", "GB", "DE", "FR", "JP"]
    nodes = pl.DataFrame(
        {
            "unit": countries,
            "year": [2024] * 6,
            "works_full": [600, 450, 120, 100, 90, 60],
            "partners": [6, 5, 3, 3, 2, 2],
            "strength": [80, 90, 30, 25, 10, 5],
            "community": [0, 0, 1, 1, 1, 0],
        }
    )
    links = [("CN", "US", 50), ("DE", "GB", 12), ("CN", "GB", 2), ("FR", "US", 4), ("JP", "US", 1)]
    edges = pl.DataFrame(
        {
            "source": [s for s, _, _ in links],
            "partner": [p for _, p, _ in links],
            "year": [2024] * len(links),
            "coauthored": [w for _, _, w in links],
        }
    )
    ax = plot_network({"network_nodes": nodes, "network_edges": edges}, year=2024, n=5, min_works=3)
    drawn = figure_data(ax)
    assert drawn.filter(kind="node")["unit"].to_list() == countries[:5]
    assert drawn.filter(kind="link")["coauthored"].to_list() == [50, 12, 4]  # ≥ 3 works
    lines = sorted(ax.get_lines(), key=lambda line: line.get_zorder())
    assert lines[-1].get_linewidth() == max(line.get_linewidth() for line in lines)  # on top
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 2
    assert "China" in legend[0]
    title = title_of(ax)
    assert "China" in title
    assert "United States" in title
    assert "partners" in title
    assert "the 5 countries" in title
    assert "3 links of at least 3" in title
    plt.close("all")


# -- the citation trend: one window, nothing dropped silently ------------------------------------
def test_the_citation_trend_draws_one_window_and_names_the_years_it_leaves_out() -> None:
    from biblio.plot import figure_data, plot_citation_trend

    years = list(range(2015, 2021))
    trend = pl.DataFrame(
        {
            "unit": ["CN"] * len(years),
            "year": years,
            "cited_years": [1, 2, 3, 3, 3, 3],
            "citations_full": [5, 50, 100, 120, 140, 160],
            "citations_frac": [5.0, 50.0, 100.0, 120.0, 140.0, 160.0],
            "share_full": [0.5] * len(years),
            "share_frac": [0.5] * len(years),
        }
    )
    ax = plot_citation_trend(trend, units=["CN"])
    drawn = figure_data(ax)
    assert drawn.filter(pl.col("not_drawn").is_null())["year"].to_list() == [2017, 2018, 2019, 2020]
    assert drawn.filter(pl.col("not_drawn").is_not_null())["year"].to_list() == [2015, 2016]
    assert [int(x) for x in ax.get_lines()[0].get_xdata()] == [2017, 2018, 2019, 2020]
    notes = " ".join(t.get_text() for t in ax.texts)
    assert "Not drawn: 2015, 2016" in notes.replace("\n", " ")
    plt.close("all")


def _label_boxes(ax: Axes) -> list[tuple[str, object]]:
    """The node labels drawn on a network figure, with their boxes in pixels, once drawn."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    return [
        (t.get_text(), t.get_window_extent(renderer))
        for t in ax.texts
        if t.get_visible() and t.get_transform() == ax.transData
    ]


def _node_discs(ax: Axes) -> list[tuple[float, float, float]]:
    """Every node as (x, y, radius) in pixels."""
    discs = []
    for collection in ax.collections:
        ((x, y),) = ax.transData.transform(collection.get_offsets())
        radius = (collection.get_sizes()[0] ** 0.5) / 2 * ax.figure.dpi / 72
        discs.append((float(x), float(y), float(radius)))
    return discs


def _assert_legible(ax: Axes, drawn: pl.DataFrame) -> list[str]:
    """No two labels intersect, none covers a node other than its own; the labels shown."""
    boxes = _label_boxes(ax)
    for i, (name, box) in enumerate(boxes):
        for other, second in boxes[i + 1 :]:
            assert not box.overlaps(second), (name, other)  # type: ignore[attr-defined]
    names = drawn.filter(kind="node")["name"].to_list()
    for name, box in boxes:
        own = names.index(name)
        for j, (x, y, r) in enumerate(_node_discs(ax)):
            if j == own:
                continue
            dx = x - min(max(x, box.x0), box.x1)  # type: ignore[attr-defined]
            dy = y - min(max(y, box.y0), box.y1)  # type: ignore[attr-defined]
            assert dx * dx + dy * dy >= r * r, (name, names[j])
    return [name for name, _ in boxes]


def test_network_labels_do_not_overlap_on_the_demo(demo_cache: Path) -> None:
    import biblio
    from biblio.plot import figure_data, plot_network

    data = biblio.open_dataset("demo", cache=demo_cache)
    ax = plot_network(data, year=2024)
    drawn = figure_data(ax)
    shown = _assert_legible(ax, drawn)
    names = drawn.filter(kind="node")["name"].to_list()  # largest first
    assert len(names) == 20
    assert names[:10] == [n for n in names if n in shown][:10]  # the ten largest are named
    plt.close("all")


def test_network_labels_do_not_overlap_on_a_dense_year() -> None:
    import pycountry

    from biblio.names import unit_name
    from biblio.plot import figure_data, plot_network

    # 40 countries with long names, every pair linked: a dense, crowded year.
    codes = sorted(c.alpha_2 for c in pycountry.countries if len(unit_name(c.alpha_2)) > 12)[:40]
    nodes = pl.DataFrame(
        {
            "unit": codes,
            "year": [2024] * len(codes),
            "works_full": [1000 // (i + 1) + 5 for i in range(len(codes))],
            "partners": [len(codes) - 1] * len(codes),
            "strength": [100] * len(codes),
            "community": [i % 5 for i in range(len(codes))],
        }
    )
    pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]]
    edges = pl.DataFrame(
        {
            "source": [a for a, _ in pairs],
            "partner": [b for _, b in pairs],
            "year": [2024] * len(pairs),
            "coauthored": [3 + (i * 7) % 20 for i in range(len(pairs))],
        }
    )
    ax = plot_network({"network_nodes": nodes, "network_edges": edges}, year=2024, n=len(codes))
    drawn = figure_data(ax)
    shown = _assert_legible(ax, drawn)
    names = drawn.filter(kind="node")["name"].to_list()
    assert names[0] in shown  # the largest is always named
    assert len(shown) >= 10
    plt.close("all")
