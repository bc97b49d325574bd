"""Each definition of METRICS.md on a corpus small enough to work out in the comment above it."""

from __future__ import annotations

import math

import polars as pl
import pytest

from biblio.errors import UsageError
from biblio.metrics.citations import citation_shares
from biblio.metrics.coverage import coverage
from biblio.metrics.flows import asymmetry, default_pairs, flows, pair_grid
from biblio.metrics.institutions import institution_output, institutions_above, roots
from biblio.metrics.output import output
from biblio.metrics.researchers import researchers
from biblio.network import network_tables
from tests.biblio.metrics.corpora import author, corpus, institution, work


def rows(frame: pl.LazyFrame | pl.DataFrame, *columns: str) -> list[tuple[object, ...]]:
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    return data.select(columns).rows()


# W1 (2024): a CN author, an author in both HK and GB, an author with no country.
#   n_w = 2 authorships with a country → CN 1/2, HK 1/4, GB 1/4.
# W2 (2024): a TW author alone. W3 (2024): no authorship at all (unattributed).
MIXED = corpus(
    [work("W1", 2024, cites=8), work("W2", 2024, cites=2), work("W3", 2024, cites=5)],
    [
        author("W1", 0, ["CN"], author_id="A1"),
        author("W1", 1, ["HK", "GB"], author_id="A2"),
        author("W1", 2, [], author_id="A3"),
        author("W2", 0, ["TW"], author_id="A4"),
    ],
)


def test_fractional_counts_split_authorships_then_countries() -> None:
    table = output(MIXED, units=["CN", "HK", "TW", "GB"])
    # N = 2 attributed works (W3 has no country).
    assert rows(table, "unit", "works_full", "works_frac", "share_full", "share_frac") == [
        ("CN", 1, 0.5, 0.5, 0.25),
        ("GB", 1, 0.25, 0.5, 0.125),
        ("HK", 1, 0.25, 0.5, 0.125),
        ("TW", 1, 1.0, 0.5, 0.5),
    ]


def test_hong_kong_taiwan_and_macao_are_not_china() -> None:
    table = output(MIXED, units=["CN", "ASIA"])
    # ASIA holds CN, HK and TW: both attributed works; CN alone only W1.
    assert rows(table, "unit", "works_full", "works_frac") == [("ASIA", 2, 1.75), ("CN", 1, 0.5)]


def test_repeated_country_in_one_authorship_counts_once() -> None:
    twice = corpus([work("W1", 2024)], [author("W1", 0, ["US", "US"]), author("W1", 1, ["FR"])])
    assert rows(output(twice, units=["US", "FR"]), "unit", "works_frac") == [
        ("FR", 0.5),
        ("US", 0.5),
    ]


def test_eu_membership_follows_the_year() -> None:
    # A GB–FR work in 2019 (GB still in the EU) and in 2020 (GB out); a HR work in 2012 and 2013.
    c = corpus(
        [work("W19", 2019), work("W20", 2020), work("H12", 2012), work("H13", 2013)],
        [
            author("W19", 0, ["GB"]),
            author("W19", 1, ["FR"]),
            author("W20", 0, ["GB"]),
            author("W20", 1, ["FR"]),
            author("H12", 0, ["HR"]),
            author("H13", 0, ["HR"]),
        ],
    )
    table = output(c, units=["EU", "EU27"]).collect()
    eu = dict(table.filter(unit="EU").select("year", "works_frac").iter_rows())
    eu27 = dict(table.filter(unit="EU27").select("year", "works_frac").iter_rows())
    assert eu == {2012: 0.0, 2013: 1.0, 2019: 1.0, 2020: 0.5}
    assert eu27 == {2012: 1.0, 2013: 1.0, 2019: 0.5, 2020: 0.5}
    # EU and GB overlap from 1973 to 2019, so of these years the pair exists only in 2020.
    pairs = default_pairs(["EU", "GB"], c).collect()
    assert pairs.filter(source="EU")["year"].to_list() == [2020]


def test_citation_windows() -> None:
    # W1 (2023, CN+US halves): 3 citations made in 2023, 7 in 2024; 20 to date.
    # W2 (2024, US): 4 citations made in 2024; 5 to date. W3 (2024, no country): 9 → ignored.
    c = corpus(
        [
            work("W1", 2023, cites=20, received={2023: 3, 2024: 7}),
            work("W2", 2024, cites=5, received={2024: 4}),
            work("W3", 2024, cites=9, received={2024: 9}),
        ],
        [author("W1", 0, ["CN"]), author("W1", 1, ["US"]), author("W2", 0, ["US"])],
    )
    table = citation_shares(c, units=["CN", "US"]).collect()
    received = table.filter(window="received", year=2024)
    # Received in 2024: total 7 + 4 = 11; CN 7 full, 3.5 fractional; US 11 full, 7.5 frac.
    assert rows(received, "unit", "citations_full", "citations_frac") == [
        ("CN", 7, 3.5),
        ("US", 11, 7.5),
    ]
    assert received["share_frac"].sum() == pytest.approx(1.0)
    # Published 2024: only W2 (5 citations), all US.
    published = table.filter(window="published", year=2024)
    assert rows(published, "unit", "citations_full", "share_full") == [
        ("CN", 0, 0.0),
        ("US", 5, 1.0),
    ]


def test_zero_denominators_are_null() -> None:
    c = corpus([work("W1", 2024)], [author("W1", 0, ["CN"])])
    table = citation_shares(c, units=["CN"]).collect()
    assert table["share_full"].to_list() == [None, None]
    assert table["citations_full"].to_list() == [0, 0]


# L1: two corresponding flags → lead = lowest index with a country (index 1, DE).
# L2: one flag on an authorship with no country → lowest index with a country (US).
# L3: one flag with a country (CN) → CN leads although US is first.
# L4: the lead authorship lists both CN and US → counts for both.
LEADS = corpus(
    [work(w, 2024) for w in ("L1", "L2", "L3", "L4")],
    [
        author("L1", 0, [], corresponding=True),
        author("L1", 1, ["DE"], corresponding=True),
        author("L1", 2, ["US"], corresponding=True),
        author("L2", 0, [], corresponding=True),
        author("L2", 1, ["US"]),
        author("L2", 2, ["CN"]),
        author("L3", 0, ["US"]),
        author("L3", 1, ["CN"], corresponding=True),
        author("L4", 0, ["CN", "US"]),
        author("L4", 1, ["DE"]),
    ],
)


def test_lead_authorship_rules() -> None:
    pairs = pair_grid([("US", "CN"), ("CN", "US"), ("US", "DE"), ("DE", "US")], LEADS)
    table = flows(LEADS, pairs=pairs)
    assert rows(table, "source", "partner", "coauthored", "led_by_source") == [
        ("CN", "US", 3, 2),  # L3, L4
        ("DE", "US", 2, 1),  # L1 and L4; DE leads L1
        ("US", "CN", 3, 2),  # L2, L4
        ("US", "DE", 2, 1),  # US leads L4
    ]


def test_flow_to_a_union_and_asymmetry_measures() -> None:
    # CN works: L2, L3, L4 (3). US: all four. DE: L1, L4. N = 4.
    pairs = pair_grid([("CN", "US+DE"), ("US+DE", "CN")], LEADS)
    f = flows(LEADS, pairs=pairs)
    assert rows(f, "source", "partner", "coauthored", "source_works", "flow_share") == [
        ("CN", "US+DE", 3, 3, 1.0),
        ("US+DE", "CN", 3, 4, 0.75),
    ]
    a = asymmetry(LEADS, pairs=pairs).collect().row(0, named=True)
    assert a["asymmetry"] == pytest.approx(1.0 / 0.75)
    assert a["salton"] == pytest.approx(3 / math.sqrt(12))
    assert a["affinity"] == pytest.approx(3 * 4 / 12)


def test_overlapping_pair_is_an_error() -> None:
    with pytest.raises(UsageError, match="overlap"):
        pair_grid([("EU27", "DE")], LEADS)


def test_asymmetry_is_null_without_coauthorship() -> None:
    c = corpus(
        [work("W1", 2024), work("W2", 2024)], [author("W1", 0, ["CN"]), author("W2", 0, ["US"])]
    )
    row = asymmetry(c, pairs=pair_grid([("CN", "US")], c)).collect().row(0, named=True)
    assert row["asymmetry"] is None and row["salton"] == 0.0 and row["leadership_asymmetry"] is None


# Lineage is not in hierarchy order: I3's lineage lists itself, its grandparent I1 and parent I2.
# I9 (no record) rolls up to itself; I5 has a record without a country.
INSTITUTIONS = [
    institution("I1", "US", ["I1"]),
    institution("I2", "US", ["I2", "I1"]),
    institution("I3", "GB", ["I3", "I1", "I2"]),
    institution("I5", None, ["I5"]),
]


def test_roll_up_takes_the_shortest_lineage_present() -> None:
    found = roots(pl.LazyFrame(INSTITUTIONS)).sort("institution_id").collect()
    assert found.rows() == [("I1", "I1"), ("I2", "I1"), ("I3", "I1"), ("I5", "I5")]


def test_institution_counts_with_and_without_roll_up() -> None:
    # W1 lists I3 twice and I2; W2 lists I9 and I5; W3 lists I1.
    c = corpus(
        [work("W1", 2024), work("W2", 2024), work("W3", 2024)],
        [
            author("W1", 0, ["GB"], institutions=["I3", "I3"]),
            author("W1", 1, ["US"], institutions=["I2"]),
            author("W2", 0, [], institutions=["I9", "I5"]),
            author("W3", 0, ["US"], institutions=["I1"]),
        ],
        INSTITUTIONS,
    )
    assert rows(institution_output(c), "institution_id", "country_code", "works") == [
        ("I1", "US", 2),
        ("I5", None, 1),
        ("I9", None, 1),
    ]
    flat = institution_output(c, rollup=False)
    assert rows(flat, "institution_id", "works") == [
        ("I1", 1),
        ("I2", 1),
        ("I3", 1),
        ("I5", 1),
        ("I9", 1),
    ]
    above = institutions_above(c, units=["US", "GB"], threshold=1)
    assert rows(above, "unit", "institutions_above", "institutions_total") == [
        ("GB", 0, 0),
        ("US", 1, 1),
        ("unknown", 0, 2),
    ]
    unrolled = institutions_above(c, units=["US", "GB"], threshold=0, rollup=False)
    assert rows(unrolled, "unit", "institutions_above") == [("GB", 1), ("US", 2), ("unknown", 2)]


def test_active_researchers_latest_work_and_window() -> None:
    # A1: 2023 in FR, then 2024-03 in DE and 2024-03 in US (same date → DE and US, ½ each).
    # A2: 2024 in CN, but a later 2024 work with no country → not counted in 2024.
    # A3: only 2023 in FR → active in 2024 only with a two-year window.
    c = corpus(
        [
            work("W1", 2023, date="2023-05-01"),
            work("W2", 2024, date="2024-03-01"),
            work("W3", 2024, date="2024-03-01"),
            work("W4", 2024, date="2024-01-01"),
            work("W5", 2024, date="2024-09-01"),
        ],
        [
            author("W1", 0, ["FR"], author_id="A1"),
            author("W1", 1, ["FR"], author_id="A3"),
            author("W2", 0, ["DE"], author_id="A1"),
            author("W3", 0, ["US"], author_id="A1"),
            author("W4", 0, ["CN"], author_id="A2"),
            author("W5", 0, [], author_id="A2"),
            author("W5", 1, ["CN"], author_id=None),
        ],
    )
    one = researchers(c, units=["DE", "US", "CN", "FR", "EU27"]).collect().filter(year=2024)
    assert rows(one, "unit", "researchers_full", "researchers_frac") == [
        ("CN", 0, 0.0),
        ("DE", 1, 0.5),
        ("EU27", 1, 0.5),
        ("FR", 0, 0.0),
        ("US", 1, 0.5),
    ]
    two = researchers(c, units=["FR"], window_years=2).collect().filter(year=2024)
    assert two["researchers_full"].to_list() == [1]  # A3, through the 2023 work
    strict = researchers(c, units=["DE"], min_works=2, window_years=2).collect().filter(year=2024)
    assert strict["researchers_full"].to_list() == [1]  # A1 has three works; A3 only one


def test_coverage_counts() -> None:
    c = corpus(
        [work("W1", 2024), work("W2", 2024), work("W3", 2024, paratext=True)],
        [
            author("W1", 0, ["US"], author_id="A1", institutions=["I1", "I7"]),
            author("W1", 1, [], author_id="A1", institutions=["I5"]),
            author("W2", 0, [], author_id=None),
            author("W3", 0, ["US"], author_id="A9"),
        ],
        [institution("I1", "US"), institution("I5", None)],
    )
    assert coverage(c).collect().row(0) == (2024, 2, 1, 1, 3, 1, 1, 2)


# CN–US 2 works, CN–GB 1, US–GB 1, GB–FR 1.
TRIANGLE = corpus(
    [work(f"W{i}", 2024) for i in range(5)],
    [
        author("W0", 0, ["CN"]),
        author("W0", 1, ["US"]),
        author("W1", 0, ["CN"]),
        author("W1", 1, ["US"]),
        author("W2", 0, ["CN"]),
        author("W2", 1, ["GB"]),
        author("W3", 0, ["US", "GB"]),
        author("W4", 0, ["GB"]),
        author("W4", 1, ["FR"]),
    ],
)


def test_network_measures_on_a_triangle_with_a_tail() -> None:
    c = TRIANGLE
    nodes, edges = network_tables(c, units=["CN", "US", "GB", "FR"])
    assert rows(edges, "source", "partner", "coauthored") == [
        ("CN", "GB", 1),
        ("CN", "US", 2),
        ("FR", "GB", 1),
        ("GB", "US", 1),
    ]
    by_unit = {r["unit"]: r for r in nodes.iter_rows(named=True)}
    assert by_unit["GB"]["partners"] == 3 and by_unit["GB"]["strength"] == 3
    assert by_unit["CN"]["top_partner"] == "US" and by_unit["FR"]["top_partner"] == "GB"
    assert max(nodes["eigenvector"]) == pytest.approx(1.0)
    assert sum(nodes["pagerank"]) == pytest.approx(1.0)
    # GB is the only bridge to FR: every FR shortest path crosses it.
    assert by_unit["GB"]["betweenness"] >= 2 and by_unit["FR"]["betweenness"] == 0
    assert by_unit["US"]["intl_rate"] == 1.0


def test_the_graph_holds_every_country_whatever_the_units() -> None:
    # Asked for CN and FR only, the graph still holds US and GB: CN has two partners (US, GB)
    # and strength 3, FR's top partner is GB; no edge joins the two listed units.
    nodes, edges = network_tables(TRIANGLE, units=["CN", "FR"])
    assert rows(nodes, "unit", "partners", "strength", "top_partner") == [
        ("CN", 2, 3, "US"),
        ("FR", 1, 1, "GB"),
    ]
    assert edges.height == 0
    every, _ = network_tables(TRIANGLE, units=["CN", "US", "GB", "FR"])
    assert nodes.equals(every.filter(pl.col("unit").is_in(["CN", "FR"])))
