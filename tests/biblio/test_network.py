"""The collaboration network: built over every country of the year, the same on every call."""

from __future__ import annotations

from pathlib import Path

import igraph as ig
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from biblio.io import open_dataset
from biblio.network import _eigenvector
from biblio.tables import MetricOptions, compute_tables
from tests.contract import build_dataset


@pytest.fixture(scope="module")
def c400(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset("c400", tmp_path_factory.mktemp("network"))


def test_a_countrys_row_does_not_depend_on_the_units_asked_for(c400: Path) -> None:
    """METRICS.md §5: the graph holds every country; --units only chooses the rows written."""
    dataset = open_dataset(c400)
    asked = ["CN", "US", "GB", "IN", "JP", "EU27"]
    every = compute_tables(dataset, MetricOptions())
    few = compute_tables(dataset, MetricOptions(units=asked))
    countries = [u for u in asked if u != "EU27"]
    expected = every["network_nodes"].filter(pl.col("unit").is_in(countries))
    assert set(few["network_nodes"]["unit"]) == set(countries)
    assert_frame_equal(few["network_nodes"], expected)
    edges = every["network_edges"].filter(
        pl.col("source").is_in(countries) & pl.col("partner").is_in(countries)
    )
    assert_frame_equal(few["network_edges"], edges)
    # The graph was not cut to the few: some country has partners outside them.
    outside = every["network_nodes"].filter(pl.col("unit").is_in(countries))["partners"]
    inside = few["network_edges"].height
    assert int(outside.sum()) > 2 * inside


def test_the_same_tables_on_every_call_in_one_process(c400: Path) -> None:
    """Two components with the same leading eigenvalue (c400, 2019) once gave another
    eigenvector on a later call: the leading eigenvector of the whole graph is not unique."""
    dataset = open_dataset(c400)
    runs = [compute_tables(dataset, MetricOptions(years=(2019, 2019))) for _ in range(4)]
    for run in runs[1:]:
        assert_frame_equal(run["network_nodes"], runs[0]["network_nodes"])


def test_eigenvector_of_two_equal_components_and_an_isolated_vertex() -> None:
    graph = ig.Graph(edges=[(0, 1), (2, 3)], n=5)
    graph.es["weight"] = [2.0, 2.0]
    assert _eigenvector(graph) == [1.0, 1.0, 1.0, 1.0, 0.0]
    graph.es["weight"] = [2.0, 1.0]  # the heavier component alone leads
    assert _eigenvector(graph) == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_eigenvector_of_a_connected_graph_is_igraphs() -> None:
    graph = ig.Graph(edges=[(0, 1), (1, 2), (2, 0), (2, 3)])
    graph.es["weight"] = [1.0, 2.0, 3.0, 1.0]
    ours = _eigenvector(graph)
    theirs = graph.eigenvector_centrality(scale=True, weights="weight")
    assert ours == pytest.approx([e / max(theirs) for e in theirs], rel=1e-12)


def test_edges_read_from_the_flows_equal_the_networks_own(c400: Path) -> None:
    """The default run reads the network's edges from the flows' co-authorship frame."""
    from biblio.corpus import prepare
    from biblio.metrics.flows import coauthorship, default_pairs
    from biblio.network import network_tables
    from biblio.tables import default_units

    dataset = open_dataset(c400)
    corpus = prepare(dataset.works, dataset.authorships, dataset.institutions).materialise()
    countries = corpus.countries()
    units = default_units(countries)
    coauthored = coauthorship(corpus, pairs=default_pairs(units, corpus)).collect().lazy()
    own = network_tables(corpus, units=countries)
    reused = network_tables(corpus, units=countries, coauthored=coauthored)
    assert own[1].height > 0
    assert_frame_equal(reused[0], own[0])
    assert_frame_equal(reused[1], own[1])
