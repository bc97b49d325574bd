"""The published units and pairs are those of the published-figures data file."""

from __future__ import annotations

from biblio.metrics.flows import DEFAULT_UNION_PAIRS
from biblio.report.published import (
    INSTITUTION_UNITS,
    KEY_UNITS,
    PUBLISHED_FLOW_PAIRS,
    read_published_figures,
)


def _units(metric: str) -> set[str]:
    return {f.unit for f in read_published_figures() if f.metric == metric}


def test_flow_pairs_are_the_published_flows() -> None:
    published = {tuple(unit.split("→")) for unit in _units("flow_share")}
    union = {pair for pair in DEFAULT_UNION_PAIRS if pair in published}
    assert union and set(PUBLISHED_FLOW_PAIRS) == published - union
    assert len(set(PUBLISHED_FLOW_PAIRS)) == len(PUBLISHED_FLOW_PAIRS)


def test_key_units_are_the_published_units() -> None:
    assert set(KEY_UNITS) == _units("output") - {"world"}
    assert _units("citation_share") <= set(KEY_UNITS)
    assert _units("researchers") <= set(KEY_UNITS)
    assert set(INSTITUTION_UNITS) == _units("institutions_above")
    assert INSTITUTION_UNITS[: len(KEY_UNITS)] == KEY_UNITS
