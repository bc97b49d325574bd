"""Invariants of the definitions, on random corpora (hypothesis)."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biblio.tables import MetricOptions, corpus_tables
from tests.biblio.metrics.corpora import author, corpus, institution, work

COUNTRIES = ["CN", "US", "GB", "DE", "FR", "HK", "NG"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def corpora(
    draw: st.DrawFn,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    n_works = draw(st.integers(1, 12))
    works, authorships = [], []
    for i in range(n_works):
        year = draw(st.sampled_from([2023, 2024]))
        received = {y: draw(st.integers(0, 9)) for y in (2023, 2024) if y >= year}
        works.append(
            work(
                f"W{i}",
                year,
                cites=draw(st.integers(0, 30)),
                received=received,
                date=f"{year}-0{draw(st.integers(1, 3))}-01",
            )
        )
        for j in range(draw(st.integers(0, 5))):
            countries = draw(st.lists(st.sampled_from(COUNTRIES), max_size=3))
            authorships.append(
                author(
                    f"W{i}",
                    j,
                    countries,
                    author_id=draw(st.sampled_from([None, "A1", "A2", "A3", "A4"])),
                    corresponding=draw(st.booleans()),
                    institutions=draw(
                        st.lists(st.sampled_from(["I1", "I2", "I3", "I9"]), max_size=2)
                    ),
                )
            )
    institutions = [
        institution("I1", "US"),
        institution("I2", "CN", ["I2", "I3"]),
        institution("I3", "CN"),
    ]
    return works, authorships, institutions


def tables(data: tuple[list[dict[str, Any]], ...]) -> dict[str, pl.DataFrame]:
    return corpus_tables(corpus(*data), MetricOptions())


@SETTINGS
@given(corpora())
def test_fractional_output_sums_to_attributed_works(data: Any) -> None:
    t = tables(data)
    countries = t["output"].filter(pl.col("unit").is_in(COUNTRIES))
    per_year = countries.group_by("year").agg(pl.col("works_frac").sum())
    attributed = dict(t["coverage"].select("year", "attributed").iter_rows())
    for year, total in per_year.iter_rows():
        assert total == pytest.approx(attributed[year])


@SETTINGS
@given(corpora())
def test_fractional_citation_shares_sum_to_one(data: Any) -> None:
    shares = tables(data)["citation_shares"].filter(pl.col("unit").is_in(COUNTRIES))
    for (_, _), group in shares.group_by("year", "window"):
        if group["share_frac"].null_count() == 0:
            assert group["share_frac"].sum() == pytest.approx(1.0)
            assert group["share_full"].sum() >= 1.0 - 1e-9


@SETTINGS
@given(corpora())
def test_coauthorship_is_symmetric_and_asymmetry_reciprocal(data: Any) -> None:
    t = tables(data)
    flows = t["flows"].select("source", "partner", "year", "coauthored")
    mirrored = flows.rename({"source": "partner", "partner": "source"})
    joined = flows.join(mirrored, on=["source", "partner", "year"], suffix="_back")
    assert joined.height == flows.height
    assert (joined["coauthored"] == joined["coauthored_back"]).all()
    asym = t["asymmetry"].select("source", "partner", "year", "asymmetry").drop_nulls()
    back = asym.rename({"source": "partner", "partner": "source", "asymmetry": "back"})
    for a, b in (
        asym.join(back, on=["source", "partner", "year"]).select("asymmetry", "back").iter_rows()
    ):
        assert a * b == pytest.approx(1.0)


@SETTINGS
@given(corpora(), st.randoms(use_true_random=False))
def test_tables_do_not_depend_on_row_order(data: Any, rng: random.Random) -> None:
    before = tables(data)
    shuffled = tuple(rng.sample(rows, len(rows)) for rows in data)
    after = tables(shuffled)
    for name, frame in before.items():
        keys = [c for c in frame.columns if c != "community"]
        assert frame.select(keys).sort(keys).equals(after[name].select(keys).sort(keys)), name


@SETTINGS
@given(corpora())
def test_a_year_alone_gives_that_years_rows(data: Any) -> None:
    """Every table is per year: the tables of 2024 alone are the 2024 rows of both years'.

    Also when the corpus was prepared for both years with only 2024's authorships in memory
    (what a report does: the other years give trend rows only).
    """
    options = MetricOptions(units=COUNTRIES)
    alone = corpus_tables(corpus(*data, years=[2024]), options)
    every = corpus_tables(corpus(*data, years=[2023, 2024]), options)
    trended = corpus(*data, years=[2023, 2024], detail_years=[2024]).for_years([2024])
    in_report = corpus_tables(trended, options)
    for name, frame in alone.items():
        assert frame.equals(every[name].filter(year=2024)), name
        assert frame.equals(in_report[name]), name
