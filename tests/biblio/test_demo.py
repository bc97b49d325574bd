"""The bundled demo dataset: seeded, OpenAlex-shaped, calibrated, synthetic and said so."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from biblio.cli import main
from biblio.io import open_dataset
from fetchers.demo import DEMO_YEARS, generate


def test_generate_is_seeded_and_in_openalex_shape() -> None:
    works, institutions = generate(seed=3, total_works=300)
    assert generate(seed=3, total_works=300) == (works, institutions)
    assert generate(seed=4, total_works=300)[0] != works
    work = works[0]
    assert work["id"].startswith("https://openalex.org/W")
    assert {"authorships", "counts_by_year", "primary_topic", "cited_by_count"} <= set(work)
    authorship = work["authorships"][0]
    assert {"author", "institutions", "countries", "is_corresponding"} <= set(authorship)
    assert all(i["id"].startswith("https://openalex.org/I") for i in institutions)
    # Lineage lists the institution and its parent, sorted by id as OpenAlex does.
    children = [i for i in institutions if len(i["lineage"]) > 1]
    assert children
    assert all(i["lineage"] == sorted(i["lineage"]) for i in children)


@pytest.fixture(scope="module")
def demo(demo_cache: Path) -> dict[str, pl.DataFrame]:
    dataset = open_dataset("demo", demo_cache)
    works = dataset.works.collect()
    authorships = dataset.authorships.collect()
    countries = (
        authorships.select("work_id", "countries")
        .explode("countries")
        .group_by("work_id")
        .agg(pl.col("countries").drop_nulls().unique())
    )
    works = works.join(countries, on="work_id", how="left").with_columns(
        pl.col("countries").fill_null([]).alias("countries")
    )
    return {
        "works": works,
        "authorships": authorships,
        "institutions": dataset.institutions.collect(),
        "manifest": pl.DataFrame(
            {
                "synthetic": [dataset.manifest.get("synthetic")],
                "source": [dataset.manifest.get("source")],
            }
        ),
    }


def test_demo_manifest_says_synthetic(demo: dict[str, pl.DataFrame]) -> None:
    manifest = demo["manifest"].row(0, named=True)
    assert manifest["synthetic"] is True
    assert "synthetic demo data (seed" in manifest["source"]
    assert "real OpenAlex sample records" in manifest["source"]


def test_demo_shape(demo: dict[str, pl.DataFrame]) -> None:
    works, authorships = demo["works"], demo["authorships"]
    years = works["publication_year"]
    assert (years.min(), years.max()) == DEMO_YEARS
    assert 10_000 <= works.height <= 20_000
    # The real records are in, unchanged.
    assert {"W2183842658", "W2193147280"} <= set(works["work_id"].to_list())
    n_countries = works["countries"].list.len()
    attributed = works.filter(n_countries > 0)
    assert 0.005 < 1 - attributed.height / works.height < 0.05  # some works name no country
    international = (attributed["countries"].list.len() > 1).mean()
    assert 0.05 <= international <= 0.30  # type: ignore[operator]
    # Authors recur across years.
    per_author = (
        authorships.drop_nulls("author_id")
        .join(works.select("work_id", "publication_year"), on="work_id")
        .group_by("author_id")
        .agg(pl.col("publication_year").n_unique().alias("years"))
    )
    assert (per_author["years"] > 1).sum() > 1000
    # Some institutions have more than 50 works in 2024 (power-law output).
    in_2024 = works.filter(pl.col("publication_year") == 2024).select("work_id")
    per_institution = (
        authorships.join(in_2024, on="work_id")
        .explode("institution_ids")
        .drop_nulls("institution_ids")
        .unique(["work_id", "institution_ids"])
        .group_by("institution_ids")
        .len()
    )
    assert (per_institution["len"] > 50).sum() >= 3
    assert (per_institution["len"] <= 2).sum() > 100


def test_country_totals_follow_real_openalex_counts(demo: dict[str, pl.DataFrame]) -> None:
    text = resources.files("fetchers").joinpath("data/demo/ai_publication_counts.csv").read_text()
    real = {
        r["country_code"]: int(r["count"])
        for r in csv.DictReader(text.splitlines())
        if r["year"] == "2020"
    }
    demo_counts = (
        demo["works"]
        .filter(pl.col("publication_year") == 2020)
        .explode("countries")
        .drop_nulls("countries")
        .group_by("countries")
        .len()
    )
    ours = dict(demo_counts.iter_rows())
    top_real = sorted(real, key=lambda c: -real[c])[:6]
    top_ours = sorted(ours, key=lambda c: -ours[c])[:6]
    assert len(set(top_real) & set(top_ours)) >= 5
    assert ours["CN"] / ours["US"] == pytest.approx(real["CN"] / real["US"], rel=0.3)
    assert ours["GB"] / ours["US"] == pytest.approx(real["GB"] / real["US"], rel=0.4)


def test_missing_dataset_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--cache", str(tmp_path), "report", "no-such-dataset"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no-such-dataset" in err
    assert not (tmp_path / "no-such-dataset").exists()


def test_demo_holds_every_lineage_parent(demo: dict[str, pl.DataFrame]) -> None:
    """METRICS.md: a dataset holds the record of every ancestor in its institutions' lineages."""
    institutions = demo["institutions"]
    ancestors = set(institutions["lineage"].explode().drop_nulls().to_list())
    assert ancestors - set(institutions["institution_id"].to_list()) == set()
    # Real records' parents that no authorship names are among them (synthetic ids start I9).
    named = set(demo["authorships"]["institution_ids"].explode().drop_nulls().to_list())
    assert {a for a in ancestors - named if not a.startswith("I9")}


def test_demo_has_a_few_consortium_papers(demo: dict[str, pl.DataFrame]) -> None:
    per_work = demo["authorships"].group_by("work_id").len()
    large = per_work.filter(pl.col("len") > 100)
    assert 3 <= large.height <= 15  # a handful, as in real data, enough to move a finding
