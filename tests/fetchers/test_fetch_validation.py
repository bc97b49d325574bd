"""OpenAlex's own counts beside the dataset's: validation.csv, its line, the report's sentence."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biblio.cli import main
from biblio.dataset.selection import WorkFilter
from biblio.io import file_sha256
from biblio.report.headlines import validation_sentence
from fetchers.api import fetch_dataset
from fetchers.http import OpenAlexClient
from fetchers.query import Query
from tests.fetchers.conftest import fetch_argv
from tests.openalex_server import OpenAlexServer

Records = list[dict[str, Any]]


def _expected(works: Records) -> Counter[tuple[int, str]]:
    """Works per (year, country) of the AI works of 2015–2024, counted on the records."""
    found: Counter[tuple[int, str]] = Counter()
    for w in works:
        if "subfields/1702" not in str(w.get("primary_topic")):
            continue
        if not 2015 <= w["publication_year"] <= 2024:
            continue
        countries = {c for a in w.get("authorships") or [] for c in a.get("countries") or []}
        found.update((w["publication_year"], c) for c in countries)
    return found


def test_a_server_whose_counts_are_skewed_for_one_country(
    c400: tuple[Records, Records], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    with OpenAlexServer(*c400, group_skew={"CN": 3}) as server:
        assert main(fetch_argv(server.url, cache, "--no-progress")) == 0  # not an error
    out, err = capsys.readouterr()
    table = pl.read_csv(cache / "ai" / "validation.csv")
    assert table.columns == ["year", "country", "works_dataset", "works_openalex"]
    expected = _expected(c400[0])
    assert dict(
        zip(zip(table["year"], table["country"], strict=True), table["works_dataset"], strict=True)
    ) == dict(expected)
    diff = table.with_columns(d=pl.col("works_openalex") - pl.col("works_dataset"))
    assert set(diff.filter(pl.col("country") == "CN")["d"]) == {3}
    assert set(diff.filter(pl.col("country") != "CN")["d"]) == {0}
    cn_years = diff.filter(pl.col("country") == "CN").height
    assert cn_years >= 5
    # One line: how many agree, and the largest differences by country and year.
    (line,) = [x for x in err.splitlines() if x.startswith("validation:")]
    assert line.startswith(
        f"validation: {table.height - cn_years} of {table.height} country-years agree"
    )
    assert "largest differences: CN 2015 -3, CN 2016 -3, CN 2017 -3" in line
    assert out.strip() == f"243 works in {cache / 'ai'}"
    # Listed in the manifest with its checksum; the summary per year feeds the report.
    manifest = json.loads((cache / "ai" / "manifest.json").read_text())
    assert manifest["sha256"]["validation.csv"] == file_sha256(cache / "ai" / "validation.csv")
    assert manifest["validation"]["agree"] == table.height - cn_years
    sentence = validation_sentence(manifest, 2024)
    assert sentence is not None
    assert "China, 3 works fewer in the dataset" in sentence
    n2024 = table.filter(pl.col("year") == 2024).height
    assert f"for {n2024 - 1} of {n2024} countries" in sentence


def _many_countries(n: int) -> Records:
    codes = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "0123456789"][:n]
    return [
        {
            "id": f"https://openalex.org/W{100 + i}",
            "publication_year": 2020,
            "publication_date": "2020-03-01",
            "primary_topic": {"subfield": {"id": "https://openalex.org/subfields/1702"}},
            "authorships": [{"author": {"id": f"https://openalex.org/A{i}"}, "countries": [code]}],
        }
        for i, code in enumerate(codes)
    ]


def test_more_than_200_countries_are_paged_with_a_cursor(tmp_path: Path) -> None:
    works = _many_countries(260)
    with OpenAlexServer(works) as server:
        with OpenAlexClient(rate=100) as client:
            groups = client.groups(Query(server.url).group_by("authorships.countries"))
        assert len(groups) == 260
        asked = [r for r in server.requests if r.get("group_by")]
        assert [r.get("cursor") for r in asked][:2] == [None, "*"]
        server.reset()
        manifest = fetch_dataset(
            tmp_path / "x", filters=WorkFilter(years=(2020, 2020)), base_url=server.url, rate=100
        )
    assert manifest["validation"]["country_years"] == manifest["validation"]["agree"] == 260


def test_a_work_split_over_record_batches_counts_once_per_country(tmp_path: Path) -> None:
    """The dataset's counts read the files batch by batch; a work whose authorships fall in two
    batches, naming one country in both, is still one work of that country."""
    import pyarrow.ipc as ipc

    from fetchers.validation import dataset_counts

    works = pl.DataFrame(
        {"work_id": ["W1", "W2", "W3"], "publication_year": [2024, 2024, 2023]},
        schema_overrides={"publication_year": pl.Int32},
    )
    authorships = pl.DataFrame(
        {
            "work_id": ["W1", "W2", "W1", "W3", "W1"],
            "countries": [["CN"], ["CN", "US"], ["CN", "GB"], ["US"], []],
        }
    )

    def write(frame: pl.DataFrame, path: Path) -> None:  # only the columns counted
        table = frame.to_arrow()
        with ipc.new_file(path, table.schema) as writer:
            writer.write_table(table, max_chunksize=2)

    write(works, tmp_path / "works.arrow")
    write(authorships, tmp_path / "authorships.arrow")
    assert ipc.open_file(tmp_path / "authorships.arrow").num_record_batches == 3
    counts = dataset_counts(
        tmp_path / "works.arrow", tmp_path / "authorships.arrow", years=[2023, 2024]
    )
    assert counts.rows() == [
        (2023, "US", 1),
        (2024, "CN", 2),
        (2024, "GB", 1),
        (2024, "US", 1),
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 11),  # work
            st.lists(st.sampled_from(["CN", "US", "GB", None]), max_size=3),
        ),
        max_size=40,
    ),
    batch=st.integers(1, 7),
    tagged=st.booleans(),
)
def test_counts_are_exact_whatever_the_order_and_batches(
    tmp_path: Path, rows: list[tuple[int, list[str | None]]], batch: int, tagged: bool
) -> None:
    """Works anywhere in the file, in several batches or repeated, count once per country; only
    the works of the years asked (and of the selection asked) count."""
    import pyarrow.ipc as ipc

    from fetchers.validation import dataset_counts

    works = pl.DataFrame(
        {
            "work_id": [f"W{n}" for n in range(12)],
            "publication_year": [2022 + n % 4 for n in range(12)],  # 2025 is not asked for
            "selections": [
                ["subfield:1702"] if n % 3 else ["concept:C154945302"] for n in range(12)
            ],
        },
        schema_overrides={"publication_year": pl.Int32},
    )
    authorships = pl.DataFrame(
        {"work_id": [f"W{w}" for w, _ in rows], "countries": [c for _, c in rows]},
        schema={"work_id": pl.String, "countries": pl.List(pl.String)},
    )
    for name, frame in (("works", works), ("authorships", authorships)):
        table = frame.to_arrow()
        with ipc.new_file(tmp_path / f"{name}.arrow", table.schema) as writer:
            writer.write_table(table, max_chunksize=batch)
    selection = "subfield:1702" if tagged else None
    counts = dataset_counts(
        tmp_path / "works.arrow",
        tmp_path / "authorships.arrow",
        years=[2022, 2023, 2024],
        selection=selection,
    )
    kept = works.filter(pl.col("publication_year") <= 2024)
    if tagged:
        kept = kept.filter(pl.col("selections").list.contains("subfield:1702"))
    direct = (
        authorships.explode("countries")
        .drop_nulls()
        .unique()
        .join(kept, on="work_id")
        .group_by(
            pl.col("publication_year").cast(pl.Int64).alias("year"),
            pl.col("countries").alias("country"),
        )
        .agg(pl.len().cast(pl.Int64).alias("works_dataset"))
        .sort("year", "country")
    )
    assert counts.rows() == direct.rows()
