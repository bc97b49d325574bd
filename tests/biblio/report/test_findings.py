"""Findings that rest on a few consortium papers say so; rankings cut in a tie say so."""

from __future__ import annotations

import polars as pl

from biblio.report.findings import connectivity, top_partners
from biblio.report.headlines import headline_sentences
from biblio.report.main_tables import MAX_TIED_EXTRA, with_ties


def _large(works: dict[str, list[str]]) -> pl.DataFrame:
    rows = [(w, c) for w, countries in works.items() for c in countries]
    return pl.DataFrame(
        {
            "work_id": [w for w, _ in rows],
            "year": [2024] * len(rows),
            "authorship_threshold": [100] * len(rows),
            "work_authorships": [300] * len(rows),
            "country": [c for _, c in rows],
        }
    )


def _flows() -> pl.DataFrame:
    pairs = [("US", "GB", 6), ("US", "CN", 5), ("GB", "US", 6), ("CN", "US", 5)]
    return pl.DataFrame(
        {
            "source": [s for s, _, _ in pairs],
            "partner": [p for _, p, _ in pairs],
            "year": [2024] * len(pairs),
            "coauthored": [c for _, _, c in pairs],
            "source_works": [100, 100, 40, 200],
            "flow_share": [c / w for (_, _, c), w in zip(pairs, [100, 100, 40, 200], strict=True)],
            "led_by_source": [0] * len(pairs),
        }
    )


def test_a_top_partner_that_rests_on_consortium_papers_says_what_it_is_without_them() -> None:
    large = _large({"W1": ["US", "GB", "FR"], "W2": ["US", "GB"]})
    tables = {"flows": _flows(), "large_works": large}
    us = top_partners(tables, 2024, ["US"])[0]
    assert (us.partner, us.coauthored, us.large) == ("GB", 6, 2)
    assert (us.partner_rest, us.coauthored_rest) == ("CN", 5)
    text = next(s for s in headline_sentences(tables, 2024) if s.startswith("Top co-author"))
    assert "of the United States, the United Kingdom (6 works)" in text
    assert "2 of them of more than 100 authors; without those, China (5 works)" in text


def test_the_most_connected_country_without_consortium_papers() -> None:
    links = [("CN", "US", 10), ("DE", "FR", 3), ("DE", "US", 4), ("DE", "GB", 4), ("FR", "GB", 3)]
    edges = pl.DataFrame(
        {
            "source": [s for s, _, _ in links],
            "partner": [p for _, p, _ in links],
            "year": [2024] * len(links),
            "coauthored": [w for _, _, w in links],
        }
    )
    strength = {"CN": 10, "US": 14, "DE": 11, "FR": 6, "GB": 7}
    partners = {"CN": 1, "US": 2, "DE": 3, "FR": 2, "GB": 2}
    nodes = pl.DataFrame(
        {
            "unit": list(strength),
            "year": [2024] * 5,
            "partners": [partners[u] for u in strength],
            "strength": list(strength.values()),
        }
    )
    # Three consortium papers with DE, FR, GB and US: without them DE has one partner left.
    large = _large({f"W{i}": ["DE", "FR", "GB", "US"] for i in range(3)})
    found = connectivity(
        {"network_nodes": nodes, "network_edges": edges, "large_works": large}, 2024
    )
    assert found is not None
    assert (found.by_partners, found.partners, found.by_works, found.strength) == (
        "DE",
        3,
        "US",
        14,
    )
    assert found.large == 3
    assert (found.by_partners_rest, found.partners_rest) == ("US", 2)
    assert (found.by_works_rest, found.strength_rest) == ("US", 11)


def test_a_ranking_cut_in_a_tie_shows_or_counts_the_tied_rows() -> None:
    few = pl.DataFrame({"id": list("abcde"), "works": [9, 8, 5, 5, 5]})
    shown, note = with_ties(few, "works", 3)
    assert shown["id"].to_list() == list("abcde")
    assert note == "Rows 3–5 are tied at 5; all are shown."
    many = pl.DataFrame({"id": [str(i) for i in range(30)], "works": [9, 8] + [5] * 28})
    shown, note = with_ties(many, "works", 3)
    assert shown.height == 3
    assert note == "Rows 3–30 are tied at 5; rows 4–30 (27 more rows) are not shown."
    assert MAX_TIED_EXTRA < 27
    none = pl.DataFrame({"id": list("abcd"), "works": [9, 8, 5, 4]})
    shown, note = with_ties(none, "works", 3)
    assert shown["id"].to_list() == list("abc")
    assert note == ""
