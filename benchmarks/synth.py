"""A seeded synthetic corpus shaped like OpenAlex AI output, for the metrics benchmark.

Run ``python3 benchmarks/synth.py --works 1000000 --seed 7`` to build (or find) a dataset under
``benchmarks/out/`` and print its path; :func:`ensure_corpus` does the same from Python. The same
``works``/``seed`` (and :data:`GENERATOR_VERSION`) always give the same files, so a rerun finds the
cached folder and skips generation.

Shape (every step is a numpy/pyarrow/polars array operation; nothing loops over works or
authorships, only over the ~80 countries):

- publication years 2015-2024, growing about 22 % a year; dates in the year, 10 % on 1 January;
- lead country Zipf-like with real-ish shares (CN, US, IN, GB, DE, JP, KR, ...), African, EU and
  territory codes included; 5-30 % of a country's works international (CN 7 %, US 22 %, ...);
- team sizes 1-30 with a long tail (0.1 % of works have no authorship at all);
- authorships with 0, 1 or 2 institutions; countries follow the institutions: mostly one code,
  sometimes two, about 5 % none, a few listing the same code twice;
- authors from a pool with a home country and skewed productivity, ids recurring across years,
  3 % of authorships by a visiting author from elsewhere, 1 % null author ids;
- corresponding flags: mostly exactly one, 12 % of works none, 8 % several;
- institutions with power-law output; a quarter are children (some grandchildren, some with two
  parents, a few abroad) with ``lineage`` sorted by id, not by hierarchy; 2 % with no country,
  0.1 % with no record at all;
- ``counts_by_year`` as OpenAlex gives it in 2025 (years 2016-2025, zero years omitted, newest
  first, so 2015's own citations are dropped), ``cited_by_count`` the lifetime total, 0.5 % null
  lists; 0.3 % paratext, 0.1 % retracted.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from biblio.io import open_dataset, publish_dataset, write_manifest, write_table
from biblio.schema import AUTHORSHIPS, INSTITUTIONS, WORKS

__all__ = ["COUNTRIES", "FIRST_YEAR", "GENERATOR_VERSION", "LAST_YEAR", "ensure_corpus", "generate"]

#: Part of the cache key. 2: tables written in record batches, as ``biblio.io.write_table`` does
#: since 11d4792 (polars reads one batch on one thread); the rows are those of version 1.
#: 3: the works' ``selections`` column (every work meets ``subfield:1702``); rows as before.
GENERATOR_VERSION = 3
FIRST_YEAR, LAST_YEAR = 2015, 2024
SNAPSHOT_YEAR = 2025  # counts_by_year covers SNAPSHOT_YEAR-9 .. SNAPSHOT_YEAR
SELECTION = "subfield:1702"  # the definition every synthetic work meets
OUT = Path(__file__).resolve().parent / "out"

#: Lead-country weights (roughly the shares of AI output), Zipf-like.
COUNTRIES: dict[str, float] = {
    "CN": 330, "US": 110, "IN": 70, "GB": 35, "DE": 30, "JP": 25, "KR": 25, "FR": 20, "IT": 20,
    "CA": 20, "AU": 18, "ES": 15, "IR": 15, "BR": 12, "TW": 10, "SA": 10, "PK": 10, "TR": 10,
    "NL": 9, "CH": 8, "SG": 7, "HK": 7, "RU": 7, "PL": 6, "SE": 6, "EG": 5, "MY": 5, "VN": 4,
    "BD": 4, "BE": 4, "ID": 4, "AT": 4, "PT": 4, "DK": 3, "FI": 3, "GR": 3, "CZ": 3, "NO": 3,
    "IL": 3, "MX": 3, "IE": 2, "NG": 2, "ZA": 2, "DZ": 2, "MA": 2, "TN": 2, "AE": 2, "TH": 2,
    "RO": 2, "IQ": 2, "CL": 1, "CO": 1, "AR": 1, "HU": 1, "SK": 1, "SI": 1, "HR": 1, "BG": 1,
    "NZ": 1, "UA": 1, "JO": 1, "QA": 1, "LK": 1, "LT": 0.5, "LV": 0.5, "EE": 0.5, "KE": 0.5,
    "NP": 0.5, "ET": 0.4, "LU": 0.4, "CY": 0.4, "GH": 0.3, "MT": 0.2, "MO": 0.2, "RE": 0.05,
}  # fmt: skip

#: Share of a lead country's works that are international (others: 28 %).
INTERNATIONAL = {"CN": 0.07, "IN": 0.08, "IR": 0.12, "US": 0.22, "JP": 0.12, "KR": 0.15}
#: Partner countries are drawn with the lead weights times these boosts.
PARTNER_BOOST = {"US": 3.0, "CN": 1.5, "GB": 2.5, "DE": 2.0, "FR": 1.5, "CA": 1.5, "AU": 1.5}


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probability proportional to ``weights``."""
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right").clip(0, len(cdf) - 1)


def _strings(prefix: str, numbers: np.ndarray) -> pa.Array:
    """``prefix`` + decimal numbers, as a large_string array (vectorised in polars)."""
    series = pl.Series("n", numbers).cast(pl.String)
    joined = pl.select(pl.concat_str(pl.lit(prefix), series)).to_series()
    return joined.to_arrow().cast(pa.large_string())


def _list(offsets: np.ndarray, values: pa.Array) -> pa.LargeListArray:
    return pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)


def _offsets(lengths: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _institutions(
    rng: np.random.Generator, n_countries: int, weights: np.ndarray, total: int
) -> tuple[pa.Table, np.ndarray, np.ndarray, pa.Array]:
    """Institutions per country with power-law output and a lineage.

    Returns the institutions table, the output weight of every institution index, where each
    country's block of indices starts (institutions are numbered country by country), and the id
    of every index (including the few left without a record).
    """
    per_country = np.maximum(3, np.round(total * weights**0.8 / (weights**0.8).sum())).astype(int)
    country = np.repeat(np.arange(n_countries), per_country)
    n = len(country)
    block_start = _offsets(per_country)
    output = rng.pareto(1.1, n) + 1.0  # power-law output weight
    # Roots first in every block: 75 % roots (at least one), the rest children.
    local = np.arange(n) - block_start[country]
    n_roots = np.maximum(1, np.round(per_country * 0.75)).astype(int)
    is_child = local >= n_roots[country]
    parent = np.full(n, -1)
    parent2 = np.full(n, -1)
    children = np.flatnonzero(is_child)
    # Parent: a root of the same country, bigger roots more likely (sqrt of output).
    rootw = np.sqrt(output)
    for c in range(n_countries):  # loops over countries only
        kids = children[country[children] == c]
        if len(kids) == 0:
            continue
        roots = np.arange(block_start[c], block_start[c] + n_roots[c])
        parent[kids] = roots[_pick(rng, rootw[roots], len(kids))]
        two = kids[rng.random(len(kids)) < 0.02]  # two parents: a tie in the roll-up
        if n_roots[c] > 1 and len(two):
            other = roots[_pick(rng, rootw[roots], len(two))]
            parent2[two] = np.where(other == parent[two], -1, other)
    # A few children hang under a root abroad (their roll-up changes country).
    abroad = children[rng.random(len(children)) < 0.03]
    all_roots = np.flatnonzero(~is_child)
    parent[abroad] = all_roots[rng.integers(0, len(all_roots), len(abroad))]
    # 10 % of children become grandchildren: their parent is another child of the same country.
    grand = children[rng.random(len(children)) < 0.10]
    same = np.searchsorted(children, block_start[country[grand]])  # first child of the block
    last = np.searchsorted(children, block_start[country[grand] + 1])
    has_sibling = last - same > 1
    grand, same, last = grand[has_sibling], same[has_sibling], last[has_sibling]
    candidate = children[same + (rng.random(len(grand)) * (last - same)).astype(int)]
    ok = (candidate != grand) & (parent[candidate] >= 0) & (parent2[candidate] < 0)
    grand, candidate = grand[ok], candidate[ok]
    grand_is_leaf = parent2[grand] < 0
    grand, candidate = grand[grand_is_leaf], candidate[grand_is_leaf]
    # Only leaves become grandchildren, so depth stays at most 3.
    not_parent = np.ones(n, bool)
    not_parent[parent[parent >= 0]] = False
    not_parent[parent2[parent2 >= 0]] = False
    leaf = not_parent[grand]
    grand, candidate = grand[leaf], candidate[leaf]
    parent[grand] = candidate
    grandparent = np.where(parent >= 0, parent[np.maximum(parent, 0)], -1)
    grandparent = np.where(parent >= 0, grandparent, -1)
    # Ids: random numbers of varying length, so string order differs from numeric order.
    numbers = np.unique(rng.integers(1_000, 10_000_000_000, size=int(n * 1.2) + 10))
    numbers = rng.permutation(numbers)[:n]
    ids = _strings("I", numbers)
    rank = np.empty(n, dtype=np.int64)
    rank[np.asarray(pc.array_sort_indices(ids))] = np.arange(n)
    # Lineage: self and every ancestor, sorted by id (as OpenAlex lists them).
    members = np.stack([np.arange(n), parent, grandparent, parent2], axis=1)
    members = np.where(members >= 0, members, -1)
    key = np.where(members >= 0, rank[np.maximum(members, 0)], np.iinfo(np.int64).max)
    order = np.argsort(key, axis=1)
    members = np.take_along_axis(members, order, axis=1)
    # Drop repeats (a grandparent that is also the second parent).
    dup = np.zeros_like(members, dtype=bool)
    dup[:, 1:] = members[:, 1:] == members[:, :-1]
    valid = (members >= 0) & ~dup
    lineage = _list(_offsets(valid.sum(axis=1)), ids.take(pa.array(members[valid])))
    codes = np.array(list(COUNTRIES))
    country_code = pa.array(codes[country], pa.large_string())
    missing_country = rng.random(n) < 0.02
    country_code = pc.if_else(
        pa.array(missing_country), pa.scalar(None, pa.large_string()), country_code
    )
    # 0.1 % of institutions that are nobody's parent have no record in the dataset.
    has_record = ~(not_parent & (rng.random(n) < 0.001))
    kinds = np.array(["education", "facility", "company", "government", "healthcare", "other"])
    kind = kinds[_pick(rng, np.array([60, 15, 10, 7, 5, 3.0]), n)]
    table = pa.table(
        {
            "institution_id": ids,
            "ror": _strings("https://ror.org/0", numbers),
            "display_name": _strings("Institution ", numbers),
            "country_code": country_code,
            "type": pa.array(kind, pa.large_string()),
            "lineage": lineage,
        }
    ).filter(pa.array(has_record))
    return table, output, block_start, ids


def generate(works: int, seed: int, folder: Path) -> None:
    """Write a synthetic dataset of ``works`` works into ``folder`` (which must not exist)."""
    rng = np.random.default_rng([seed, works])
    codes = np.array(list(COUNTRIES))
    weights = np.array(list(COUNTRIES.values()))
    n_countries = len(codes)
    intl_rate = np.array([INTERNATIONAL.get(c, 0.28) for c in codes])
    partner_w = weights * np.array([PARTNER_BOOST.get(c, 1.0) for c in codes])

    # --- works -----------------------------------------------------------------------------
    n_years = LAST_YEAR - FIRST_YEAR + 1
    year = FIRST_YEAR + _pick(rng, 1.22 ** np.arange(n_years), works)
    day = rng.integers(0, 365, works)
    day[rng.random(works) < 0.10] = 0
    date = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day
    size = np.clip(np.round(rng.lognormal(np.log(3.6), 0.55, works)), 1, 30).astype(np.int64)
    tail = rng.random(works) < 0.01
    size[tail] = rng.integers(8, 31, tail.sum())
    size[rng.random(works) < 0.001] = 0
    lead = _pick(rng, weights, works)
    intl = rng.random(works) < intl_rate[lead]
    partner = _pick(rng, partner_w, works)
    clash = partner == lead
    partner[clash] = (partner[clash] + 1 + rng.integers(0, 5, clash.sum())) % n_countries

    # --- authorships (one row each, vectorised over all of them) -----------------------------
    n_auth = int(size.sum())
    start = _offsets(size)
    work = np.repeat(np.arange(works), size)
    index = np.arange(n_auth) - start[work]
    last = index == size[work] - 1
    foreign = intl[work] & (index >= 1) & (rng.random(n_auth) < 0.4)
    has_foreign = np.bincount(work, weights=foreign, minlength=works) > 0
    foreign |= intl[work] & (size[work] >= 2) & ~has_foreign[work] & last
    country1 = lead[work].copy()
    other = _pick(rng, partner_w, n_auth)
    other = np.where(other == lead[work], partner[work], other)
    country1[foreign] = np.where(
        rng.random(foreign.sum()) < 0.7, partner[work][foreign], other[foreign]
    )
    # Institutions per authorship: 4 % none, 81 % one, 15 % two (forced for a lone author of
    # an international work, whose second institution is abroad).
    u = rng.random(n_auth)
    n_inst = np.where(u < 0.04, 0, np.where(u < 0.85, 1, 2))
    solo_intl = intl[work] & (size[work] == 1)
    n_inst[solo_intl] = 2
    country2 = np.where(rng.random(n_auth) < 0.9, country1, other)
    country2 = np.where(country2 == country1, country1, country2)
    country2[solo_intl] = partner[work][solo_intl]

    inst_table, inst_output, inst_start, inst_ids = _institutions(
        rng, n_countries, weights, max(500, works // 25)
    )
    inst1 = np.empty(n_auth, dtype=np.int64)
    inst2 = np.empty(n_auth, dtype=np.int64)
    for c in range(n_countries):  # loops over countries only
        block = np.arange(inst_start[c], inst_start[c + 1])
        for target, country in ((inst1, country1), (inst2, country2)):
            rows = np.flatnonzero(country == c)
            target[rows] = block[_pick(rng, inst_output[block], len(rows))]
    dup_inst = (n_inst == 2) & (rng.random(n_auth) < 0.01)
    inst2[dup_inst] = inst1[dup_inst]  # the same institution listed twice
    inst_matrix = np.stack([inst1, inst2], axis=1)
    inst_valid = np.arange(2)[None, :] < n_inst[:, None]
    institution_ids = _list(_offsets(n_inst), inst_ids.take(pa.array(inst_matrix[inst_valid])))
    # Countries follow the institutions (distinct), with a few exceptions either way.
    first = n_inst >= 1
    first |= (n_inst == 0) & (rng.random(n_auth) < 0.2)  # country from the raw affiliation
    first &= ~((n_inst >= 1) & (rng.random(n_auth) < 0.01))  # institution without country
    c2 = (n_inst == 2) & first & (country2 != country1)
    c2 |= (n_inst == 2) & first & (country2 == country1) & (rng.random(n_auth) < 0.005)
    c_matrix = np.stack([country1, country2], axis=1)
    c_valid = np.stack([first, c2], axis=1)
    countries = _list(
        _offsets(c_valid.sum(axis=1)),
        pa.array(codes, pa.large_string()).take(pa.array(c_matrix[c_valid])),
    )
    # Authors: a pool per country (about three authorships each), skewed productivity.
    count1 = np.bincount(country1, minlength=n_countries)
    pool = np.maximum(1, count1 // 3)
    pool_start = _offsets(pool)
    author = np.empty(n_auth, dtype=np.int64)
    for c in range(n_countries):  # loops over countries only
        rows = np.flatnonzero(country1 == c)
        author[rows] = pool_start[c] + _pick(rng, rng.pareto(1.5, pool[c]) + 1.0, len(rows))
    visiting = rng.random(n_auth) < 0.03
    author[visiting] = rng.integers(0, pool_start[-1], visiting.sum())
    author_ids = _strings("A", 5_000_000_000 + author)
    author_ids = pc.if_else(
        pa.array(rng.random(n_auth) < 0.01), pa.scalar(None, pa.large_string()), author_ids
    )
    # Corresponding flags: 80 % exactly one (last 50 %, first 40 %, else random), 12 % none, 8 %
    # several (first and last, plus one at random).
    kind = rng.random(works)
    choice = rng.random(works)
    one = np.where(
        choice < 0.5,
        size - 1,
        np.where(choice < 0.9, 0, (rng.random(works) * size).astype(np.int64)),
    )
    corresponding = (kind[work] < 0.80) & (index == one[work])
    several = kind[work] >= 0.92
    corresponding |= several & ((index == 0) | last | (index == (one[work] // 2)))
    position = np.where(index == 0, 0, np.where(last, 2, 1))

    # --- citations ---------------------------------------------------------------------------
    years = np.arange(FIRST_YEAR, SNAPSHOT_YEAR + 1)  # 2015..2025, newest kept last for now
    age = years[None, :] - year[:, None]
    rate = rng.lognormal(0.3, 1.3, works)[:, None] * np.clip((age + 1) / 3.0, 0, 1)
    rate[age < 0] = 0
    counts = rng.poisson(rate)
    cited_by_count = counts.sum(axis=1)
    counts = counts[:, ::-1][:, : SNAPSHOT_YEAR - (SNAPSHOT_YEAR - 9) + 1]  # newest first, 10 y
    cby_years = years[::-1][: counts.shape[1]]
    keep = counts > 0
    entries = pa.StructArray.from_arrays(
        [
            pa.array(np.broadcast_to(cby_years, counts.shape)[keep].astype(np.int32)),
            pa.array(counts[keep].astype(np.int64)),
        ],
        names=["year", "cited_by_count"],
    )
    null_cby = rng.random(works) < 0.005
    offsets = _offsets(keep.sum(axis=1))
    counts_by_year = pa.LargeListArray.from_arrays(
        pa.array(offsets, pa.int64()),
        entries,
        mask=pa.array(null_cby),
    )

    work_numbers = 4_000_000_000 + np.arange(works) * 7
    work_ids = _strings("W", work_numbers)
    topics = np.array(["T10320", "T10036", "T11714", "T10028", "T12026", "T10627"])
    types = np.array(["article", "preprint", "book-chapter", "review", "dataset", "other"])
    works_table = pa.table(
        {
            "work_id": work_ids,
            "doi": _strings("https://doi.org/10.5555/synth.", work_numbers),
            "title": _strings("Synthetic AI work ", work_numbers),
            "publication_year": pa.array(year.astype(np.int32)),
            "publication_date": pa.array(date.astype("datetime64[D]")),
            "type": pa.array(
                types[_pick(rng, np.array([65, 20, 8, 4, 1, 2.0]), works)], pa.large_string()
            ),
            "cited_by_count": pa.array(cited_by_count.astype(np.int64)),
            "counts_by_year": counts_by_year,
            "primary_topic_id": pa.array(
                topics[rng.integers(0, len(topics), works)], pa.large_string()
            ),
            "subfield_id": pa.array(np.full(works, "1702"), pa.large_string()),
            "field_id": pa.array(np.full(works, "17"), pa.large_string()),
            "is_retracted": pa.array(rng.random(works) < 0.001),
            "is_paratext": pa.array(rng.random(works) < 0.003),
            "updated_date": pa.array(
                np.datetime64("2025-06-01T00:00:00", "us")
                + rng.integers(0, 86_400_000_000 * 30, works).astype("timedelta64[us]")
            ),
            "selections": pa.LargeListArray.from_arrays(
                pa.array(np.arange(works + 1), pa.int64()),
                pa.array(np.full(works, SELECTION), pa.large_string()),
            ),
        }
    )
    positions = pa.array(["first", "middle", "last"], pa.large_string())
    authorships_table = pa.table(
        {
            "work_id": work_ids.take(pa.array(work)),
            "author_index": pa.array(index.astype(np.int32)),
            "author_position": positions.take(pa.array(position)),
            "author_id": author_ids,
            "is_corresponding": pa.array(corresponding),
            "institution_ids": institution_ids,
            "countries": countries,
        }
    )
    folder.mkdir(parents=True)
    write_table(works_table, folder / "works.arrow", WORKS)
    write_table(authorships_table, folder / "authorships.arrow", AUTHORSHIPS)
    write_table(inst_table, folder / "institutions.arrow", INSTITUTIONS)
    write_manifest(
        folder,
        {
            "source": "synthetic benchmark corpus",
            "seed": seed,
            "synthetic": True,
            "generator_version": GENERATOR_VERSION,
            "selection": SELECTION,
            "years": [FIRST_YEAR, LAST_YEAR],
            "filters": {
                "selection": SELECTION,
                "selections": [SELECTION],
                "years": [FIRST_YEAR, LAST_YEAR],
                "types": [],
            },
        },
    )


def corpus_path(works: int, seed: int, out: Path = OUT) -> Path:
    """Where the corpus for ``works`` and ``seed`` is cached."""
    return out / f"corpus-n{works}-seed{seed}-v{GENERATOR_VERSION}"


def ensure_corpus(works: int, seed: int, out: Path = OUT) -> tuple[Path, bool]:
    """The cached corpus folder, generated first if missing; also whether it was generated."""
    final = corpus_path(works, seed, out)
    if (final / "manifest.json").exists():
        open_dataset(final)  # validates the schema
        return final, False
    staging = final.with_name(f".{final.name}.partial")
    if staging.exists():
        shutil.rmtree(staging)
    generate(works, seed, staging)
    publish_dataset(staging, final)
    return final, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    path, made = ensure_corpus(args.works, args.seed, args.out)
    print(f"{path} ({'generated' if made else 'cached'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
