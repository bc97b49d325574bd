"""The two worked examples of the contract (tests/data/contract-examples), table by table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.contract import EXAMPLES, compute, differences, nan_columns

TABLES = sorted(p.stem for p in (EXAMPLES / "micro" / "expected").glob("*.csv"))


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pl.DataFrame]]:
    cache = tmp_path_factory.mktemp("cache")
    return {corpus: compute(corpus, cache) for corpus in ("micro", "c400")}


@pytest.mark.parametrize("corpus", ["micro", "c400"])
@pytest.mark.parametrize("table", TABLES)
def test_table_matches_expected(
    computed: dict[str, dict[str, pl.DataFrame]], corpus: str, table: str
) -> None:
    expected: Path = EXAMPLES / corpus / "expected" / f"{table}.csv"
    assert differences(table, computed[corpus][table], expected) == []


@pytest.mark.parametrize("corpus", ["micro", "c400"])
def test_no_table_holds_nan(computed: dict[str, dict[str, pl.DataFrame]], corpus: str) -> None:
    """Undefined values are null, never NaN (CONTRACT.md, "Table formats")."""
    assert {name: nan_columns(frame) for name, frame in computed[corpus].items()} == {
        name: [] for name in computed[corpus]
    }
    assert nan_columns(pl.DataFrame({"x": [1.0, float("nan")], "y": ["a", "NaN"]})) == ["x", "y"]


def test_comparison_catches_a_wrong_value(computed: dict[str, dict[str, pl.DataFrame]]) -> None:
    """The comparison itself can fail: nudge one float past 1e-9 and drop one row."""
    output = computed["micro"]["output"]
    nudged = output.with_columns(
        pl.when(pl.col("unit") == "CN")
        .then(pl.col("works_frac") * (1 + 1e-7))
        .otherwise(pl.col("works_frac"))
    )
    expected = EXAMPLES / "micro" / "expected" / "output.csv"
    assert any("works_frac" in p for p in differences("output", nudged, expected))
    assert any("missing" in p for p in differences("output", output.slice(1), expected))
