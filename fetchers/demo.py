"""The bundled ``demo`` dataset: synthetic AI works calibrated on real OpenAlex counts, offline.

``biblio report demo`` must show the whole product on a fresh machine with no network, so the
package ships what it needs to *build* a dataset (a few kilobytes) instead of the dataset itself:

- ``data/demo/ai_publication_counts.csv``: real per-country OpenAlex AI work counts, 2010–2020;
- ``data/demo/real_works.jsonl.gz`` and ``real_institutions.jsonl.gz``: a handful of real OpenAlex
  records (CC0), which go into the dataset unchanged;
- :func:`generate`: a seeded generator of synthetic work and institution records in OpenAlex's own
  JSON shape. They go through the same normaliser and dataset builder as fetched records.

Calibration (details in ``docs/demo.md``): each year's number of works follows the real world
total, grown log-linearly past 2020; lead countries are drawn so that expected full counts follow
the real per-country counts; international co-authorship rates run from 8 % (CN) to 30 % (small
countries); institutions have power-law output and some have parents (lineage); authors recur
across years; ~2 % of works name no country; a few consortium papers with 120–450 authors in
up to 30 countries weigh on the co-authorship figures, as they do in real data. Every report
built from it says it is synthetic.

Examples
--------
>>> works, institutions = generate(seed=7, total_works=40)
>>> len(works) > 30 and all(w["primary_topic"]["subfield"]["id"].endswith("/1702") for w in works)
True
>>> generate(seed=7, total_works=40)[0] == works  # the same seed gives the same records
True
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from biblio.dataset.builder import DatasetBuilder
from biblio.dataset.normalise import read_institutions, read_works
from biblio.dataset.selection import WorkFilter

__all__ = ["DEMO_NAME", "DEMO_SEED", "DEMO_YEARS", "build_demo", "generate"]

log = logging.getLogger(__name__)

DEMO_NAME = "demo"
DEMO_SEED = 20250701
DEMO_YEARS = (2015, 2024)
#: The year the synthetic records were "fetched": ``counts_by_year`` covers its last ten years.
NOW_YEAR = 2025
TOTAL_WORKS = 15_000
#: Real counts exist for 2010–2020; later years are extrapolated from this fit window.
FIT_YEARS = (2016, 2020)
GROWTH_BOUNDS = (0.90, 1.25)

_OA = "https://openalex.org/"
_UPDATED = f"{NOW_YEAR}-06-01T00:00:00.000000"
_SOURCE = "synthetic demo data (seed {seed}) + real OpenAlex sample records"

# Real subfield-1702 topics (ids and names as OpenAlex gives them).
_TOPICS = (
    ("T10028", "Topic Modeling"),
    ("T10181", "Natural Language Processing Techniques"),
    ("T12535", "Machine Learning and Data Classification"),
    ("T10664", "Sentiment Analysis and Opinion Mining"),
    ("T13083", "Advanced Text Analysis Techniques"),
    ("T10215", "Semantic Web and Ontologies"),
)
_TITLE_WORDS = (
    "graph neural networks",
    "large language models",
    "reinforcement learning",
    "federated learning",
    "knowledge graphs",
    "sentiment analysis",
    "topic models",
    "explainable AI",
    "transformers",
    "few-shot learning",
    "multi-agent systems",
    "ontology matching",
    "causal inference",
)
# Countries that co-author more than their size predicts (symmetric multipliers).
_AFFINITY = {
    frozenset({"CN", "US"}): 4.0,
    frozenset({"CN", "GB"}): 4.0,
    frozenset({"CN", "HK"}): 6.0,
    frozenset({"CN", "AU"}): 3.0,
    frozenset({"CN", "SG"}): 3.0,
    frozenset({"US", "CA"}): 3.0,
    frozenset({"US", "GB"}): 2.0,
    frozenset({"US", "DE"}): 1.5,
    frozenset({"GB", "DE"}): 1.5,
    frozenset({"FR", "DE"}): 2.0,
    frozenset({"IN", "US"}): 2.0,
    frozenset({"SA", "EG"}): 4.0,
    frozenset({"SA", "PK"}): 3.0,
    frozenset({"KR", "US"}): 2.0,
    frozenset({"JP", "US"}): 1.5,
}
_EUROPE_CORE = {"AT", "BE", "DE", "DK", "ES", "FI", "FR", "GB", "IT", "NL", "PT", "SE", "CH", "NO"}
_INTL_RATE = {"CN": 0.08, "US": 0.22, "IN": 0.10, "GB": 0.30, "JP": 0.15, "ID": 0.05}
# Citation impact multipliers per lead country (synthetic; other countries 1.0).
_IMPACT = {"CN": 1.35, "US": 1.5, "GB": 1.3, "SG": 1.6, "HK": 1.5, "CH": 1.4, "AU": 1.2}
_AUTHORS_PER_WORK = ((1, 2, 3, 4, 5, 6, 7, 8, 10), (8, 15, 21, 19, 14, 9, 6, 5, 3))
#: Consortium papers per year (more than 100 authors each), drawn after the other works from a
#: generator of their own, so that the other records do not change with them.
_CONSORTIA = {2018: 1, 2020: 1, 2022: 2, 2023: 2, 2024: 3}
_CONSORTIUM_AUTHORS = (120, 450)


@dataclass
class _Institution:
    id: str
    name: str
    country: str | None
    type: str
    lineage: list[str]
    authors: list[str] = field(default_factory=list)  # who has published from here so far

    def dehydrated(self) -> dict[str, Any]:
        return {
            "id": _OA + self.id,
            "display_name": self.name,
            "ror": f"https://ror.org/0demo{self.id[-4:]}",
            "country_code": self.country,
            "type": self.type,
            "lineage": [_OA + i for i in self.lineage],
        }


def _data(name: str) -> bytes:
    return resources.files("fetchers").joinpath(f"data/demo/{name}").read_bytes()


def country_targets(years: tuple[int, int] = DEMO_YEARS) -> dict[int, dict[str, float]]:
    """Real OpenAlex AI work counts per country and year, extrapolated past 2020.

    For every country, growth is the exponential of the least-squares slope of log(count) over
    ``FIT_YEARS`` (countries without counts in all those years keep their last count), bounded
    by ``GROWTH_BOUNDS`` per year; a year after 2020 is the 2020 count times growth^(Y − 2020).

    >>> targets = country_targets()
    >>> targets[2020]["CN"] > targets[2020]["US"] > targets[2020]["GB"] > 0
    True
    >>> targets[2024]["CN"] > targets[2020]["CN"]
    True
    """
    counts = pl.read_csv(_data("ai_publication_counts.csv"))
    by_country: dict[str, dict[int, int]] = {}
    for year, code, count in counts.iter_rows():
        by_country.setdefault(code, {})[year] = count
    last_real = int(counts["year"].max())  # type: ignore[arg-type]
    out: dict[int, dict[str, float]] = {y: {} for y in range(years[0], years[1] + 1)}
    for code, series in by_country.items():
        fit = [
            (y, math.log(series[y])) for y in range(FIT_YEARS[0], FIT_YEARS[1] + 1) if series.get(y)
        ]
        if len(fit) == FIT_YEARS[1] - FIT_YEARS[0] + 1:
            mean_x = sum(x for x, _ in fit) / len(fit)
            mean_y = sum(v for _, v in fit) / len(fit)
            slope = sum((x - mean_x) * (v - mean_y) for x, v in fit) / sum(
                (x - mean_x) ** 2 for x, _ in fit
            )
            growth = min(max(math.exp(slope), GROWTH_BOUNDS[0]), GROWTH_BOUNDS[1])
        else:
            growth = 1.0
        latest = max(y for y in series)
        for year in out:
            if year in series:
                out[year][code] = float(series[year])
            elif year > last_real:
                out[year][code] = series[latest] * growth ** (year - latest)
    return out


def _intl_rate(code: str, size: float, largest: float) -> float:
    if code in _INTL_RATE:
        return _INTL_RATE[code]
    # Small countries co-author abroad more: 10 % for the largest, 30 % for the smallest.
    return 0.30 - 0.20 * math.log1p(size) / math.log1p(largest)


def _affinity(a: str, b: str) -> float:
    boost = _AFFINITY.get(frozenset({a, b}), 1.0)
    if a in _EUROPE_CORE and b in _EUROPE_CORE:
        boost *= 2.0
    return boost


@dataclass(frozen=True)
class _YearPlan:
    year: int
    countries: list[str]
    lead_cum: list[float]  # cumulative lead-country weights
    rates: dict[str, float]  # international co-authorship rate per lead country
    partners: dict[str, tuple[list[str], list[float]]]  # lead -> (others, cumulative weights)


class _Generator:
    def __init__(self, seed: int, total_works: int) -> None:
        self.rng = random.Random(seed)
        self.total_works = total_works
        self.targets = country_targets()
        first = self.targets[DEMO_YEARS[0]]
        # Keep the countries large enough to show up in a corpus this size.
        scale = total_works / sum(sum(t.values()) for t in self.targets.values())
        self.countries = sorted(
            c
            for c in first
            if max(self.targets[y].get(c, 0.0) for y in self.targets) * scale * len(self.targets)
            >= 3
        )
        self.institutions: dict[str, list[_Institution]] = {}
        self.inst_weights: dict[str, list[float]] = {}
        self.all_institutions: list[_Institution] = []
        self.next_author = 0
        self._make_institutions(scale)

    # -- institutions ---------------------------------------------------------------------
    def _new_inst(
        self, name: str, country: str | None, kind: str, parent: str | None
    ) -> _Institution:
        iid = f"I9{len(self.all_institutions) + 1:09d}"
        lineage = sorted([iid] if parent is None else [iid, parent])
        inst = _Institution(iid, name, country, kind, lineage)
        self.all_institutions.append(inst)
        return inst

    def _make_institutions(self, scale: float) -> None:
        rng = self.rng
        for code in self.countries:
            size = sum(self.targets[y].get(code, 0.0) for y in self.targets) * scale
            n = max(2, round(1.5 * size**0.55))
            pool: list[_Institution] = []
            system = None
            if n >= 20:  # a national academy whose institutes are listed, never itself
                system = self._new_inst(
                    f"Demo Academy of Sciences ({code})", code, "government", None
                )
            for k in range(1, n + 1):
                if system is not None and k % 7 == 0:
                    inst = self._new_inst(
                        f"Demo Institute of Computing {k} ({code})", code, "facility", system.id
                    )
                elif pool and rng.random() < 0.12:
                    parent = rng.choice(pool[:10])
                    inst = self._new_inst(
                        f"{parent.name} — AI Lab {k}", code, "facility", parent.id
                    )
                else:
                    kind = "company" if k > 1 and rng.random() < 0.12 else "education"
                    label = "Demo AI Company" if kind == "company" else "Demo University"
                    inst = self._new_inst(f"{label} {k} ({code})", code, kind, None)
                pool.append(inst)
            self.institutions[code] = pool
            # Power-law output: the k-th institution is picked with weight 1 / k^1.1.
            self.inst_weights[code] = list(_cumulative([1 / k**1.1 for k in range(1, n + 1)]))
        # Data gaps that real OpenAlex has: a name with markup characters, an institution
        # without a country, and institutions that works list but whose records are missing.
        odd = self.institutions["DE"][3] if "DE" in self.institutions else None
        if odd is not None:
            odd.name = "Institut für KI & Robotik <Demo>"
        self.no_country = self._new_inst("Demo Research Network (no country)", None, "other", None)
        self.missing = [
            self._new_inst(f"Demo Unlisted Lab {k}", None, "other", None) for k in (1, 2)
        ]

    def institution_records(self) -> list[dict[str, Any]]:
        missing = {i.id for i in self.missing}
        return [i.dehydrated() for i in self.all_institutions if i.id not in missing]

    # -- works ----------------------------------------------------------------------------
    def _author(self, inst: _Institution) -> str:
        pool = inst.authors
        if pool and self.rng.random() < 0.75:
            # Earlier authors come back: a skew towards the first members of the pool.
            return pool[int(len(pool) * self.rng.random() ** 2)]
        self.next_author += 1
        author = f"A9{self.next_author:09d}"
        pool.append(author)
        return author

    def _institution(self, country: str) -> _Institution:
        pool = self.institutions[country]
        return self.rng.choices(pool, cum_weights=self.inst_weights[country])[0]

    def _plan(self, year: int) -> _YearPlan:
        target = {c: self.targets[year].get(c, 0.0) for c in self.countries}
        total_target = sum(target.values())
        largest = max(target.values())
        rates = {c: _intl_rate(c, target[c], largest) for c in self.countries}
        partners: dict[str, tuple[list[str], list[float]]] = {}
        for d in self.countries:
            others = [c for c in self.countries if c != d]
            partners[d] = (
                others,
                _cumulative([target[c] ** 0.8 * _affinity(d, c) for c in others]),
            )
        # Expected full count = own led works + works led abroad that pick c as a partner
        # (~1.3 partners each); a few fixed-point steps make the expected full counts
        # proportional to the real ones.
        lead = {c: target[c] / total_target for c in self.countries}
        for _ in range(4):
            incoming = dict.fromkeys(self.countries, 0.0)
            norm = sum(lead.values())
            for d, (others, cum) in partners.items():
                out = lead[d] / norm * rates[d] * 1.3 / cum[-1]
                previous = 0.0
                for c, upto in zip(others, cum, strict=True):
                    incoming[c] += out * (upto - previous)
                    previous = upto
            lead = {
                c: max(target[c] / total_target - incoming[c], 0.05 * target[c] / total_target)
                for c in self.countries
            }
        return _YearPlan(year, list(lead), _cumulative(list(lead.values())), rates, partners)

    def works(self) -> list[dict[str, Any]]:
        rng = self.rng
        totals = {y: sum(self.targets[y].values()) for y in self.targets}
        grand = sum(totals.values())
        records: list[dict[str, Any]] = []
        for year in sorted(self.targets):
            plan = self._plan(year)
            for _ in range(round(self.total_works * totals[year] / grand)):
                lead = rng.choices(plan.countries, cum_weights=plan.lead_cum)[0]
                records.append(self._work(len(records) + 1, plan, lead))
        return records

    def consortium_works(self, seed: int, first: int) -> list[dict[str, Any]]:
        """A few papers of 120–450 authors in 12–30 countries (a US-led core, most of Europe,
        rarely China), numbered from ``first``; their own generator leaves the rest unchanged."""
        rng = random.Random(seed + 1)
        sizes = {c: sum(self.targets[y].get(c, 0.0) for y in self.targets) for c in self.countries}
        ranked = sorted(self.countries, key=lambda c: (-sizes[c], c))[:45]
        others = [c for c in ranked if c not in ("US", "CN")]
        records: list[dict[str, Any]] = []
        for year, count in sorted(_CONSORTIA.items()):
            # As many per year as in the full demo, in proportion for a smaller corpus.
            for _ in range(round(count * self.total_works / TOTAL_WORKS)):
                n_countries = min(rng.randint(12, 30), len(others) + 1)
                chosen = ["US", *rng.sample(others, n_countries - 1)]
                if rng.random() < 0.2 and "CN" in self.countries:
                    chosen[-1] = "CN"
                n_authors = rng.randint(*_CONSORTIUM_AUTHORS)
                # A third of the authors in the US, the rest spread over the other countries.
                slots = chosen + [
                    "US" if rng.random() < 0.33 else rng.choice(chosen)
                    for _ in range(n_authors - len(chosen))
                ]
                records.append(self._consortium(rng, first + len(records), year, slots))
        return records

    def _consortium(
        self, rng: random.Random, n: int, year: int, slots: list[str]
    ) -> dict[str, Any]:
        authorships = []
        for index, country in enumerate(slots):
            inst = rng.choices(self.institutions[country], cum_weights=self.inst_weights[country])[
                0
            ]
            self.next_author += 1
            author = f"A9{self.next_author:09d}"
            authorships.append(
                {
                    "author_position": "first"
                    if index == 0
                    else ("last" if index == len(slots) - 1 else "middle"),
                    "author": {"id": _OA + author, "display_name": f"Demo Author {author[2:]}"},
                    "institutions": [inst.dehydrated()],
                    "countries": [country],
                    "is_corresponding": index == 0,
                }
            )
        topic_id, topic_name = rng.choice(_TOPICS)
        cited, by_year = _citations(rng, year, 4.0)
        wid = f"W9{n:09d}"
        return {
            "id": _OA + wid,
            "doi": f"https://doi.org/10.5555/demo.{n}",
            "title": f"Synthetic consortium study {n} of {rng.choice(_TITLE_WORDS)}",
            "publication_year": year,
            "publication_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "type": "article",
            "cited_by_count": cited,
            "counts_by_year": by_year,
            "primary_topic": {
                "id": _OA + topic_id,
                "display_name": topic_name,
                "subfield": {
                    "id": _OA + "subfields/1702",
                    "display_name": "Artificial Intelligence",
                },
                "field": {"id": _OA + "fields/17", "display_name": "Computer Science"},
            },
            "is_retracted": False,
            "is_paratext": False,
            "updated_date": _UPDATED,
            "authorships": authorships,
        }

    def _partners(self, lead: str, plan: _YearPlan) -> list[str]:
        k = self.rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
        others, cum = plan.partners[lead]
        chosen: list[str] = []
        for pick in self.rng.choices(others, cum_weights=cum, k=k):
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def _work(self, n: int, plan: _YearPlan, lead: str) -> dict[str, Any]:
        rng = self.rng
        year = plan.year
        n_authors = rng.choices(*_AUTHORS_PER_WORK)[0]
        countries = [lead]
        if n_authors > 1 and rng.random() < plan.rates[lead]:
            countries += self._partners(lead, plan)
        slots = list(countries)[:n_authors]
        while len(slots) < n_authors:
            slots.append(lead if rng.random() < 0.65 else rng.choice(countries))
        head, tail = slots[:1], slots[1:]
        rng.shuffle(tail)
        slots = head + tail
        no_affiliation = rng.random() < 0.02  # the whole work has no country (unattributed)
        corresponding = _corresponding(rng, len(slots))
        authorships = []
        for index, country in enumerate(slots):
            insts: list[_Institution] = []
            roll = rng.random()
            if not no_affiliation and roll >= 0.03:
                insts.append(self._institution(country))
                if roll > 0.96:  # a second affiliation, abroad one time in five
                    abroad = rng.random() < 0.2
                    insts.append(
                        self._institution(rng.choice(self.countries) if abroad else country)
                    )
                elif roll > 0.955:
                    insts.append(rng.choice([self.no_country, *self.missing]))
            author = self._author(insts[0] if insts else self._institution(country))
            codes = sorted({i.country for i in insts if i.country})
            authorships.append(
                {
                    "author_position": "first"
                    if index == 0
                    else ("last" if index == len(slots) - 1 else "middle"),
                    "author": {"id": _OA + author, "display_name": f"Demo Author {author[2:]}"},
                    "institutions": [i.dehydrated() for i in insts],
                    "countries": codes,
                    "is_corresponding": index in corresponding,
                }
            )
        topic_id, topic_name = rng.choice(_TOPICS)
        impact = _IMPACT.get(lead, 1.0) * (1.3 if len(countries) > 1 else 1.0)
        cited, by_year = _citations(rng, year, impact)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        wid = f"W9{n:09d}"
        return {
            "id": _OA + wid,
            "doi": f"https://doi.org/10.5555/demo.{n}",
            "title": f"Synthetic study {n} of {rng.choice(_TITLE_WORDS)}",
            "publication_year": year,
            "publication_date": f"{year}-{month:02d}-{day:02d}",
            "type": rng.choices(("article", "preprint", "book-chapter"), weights=(80, 15, 5))[0],
            "cited_by_count": cited,
            "counts_by_year": by_year,
            "primary_topic": {
                "id": _OA + topic_id,
                "display_name": topic_name,
                "subfield": {
                    "id": _OA + "subfields/1702",
                    "display_name": "Artificial Intelligence",
                },
                "field": {"id": _OA + "fields/17", "display_name": "Computer Science"},
            },
            "is_retracted": rng.random() < 0.001,
            "is_paratext": rng.random() < 0.002,
            "updated_date": _UPDATED,
            "authorships": authorships,
        }


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _corresponding(rng: random.Random, n: int) -> set[int]:
    roll = rng.random()
    if roll < 0.10:
        return set()
    if roll < 0.18 and n > 1:
        return {0, n - 1}  # two flagged: the lead falls back to the first author
    return {n - 1 if rng.random() < 0.3 else 0}


def _citations(rng: random.Random, year: int, impact: float) -> tuple[int, list[dict[str, int]]]:
    """Total citations (lognormal) spread over the years since publication, peaking at age 2."""
    total = int(rng.lognormvariate(math.log(6 * impact), 1.1))
    years = list(range(year, NOW_YEAR + 1))
    weights = [(age + 1) * math.exp(-age / 2.5) for age in range(len(years))]
    per_year = Counter(rng.choices(years, weights=weights, k=total)) if total else Counter()
    # OpenAlex keeps the last ten years of counts_by_year (newest first) and omits zero years.
    by_year = [
        {"year": y, "cited_by_count": per_year[y]}
        for y in sorted(per_year, reverse=True)
        if y > NOW_YEAR - 10
    ]
    return total, by_year


def generate(
    *, seed: int = DEMO_SEED, total_works: int = TOTAL_WORKS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Synthetic work and institution records in OpenAlex's JSON shape, from ``seed``.

    Returns ``(works, institutions)``; the same seed always gives the same records.
    """
    gen = _Generator(seed, total_works)
    works = gen.works()
    works += gen.consortium_works(seed, len(works) + 1)
    return works, gen.institution_records()


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def build_demo(final: Path, *, seed: int = DEMO_SEED, total_works: int = TOTAL_WORKS) -> Path:
    """Build the demo dataset into the folder ``final`` (replacing one that is there)."""
    works, institutions = generate(seed=seed, total_works=total_works)
    real_works = gzip.decompress(_data("real_works.jsonl.gz"))
    real_institutions = gzip.decompress(_data("real_institutions.jsonl.gz"))
    builder = DatasetBuilder(final, filters=WorkFilter(years=DEMO_YEARS))
    builder.discard()  # a half-built demo from an interrupted run is simply rebuilt
    builder = DatasetBuilder(final, filters=WorkFilter(years=DEMO_YEARS))
    by_year: dict[int, list[dict[str, Any]]] = {}
    for record in works:
        by_year.setdefault(record["publication_year"], []).append(record)
    for year, batch in sorted(by_year.items()):
        builder.add_works(
            read_works(_jsonl(batch), source=f"demo {year}"), part=f"synthetic-{year}"
        )
    builder.add_works(read_works(real_works, source="real_works.jsonl.gz"), part="real")
    builder.add_institutions(read_institutions(_jsonl(institutions)), part="synthetic")
    builder.add_institutions(read_institutions(real_institutions), part="real")
    n_real = real_works.count(b"\n")
    builder.finish(
        {
            "source": _SOURCE.format(seed=seed),
            "synthetic": True,
            "seed": seed,
            "generator": "fetchers.demo.generate",
            "calibration": (
                "works per year and per-country full counts follow real OpenAlex AI work counts "
                "(concepts.id:C154945302 grouped by country, 2010–2020), grown log-linearly from "
                f"{FIT_YEARS[0]}–{FIT_YEARS[1]} to later years; {total_works} synthetic works"
            ),
            "real_records": {
                "works": n_real,
                "institutions": real_institutions.count(b"\n"),
                "licence": "CC0 (OpenAlex)",
            },
            "years": list(DEMO_YEARS),
            "licence": "CC0-1.0",
        }
    )
    log.info("built the demo dataset in %s", final)
    return final
