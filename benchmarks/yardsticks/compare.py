"""Put biblio's tables and the yardsticks' figures side by side, for country units.

:func:`from_biblio` reduces biblio's tables (a ``compute_tables`` dict, or the parquet files
``biblio metrics`` writes) to the yardstick subset; :func:`compare` joins two such subsets on
their keys and reports, per value column, the largest absolute difference, how many rows differ
and a few examples. A row present on one side only counts as zeros on the other (biblio lists
zero rows, the yardsticks do not), but a value that is null on one side and not on the other is
counted separately as a null mismatch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

__all__ = ["KEYS", "Difference", "compare", "from_biblio", "is_country", "read_tables"]

#: Key columns and value columns of each yardstick figure.
KEYS: dict[str, tuple[list[str], list[str]]] = {
    "output": (["unit", "year"], ["works_full", "works_frac"]),
    "citation_shares": (
        ["unit", "year", "window"],
        ["citations_full", "citations_frac", "share_full", "share_frac"],
    ),
    "coauthorship": (["source", "partner", "year"], ["coauthored"]),
    "institutions_above": (
        ["unit", "year", "threshold"],
        ["institutions_above", "institutions_total"],
    ),
    "researchers": (["unit", "year"], ["researchers_full", "researchers_frac"]),
}

#: Unit names that are groups, not countries (plus any ``A+B`` union).
GROUPS = {"EU", "EU27", "AFRICA", "AMERICAS", "ASIA", "EUROPE", "OCEANIA", "world"}


def is_country(column: str) -> pl.Expr:
    """True where ``column`` names a single country (or ``unknown``), not a group."""
    col = pl.col(column)
    return ~col.is_in(sorted(GROUPS)) & ~col.str.contains("+", literal=True)


def read_tables(folder: Path, suffix: str = ".parquet") -> dict[str, pl.DataFrame]:
    """The tables in ``folder`` (``<name>.parquet`` or ``<name>.csv``) by name."""
    tables: dict[str, pl.DataFrame] = {}
    for path in sorted(folder.glob(f"*{suffix}")):
        tables[path.stem] = (
            pl.read_parquet(path)
            if suffix == ".parquet"
            else pl.read_csv(path, infer_schema_length=None)
        )
    return tables


def from_biblio(tables: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """biblio's tables (METRICS.md columns) reduced to the yardstick subset, countries only."""
    out: dict[str, pl.DataFrame] = {}
    if "output" in tables:
        out["output"] = tables["output"].filter(is_country("unit"))
    if "citation_shares" in tables:
        out["citation_shares"] = tables["citation_shares"].filter(is_country("unit"))
    if "flows" in tables:
        out["coauthorship"] = tables["flows"].filter(
            is_country("source") & is_country("partner") & (pl.col("source") < pl.col("partner"))
        )
    if "institutions_above" in tables:
        out["institutions_above"] = tables["institutions_above"].filter(is_country("unit"))
    if "researchers" in tables:
        frame = tables["researchers"]
        if "min_works" in frame.columns:
            frame = frame.filter((pl.col("min_works") == 1) & (pl.col("window_years") == 1))
        out["researchers"] = frame.filter(is_country("unit"))
    return out


@dataclass
class Difference:
    """How two implementations differ on one value column of one figure."""

    figure: str
    column: str
    rows: int  # rows compared (union of keys)
    max_abs: float
    differing: int  # rows whose values differ beyond the tolerance
    null_mismatch: int  # rows where exactly one side is null
    examples: list[dict[str, object]] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return self.differing == 0 and self.null_mismatch == 0


def _select(frame: pl.DataFrame, keys: list[str], values: list[str]) -> pl.DataFrame:
    cast = [
        pl.col(k).cast(pl.Int64) if k in ("year", "threshold") else pl.col(k).cast(pl.String)
        for k in keys
    ]
    return frame.select(*cast, *[pl.col(v).cast(pl.Float64) for v in values])


def compare(
    left: Mapping[str, pl.DataFrame],
    right: Mapping[str, pl.DataFrame],
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-9,
    years: tuple[int, int] | None = None,
) -> list[Difference]:
    """Compare every figure present in both ``left`` and ``right``, column by column."""
    found: list[Difference] = []
    for figure, (keys, values) in KEYS.items():
        if figure not in left or figure not in right:
            continue
        a = _select(left[figure], keys, values)
        b = _select(right[figure], keys, values)
        if years is not None:
            a = a.filter(pl.col("year").is_between(*years))
            b = b.filter(pl.col("year").is_between(*years))
        joined = a.with_columns(pl.lit(True).alias("_l")).join(
            b.with_columns(pl.lit(True).alias("_r")),
            on=keys,
            how="full",
            coalesce=True,
            suffix="_right",
        )
        in_both = pl.col("_l").is_not_null() & pl.col("_r").is_not_null()
        for column in values:
            x, y = pl.col(column), pl.col(f"{column}_right")
            # A row missing on one side counts as zeros; a null beside a value is a mismatch.
            null_mismatch = joined.filter(in_both & (x.is_null() ^ y.is_null()))
            diff = joined.with_columns(
                (x.fill_null(0.0) - y.fill_null(0.0)).abs().alias("_d"),
                pl.max_horizontal(x.fill_null(0.0).abs(), y.fill_null(0.0).abs()).alias("_m"),
            )
            tolerance = pl.max_horizontal(pl.lit(abs_tol), pl.col("_m") * rel_tol)
            bad = diff.filter(pl.col("_d") > tolerance).sort("_d", descending=True)
            shown = [*keys, column, f"{column}_right"]
            found.append(
                Difference(
                    figure=figure,
                    column=column,
                    rows=joined.height,
                    max_abs=float(diff.select(pl.col("_d").max().fill_null(0.0)).item()),
                    differing=bad.height,
                    null_mismatch=null_mismatch.height,
                    examples=bad.select(shown).head(3).to_dicts()
                    + null_mismatch.select(shown).head(2).to_dicts(),
                )
            )
    return found
