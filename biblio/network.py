"""The country collaboration network (METRICS.md §5); the only module that imports igraph.

Per year, an undirected graph: vertices are the country units with works that year, edge weight
``C(u,v,Y)``. Node measures: ``partners`` (degree), ``strength`` (sum of weights), weighted
``eigenvector`` centrality scaled so the maximum is 1, weighted ``betweenness`` with distance
``1/weight``, weighted ``pagerank`` (damping 0.85) and Leiden ``community`` (modularity, seed
fixed, numbered by the order of each community's first unit). ``top_partner`` is the partner
with the most co-authored works (ties: alphabetically first) and ``intl_rate`` the share of the
unit's works with a country outside it.

Examples
--------
>>> from biblio.metrics.testing import tiny_corpus
>>> nodes, edges = network_tables(tiny_corpus(), units=["CN", "US"])
>>> edges.rows()
[('CN', 'US', 2024, 1)]
>>> nodes.select("unit", "partners", "strength", "top_partner", "intl_rate").rows()
[('CN', 1, 1, 'US', 1.0), ('US', 1, 1, 'CN', 0.5)]
"""

from __future__ import annotations

import random
import sys
import warnings
from collections.abc import Sequence

import polars as pl

from biblio.corpus import Corpus
from biblio.metrics._common import ratio
from biblio.metrics.flows import coauthored_pairs
from biblio.schema import OUTPUT_TABLES

if "matplotlib" in sys.modules:
    import igraph as ig
else:
    # igraph imports matplotlib.pyplot, when it finds it, for its own drawing, which biblio never
    # uses (biblio.plot draws with matplotlib itself): half a second of every metrics run. Hide
    # matplotlib while igraph loads (a None entry makes the import fail); import matplotlib
    # before this module to keep igraph's matplotlib drawing.
    sys.modules["matplotlib"] = None  # type: ignore[assignment]
    try:
        import igraph as ig
    finally:
        del sys.modules["matplotlib"]

__all__ = ["LEIDEN_SEED", "build_graph", "network_tables"]

LEIDEN_SEED = 42
NODE_COLUMNS = OUTPUT_TABLES["network_nodes"].names
EDGE_COLUMNS = OUTPUT_TABLES["network_edges"].names


def _country_sizes(corpus: Corpus) -> pl.LazyFrame:
    """``unit, year, works_full, international, intl_rate`` of every country with works.

    A work is international for a country when it names another country too (a country unit
    has no other member), i.e. when it names two countries or more.
    """
    rows = corpus.work_country.filter(pl.col("year").is_in(corpus.years))
    return (
        rows.select("year", "country", (pl.len().over("work") > 1).alias("international"))
        .group_by(pl.col("country").alias("unit"), "year")
        .agg(
            pl.len().cast(pl.Int64).alias("works_full"),
            pl.col("international").sum().alias("international"),
        )
        .with_columns(ratio(pl.col("international"), pl.col("works_full")).alias("intl_rate"))
    )


def build_graph(edges: pl.DataFrame, nodes: pl.DataFrame, year: int) -> ig.Graph:
    """The igraph Graph of one year from ``network_edges`` and ``network_nodes`` frames.

    Vertex attributes: ``name`` and every node column; edge attribute ``weight``.
    """
    year_nodes = nodes.filter(pl.col("year") == year).sort("unit")
    year_edges = edges.filter(pl.col("year") == year)
    graph = ig.Graph.DictList(
        vertices=year_nodes.rename({"unit": "name"}).to_dicts(),
        edges=[
            {"source": s, "target": t, "weight": float(w)}
            for s, t, w in year_edges.select("source", "partner", "coauthored").iter_rows()
        ],
        directed=False,
        vertex_name_attr="name",
    )
    return graph


def _measures(graph: ig.Graph) -> dict[str, list[float | int]]:
    try:
        return _seeded_measures(graph)
    finally:
        ig.set_random_number_generator(random)  # igraph's default generator again


def _seeded_measures(graph: ig.Graph) -> dict[str, list[float | int]]:
    n = graph.vcount()
    if graph.ecount() == 0:
        return {
            "eigenvector": [0.0] * n,
            "betweenness": [0.0] * n,
            "pagerank": [1.0 / n] * n if n else [],
            "community": list(range(n)),
        }
    # ARPACK (eigenvector) and Leiden draw from igraph's generator: seed it, so that the same
    # graph always gives the same numbers, to the last bit.
    ig.set_random_number_generator(random.Random(LEIDEN_SEED))
    weights = graph.es["weight"]
    graph.es["distance"] = [1.0 / w for w in weights]
    eigen = _eigenvector(graph)
    membership = graph.community_leiden(
        objective_function="modularity", weights="weight", n_iterations=-1
    ).membership
    # Renumber communities by the first vertex (in unit order) of each, for stable output.
    order: dict[int, int] = {}
    for label in membership:
        order.setdefault(label, len(order))
    return {
        "eigenvector": eigen,
        "betweenness": graph.betweenness(directed=False, weights="distance"),
        "pagerank": graph.pagerank(directed=False, damping=0.85, weights="weight"),
        "community": [order[label] for label in membership],
    }


def _eigenvector(graph: ig.Graph) -> list[float]:
    """Weighted eigenvector centrality scaled so that the maximum is 1, the same on every call.

    On a connected graph this is igraph's. On a disconnected one the leading eigenvector is not
    unique when two components share the largest eigenvalue, and ARPACK then returns one mix or
    another from call to call. So each component of two or more vertices is computed apart; the
    components whose leading eigenvalue is the graph's largest (to a relative 1e-9) keep their
    vector, scaled to a maximum of 1, and every other vertex gets 0, as the leading eigenvector
    of the whole graph gives it when that eigenvalue is unique.
    """
    values = [0.0] * graph.vcount()
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # igraph's warnings on tiny components
        for members in graph.connected_components():
            if len(members) < 2:
                continue
            vector, value = graph.induced_subgraph(members).eigenvector_centrality(
                scale=True, weights="weight", return_eigenvalue=True
            )
            found.append((members, vector, value))
    largest = max((value for _, _, value in found), default=0.0)
    for members, vector, value in found:
        if value >= largest * (1 - 1e-9):
            top = max(vector) or 1.0
            for vertex, e in zip(members, vector, strict=True):
                values[vertex] = abs(e / top)  # abs: no "-0.0"
    return values


def network_tables(
    corpus: Corpus, *, units: Sequence[str], coauthored: pl.LazyFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``network_nodes`` and ``network_edges`` of the country ``units``, every year.

    Each year's graph holds every country with an attributed work in the corpus, whatever
    ``units`` lists (METRICS.md §5): a country's partners, strength, top partner and
    centralities do not depend on which other units are asked for. ``units`` only chooses the
    rows written: the nodes of ``units`` and the edges between two of them.

    ``coauthored`` may pass the flows' :func:`biblio.metrics.flows.coauthored_pairs` frame when
    it holds every pair of the corpus's countries: the edges are then read from it instead of a
    second self-join of the works' countries.
    """
    nodes, edges = _whole_network(corpus, coauthored)
    wanted = list(units)
    return (
        nodes.filter(pl.col("unit").is_in(wanted)),
        edges.filter(pl.col("source").is_in(wanted) & pl.col("partner").is_in(wanted)),
    )


def _whole_network(
    corpus: Corpus, coauthored: pl.LazyFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    countries = corpus.countries()
    sizes_lf = _country_sizes(corpus)
    if coauthored is None:
        coauthored = coauthored_pairs(corpus, units=countries)
    edges_lf = coauthored.filter(
        (pl.col("source") < pl.col("partner"))
        & (pl.col("coauthored") > 0)
        & pl.col("source").is_in(countries)
        & pl.col("partner").is_in(countries)
    ).select("source", "partner", "year", "coauthored")
    edges, sizes = pl.collect_all([edges_lf.sort("year", "source", "partner"), sizes_lf])
    edges = edges.select(EDGE_COLUMNS)
    both_ways = pl.concat(
        [edges, edges.rename({"source": "partner", "partner": "source"}).select(EDGE_COLUMNS)]
    )
    per_node = both_ways.group_by(pl.col("source").alias("unit"), "year").agg(
        pl.len().cast(pl.Int64).alias("partners"),
        pl.col("coauthored").sum().alias("strength"),
        pl.col("partner")
        .sort_by(pl.col("coauthored"), pl.col("partner"), descending=[True, False])
        .first()
        .alias("top_partner"),
    )
    base = (
        sizes.filter(pl.col("works_full") > 0)
        .join(per_node, on=["unit", "year"], how="left")
        .with_columns(pl.col("partners").fill_null(0), pl.col("strength").fill_null(0))
        .sort("year", "unit")
    )
    frames = []
    for (year,), year_nodes in base.group_by("year", maintain_order=True):
        graph = build_graph(edges, year_nodes, int(year))
        frames.append(
            year_nodes.with_columns(
                pl.Series(name, values) for name, values in _measures(graph).items()
            )
        )
    nodes = (
        pl.concat(frames)
        if frames
        else base.with_columns(
            pl.lit(None, pl.Float64).alias(c) for c in ("eigenvector", "betweenness", "pagerank")
        ).with_columns(pl.lit(None, pl.Int64).alias("community"))
    )
    nodes = nodes.with_columns(pl.col("community").cast(pl.Int64)).select(NODE_COLUMNS)
    return nodes, edges
