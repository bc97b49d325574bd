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
    assert union
    assert set(PUBLISHED_FLOW_PAIRS) == published - union
    assert len(set(PUBLISHED_FLOW_PAIRS)) == len(PUBLISHED_FLOW_PAIRS)


def test_key_units_are_the_published_units() -> None:
    assert set(KEY_UNITS) == _units("output") - {"world"}
    assert _units("citation_share") <= set(KEY_UNITS)
    assert _units("researchers") <= set(KEY_UNITS)
    assert set(INSTITUTION_UNITS) == _units("institutions_above")
    assert INSTITUTION_UNITS[: len(KEY_UNITS)] == KEY_UNITS


def test_comparisons_are_as_published() -> None:
    """≈, > or < only where PUBLISHED_FIGURES.md gives one; a bare number is exact (=)."""
    import re

    from tests.paths import PUBLISHED_FIGURES

    metric = {
        "AI publications (output)": "output",
        "share of global AI citations": "citation_share",
        "share of unit's AI works with a co-author in partner": "flow_share",
        "institutions with more than 50 AI works": "institutions_above",
        "active AI researchers": "researchers",
        "most connected country in AI co-authorship": "most_connected_rank",
    }
    expected: dict[tuple[str, str, int], str] = {}
    for line in PUBLISHED_FIGURES.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] not in metric:
            continue
        name, year, unit, value, note = cells
        unit = unit.replace(" ", "")
        sign = value[0] if value[:1] in ("≈", ">", "<") else "="
        expected[(metric[name], unit, int(year))] = sign
        earlier = re.fullmatch(r"([<>≈]?)\s*[\d,]+ in (\d{4})", note)
        if earlier:
            expected[(metric[name], unit, int(earlier[2]))] = earlier[1] or "="
    ours = {(f.metric, f.unit, f.year): f.comparison for f in read_published_figures()}
    assert ours == expected
