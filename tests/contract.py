"""Load a contract-example corpus the way the package does and compare tables with expected CSVs.

Shared by the metric tests; the corpora are copied in ``tests/data/contract-examples``.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

from biblio.dataset.builder import DatasetBuilder
from biblio.dataset.normalise import read_institutions, read_works
from biblio.dataset.selection import WorkFilter
from biblio.io import open_dataset
from biblio.schema import OUTPUT_SPECS
from biblio.tables import MetricOptions, compute_tables
from tests.paths import CONTRACT_EXAMPLES

EXAMPLES = CONTRACT_EXAMPLES
YEARS = {"micro": None, "c400": (2015, 2024)}


def build_dataset(corpus: str, cache: Path) -> Path:
    """Build the dataset of a contract corpus with the default selection and its years."""
    folder = EXAMPLES / corpus
    builder = DatasetBuilder(cache / corpus, filters=WorkFilter(years=YEARS[corpus]))
    builder.add_works(read_works((folder / "works.jsonl").read_bytes()), part="works")
    builder.add_institutions(
        read_institutions((folder / "institutions.jsonl").read_bytes()), part="institutions"
    )
    builder.finish({"source": str(folder)})
    return cache / corpus


def compute(
    corpus: str, cache: Path, options: MetricOptions | None = None
) -> dict[str, pl.DataFrame]:
    return compute_tables(open_dataset(build_dataset(corpus, cache)), options or MetricOptions())


def differences(name: str, ours: pl.DataFrame, expected_csv: Path) -> list[str]:
    """Every way ``ours`` differs from the expected CSV: integers exactly, floats to 1e-9
    relative; zero-coauthored flow rows may be absent from ours."""
    expected = pl.read_csv(expected_csv, infer_schema_length=0)
    keys = list(OUTPUT_SPECS[name].primary_key)
    columns = expected.columns
    ours_s = ours.select(columns).with_columns(pl.all().cast(pl.String))
    joined = expected.join(
        ours_s, on=keys, how="full", suffix="_ours", coalesce=True, nulls_equal=True
    )
    problems = []
    for row in joined.iter_rows(named=True):
        key = tuple(row[k] for k in keys)
        present_exp = any(row[c] is not None for c in columns if c not in keys)
        present_ours = any(row[f"{c}_ours"] is not None for c in columns if c not in keys)
        if not present_ours and present_exp:
            if name == "flows" and row["coauthored"] == "0":
                continue
            problems.append(f"{name} {key}: missing from ours")
            continue
        if not present_exp and present_ours:
            problems.append(f"{name} {key}: extra row in ours")
            continue
        for c in columns:
            if c in keys:
                continue
            e, o = row[c], row[f"{c}_ours"]
            if e == "" or e is None:
                e = None
            if e is None or o is None:
                if e != o:
                    problems.append(f"{name} {key} {c}: expected {e!r}, ours {o!r}")
                continue
            try:
                fe, fo = float(e), float(o)
            except ValueError:
                if e != o:
                    problems.append(f"{name} {key} {c}: expected {e!r}, ours {o!r}")
                continue
            if not math.isclose(fe, fo, rel_tol=1e-9, abs_tol=1e-12):
                problems.append(f"{name} {key} {c}: expected {e}, ours {o}")
    return problems


def nan_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of ``frame`` holding a NaN: a float NaN, or the text ``NaN`` read from a CSV
    as strings."""

    def has_nan(column: pl.Series) -> bool:
        if column.dtype.is_float():
            return bool(column.is_nan().any())
        if column.dtype == pl.String:
            return bool(column.str.to_lowercase().is_in(["nan", "-nan"]).any())
        return False

    return [column.name for column in frame.iter_columns() if has_nan(column)]
