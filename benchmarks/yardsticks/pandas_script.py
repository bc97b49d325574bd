"""Yardstick B: a plain pandas script, the way an analyst would write it.

Read the Arrow files with ``pandas.read_feather`` (only the columns needed), then explode,
groupby and merge. :func:`compute` includes the read. Written from METRICS.md alone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

__all__ = ["compute"]


def _read(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    single = folder / f"{name}.arrow"
    parts = [single] if single.exists() else sorted((folder / name).glob("*.arrow"))
    return pd.concat([pd.read_feather(p, columns=columns) for p in parts], ignore_index=True)


def compute(
    folder: Path, years: tuple[int, int], *, threshold: int = 50
) -> dict[str, pl.DataFrame]:
    """Every yardstick figure for ``years`` (inclusive), as polars frames."""
    lo, hi = years
    works = _read(
        folder,
        "works",
        [
            "work_id",
            "publication_year",
            "publication_date",
            "cited_by_count",
            "counts_by_year",
            "is_paratext",
            "is_retracted",
        ],
    )
    keep = ~works["is_paratext"].fillna(False).astype(bool) & ~works["is_retracted"].fillna(
        False
    ).astype(bool)
    works = works[keep & (works["publication_year"] <= hi)]
    works = works.rename(columns={"publication_year": "year"})
    auth = _read(folder, "authorships", ["work_id", "author_id", "institution_ids", "countries"])
    auth = auth.merge(works[["work_id", "year", "publication_date"]], on="work_id")
    auth["authorship"] = range(len(auth))

    # frac(w, c): one row per authorship and distinct country, weighted 1 / (n_w * k_a).
    ac = (
        auth[["work_id", "year", "authorship", "countries"]]
        .explode("countries")
        .dropna(subset=["countries"])
    )
    ac = ac.drop_duplicates(["authorship", "countries"])
    ac["k"] = ac.groupby("authorship")["countries"].transform("size")
    ac["n"] = ac.groupby("work_id")["authorship"].transform("nunique")
    ac["part"] = 1.0 / (ac["n"] * ac["k"])
    wc = ac.groupby(["work_id", "year", "countries"], as_index=False)["part"].sum()
    wc = wc.rename(columns={"countries": "unit", "part": "frac"})
    wcy = wc[wc["year"].between(lo, hi)]

    output = wcy.groupby(["unit", "year"], as_index=False).agg(
        works_full=("work_id", "size"), works_frac=("frac", "sum")
    )

    # Citations: received (counts_by_year entry of the citing year) and published windows.
    cby = (
        works[["work_id", "year", "counts_by_year"]]
        .explode("counts_by_year")
        .dropna(subset=["counts_by_year"])
    )
    cby["cy"] = cby["counts_by_year"].str.get("year")
    cby["cites"] = cby["counts_by_year"].str.get("cited_by_count")
    cby = cby[cby["cy"].between(lo, hi) & (cby["year"] <= cby["cy"])]
    received = cby.groupby(["work_id", "cy"], as_index=False)["cites"].sum()
    received["window"] = "received"
    published = works.loc[works["year"].between(lo, hi), ["work_id", "year", "cited_by_count"]]
    published = published.rename(columns={"year": "cy", "cited_by_count": "cites"})
    published["window"] = "published"
    cites = pd.concat([received, published], ignore_index=True)
    attributed = cites[cites["work_id"].isin(wc["work_id"].unique())]
    total = attributed.groupby(["cy", "window"], as_index=False)["cites"].sum()
    total = total.rename(columns={"cites": "total"})
    cw = cites.merge(wc[["work_id", "unit", "frac"]], on="work_id")
    cw["cites_frac"] = cw["frac"] * cw["cites"]
    citations = cw.groupby(["unit", "cy", "window"], as_index=False).agg(
        citations_full=("cites", "sum"), citations_frac=("cites_frac", "sum")
    )
    citations = citations.merge(total, on=["cy", "window"])
    nonzero = citations["total"].where(citations["total"] != 0)
    citations["share_full"] = citations["citations_full"] / nonzero
    citations["share_frac"] = citations["citations_frac"] / nonzero
    citations = citations.rename(columns={"cy": "year"}).drop(columns="total")

    # Co-authorship: pairs of countries of the same work.
    pairs = wcy[["work_id", "year", "unit"]].merge(wcy[["work_id", "unit"]], on="work_id")
    pairs = pairs[pairs["unit_x"] < pairs["unit_y"]]
    coauthorship = (
        pairs.groupby(["unit_x", "unit_y", "year"], as_index=False)
        .size()
        .rename(columns={"unit_x": "source", "unit_y": "partner", "size": "coauthored"})
    )

    # Institutions: roll up to the lineage member (with a record) with the shortest lineage.
    inst = _read(folder, "institutions", ["institution_id", "country_code", "lineage"])
    inst["depth"] = inst["lineage"].map(len)
    members = inst[["institution_id", "lineage"]].explode("lineage").dropna(subset=["lineage"])
    members = members.merge(
        inst[["institution_id", "depth"]].rename(columns={"institution_id": "lineage"}),
        on="lineage",
    )
    roots = (
        members.sort_values(["institution_id", "depth", "lineage"])
        .drop_duplicates("institution_id")
        .set_index("institution_id")["lineage"]
    )
    listed = auth.loc[auth["year"].between(lo, hi), ["work_id", "year", "institution_ids"]]
    listed = listed.explode("institution_ids").dropna(subset=["institution_ids"])
    listed["root"] = listed["institution_ids"].map(roots).fillna(listed["institution_ids"])
    listed = listed.drop_duplicates(["work_id", "root"])
    p = listed.groupby(["year", "root"], as_index=False).size()
    country = inst.set_index("institution_id")["country_code"]
    p["unit"] = p["root"].map(country).fillna("unknown")
    p["above"] = p["size"] > threshold
    institutions = p.groupby(["unit", "year"], as_index=False).agg(
        institutions_above=("above", "sum"), institutions_total=("root", "size")
    )
    institutions.insert(2, "threshold", threshold)

    # Active researchers (k = 1, m = 1): countries on the author's latest works of the year.
    ad = auth[auth["author_id"].notna() & auth["year"].between(lo, hi)]
    ad = ad[["author_id", "year", "publication_date", "countries"]]
    latest = ad.groupby(["author_id", "year"])["publication_date"].transform("max")
    ad = ad[ad["publication_date"] == latest].explode("countries").dropna(subset=["countries"])
    ad = ad.drop_duplicates(["author_id", "year", "countries"])
    ad["k"] = ad.groupby(["author_id", "year"])["countries"].transform("size")
    ad["w"] = 1.0 / ad["k"]
    researchers = (
        ad.groupby(["countries", "year"], as_index=False)
        .agg(researchers_full=("author_id", "size"), researchers_frac=("w", "sum"))
        .rename(columns={"countries": "unit"})
    )

    frames = {
        "output": output,
        "citation_shares": citations,
        "coauthorship": coauthorship,
        "institutions_above": institutions,
        "researchers": researchers,
    }
    return {name: pl.from_pandas(frame) for name, frame in frames.items()}
