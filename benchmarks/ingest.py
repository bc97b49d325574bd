"""Benchmark ``biblio ingest`` on a synthetic OpenAlex snapshot of full-shape work records.

Builds (seeded) ``<dir>/snapshot`` with ``--works`` works in full OpenAlex record shape (abstract
index, locations, concepts, topics, referenced and related works, authorships with
institutions: about 10 KB a record, like real ones), spread over ``updated_date`` partitions of
``--part-works`` works each, an institutions entity and ``merged_ids``; then times
:func:`fetchers.snapshot.ingest_snapshot` with ``--workers`` processes and prints works/s, MB/s of
uncompressed JSON and the peak RSS of the process tree.

Records come from a pool of distinct templates (``--pool``) in which only the id, publication
year and partition date change, so writing gigabytes takes seconds and each record is still a
different, realistic line to parse. ``--ai-share`` is the share of works whose primary topic is
in subfield 1702 (default 1.0: every record is parsed, normalised and written, the worst case;
real snapshots hold a few percent, where the pre-filter skips most lines).

Usage::

    python benchmarks/ingest.py --works 1000000 --dir /work/bench-ingest
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from isal import igzip

from biblio.dataset.builder import DatasetBuilder
from biblio.dataset.selection import Selection, WorkFilter
from fetchers.snapshot import ingest_snapshot, write_entity, write_manifest

OA = "https://openalex.org/"
WORDS = [
    "learning",
    "neural",
    "network",
    "model",
    "data",
    "training",
    "deep",
    "method",
    "results",
    "performance",
    "task",
    "approach",
    "proposed",
    "language",
    "image",
    "graph",
    "attention",
    "transformer",
    "reinforcement",
    "policy",
    "agent",
    "robust",
    "adversarial",
    "optimization",
    "gradient",
    "convex",
    "sparse",
    "representation",
    "embedding",
    "retrieval",
    "generative",
    "diffusion",
    "benchmark",
    "evaluation",
    "dataset",
    "federated",
    "privacy",
    "causal",
    "inference",
    "bayesian",
    "uncertainty",
    "kernel",
    "classification",
    "segmentation",
    "detection",
    "tracking",
    "planning",
]
COUNTRIES = [
    "US",
    "CN",
    "GB",
    "DE",
    "FR",
    "JP",
    "KR",
    "IN",
    "CA",
    "AU",
    "IT",
    "ES",
    "NL",
    "CH",
    "SE",
    "SG",
    "IL",
    "BR",
    "TW",
    "HK",
    "PL",
    "BE",
    "AT",
    "DK",
    "FI",
]
SUBFIELDS = ["1702", "1707", "1705", "1712", "2604", "1703", "1710", "3304"]


def _institutions(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        iid = f"I{100000 + i}"
        parent = f"I{100000 + rng.randrange(0, max(1, n // 20))}" if i > n // 20 else None
        lineage = sorted({OA + iid, *([OA + parent] if parent else [])})
        out.append(
            {
                "id": OA + iid,
                "ror": f"https://ror.org/0{i:07d}",
                "display_name": f"University of {rng.choice(WORDS).title()} {i}",
                "country_code": rng.choice(COUNTRIES),
                "type": rng.choice(["education", "facility", "company", "government"]),
                "type_id": OA + "institution-types/education",
                "lineage": lineage,
                "homepage_url": f"https://u{i}.example.org",
                "display_name_acronyms": [],
                "display_name_alternatives": [f"Univ {i}"],
                "works_count": rng.randrange(100, 100000),
                "cited_by_count": rng.randrange(1000, 10**6),
                "summary_stats": {"2yr_mean_citedness": rng.random() * 5, "h_index": 120},
                "ids": {"openalex": OA + iid, "ror": f"https://ror.org/0{i:07d}"},
                "geo": {"city": "City", "country_code": "US", "latitude": 1.0, "longitude": 2.0},
                "international": {
                    "display_name": {"en": f"University {i}", "fr": f"Université {i}"}
                },
                "associated_institutions": [],
                "counts_by_year": [
                    {"year": y, "works_count": 10, "cited_by_count": 100} for y in range(2015, 2025)
                ],
                "updated_date": "2024-06-01T00:00:00.000000",
                "created_date": "2016-06-24",
            }
        )
    return out


def _work_template(rng: random.Random, institutions: list[dict[str, Any]], ai: bool) -> bytes:
    """One full-shape work record as JSON bytes with %(id)s, %(year)s, %(updated)s slots."""
    subfield = "1702" if ai else rng.choice(SUBFIELDS[1:])
    topic = {
        "id": f"{OA}T{10000 + rng.randrange(999)}",
        "display_name": " ".join(rng.choices(WORDS, k=4)).title(),
        "score": round(rng.random(), 4),
        "subfield": {"id": f"{OA}subfields/{subfield}", "display_name": "Artificial Intelligence"},
        "field": {"id": f"{OA}fields/{subfield[:2]}", "display_name": "Computer Science"},
        "domain": {"id": f"{OA}domains/3", "display_name": "Physical Sciences"},
    }
    topics = [topic] + [
        {
            **topic,
            "id": f"{OA}T{10000 + rng.randrange(999)}",
            "score": round(rng.random(), 4),
            "subfield": {"id": f"{OA}subfields/{rng.choice(SUBFIELDS)}", "display_name": "X"},
        }
        for _ in range(2)
    ]
    source = {
        "id": f"{OA}S{rng.randrange(10**9)}",
        "display_name": " ".join(rng.choices(WORDS, k=5)).title(),
        "issn_l": "1234-5678",
        "issn": ["1234-5678", "8765-4321"],
        "is_oa": False,
        "is_in_doaj": False,
        "is_core": True,
        "host_organization": f"{OA}P4310319808",
        "host_organization_name": "Institute of Electrical and Electronics Engineers",
        "host_organization_lineage": [f"{OA}P4310319808"],
        "host_organization_lineage_names": ["IEEE"],
        "type": "journal",
    }
    location = {
        "is_oa": False,
        "landing_page_url": "https://doi.org/10.1109/%(id)s",
        "pdf_url": None,
        "source": source,
        "license": None,
        "license_id": None,
        "version": "publishedVersion",
        "is_accepted": True,
        "is_published": True,
    }
    authorships: list[dict[str, Any]] = []
    for pos in range(rng.choice([1, 2, 3, 3, 4, 4, 5, 6, 8])):
        insts = rng.sample(institutions, k=rng.choice([0, 1, 1, 1, 2]))
        authorships.append(
            {
                "author_position": "first" if pos == 0 else "middle",
                "author": {
                    "id": f"{OA}A{rng.randrange(5 * 10**9)}",
                    "display_name": " ".join(rng.choices(WORDS, k=2)).title(),
                    "orcid": "https://orcid.org/0000-0001-9252-7690",
                },
                "institutions": [
                    {
                        k: inst[k]
                        for k in ("id", "display_name", "ror", "country_code", "type", "lineage")
                    }
                    for inst in insts
                ],
                "countries": sorted({inst["country_code"] for inst in insts}),
                "is_corresponding": pos == 0,
                "raw_author_name": "A. Author",
                "raw_affiliation_strings": [
                    f"Dept. of CS, {inst['display_name']}" for inst in insts
                ],
                "affiliations": [
                    {
                        "raw_affiliation_string": f"Dept. of CS, {inst['display_name']}",
                        "institution_ids": [inst["id"]],
                    }
                    for inst in insts
                ],
            }
        )
    words = rng.choices(WORDS, k=rng.randrange(70, 140))
    abstract: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        abstract.setdefault(w, []).append(i)
    concepts = [
        {
            "id": f"{OA}C{rng.choice([154945302, 41008148, 119857082, 108583219])}",
            "wikidata": "https://www.wikidata.org/wiki/Q11660",
            "display_name": rng.choice(WORDS),
            "level": rng.randrange(4),
            "score": round(rng.random(), 6),
        }
        for _ in range(rng.randrange(5, 11))
    ]
    record: dict[str, Any] = {
        "id": OA + "W%(id)s",
        "doi": "https://doi.org/10.1109/%(id)s",
        "title": " ".join(rng.choices(WORDS, k=10)).capitalize(),
        "display_name": " ".join(rng.choices(WORDS, k=10)).capitalize(),
        "publication_year": "@YEAR@",
        "publication_date": "%(year)s-05-27",
        "ids": {
            "openalex": OA + "W%(id)s",
            "doi": "https://doi.org/10.1109/%(id)s",
            "mag": "2258907844",
        },
        "language": "en",
        "primary_location": location,
        "type": rng.choice(["article", "article", "article", "preprint", "review"]),
        "type_crossref": "journal-article",
        "indexed_in": ["crossref"],
        "open_access": {
            "is_oa": False,
            "oa_status": "closed",
            "oa_url": None,
            "any_repository_has_fulltext": False,
        },
        "authorships": authorships,
        "institution_assertions": [],
        "countries_distinct_count": len({c for a in authorships for c in a["countries"]}),
        "institutions_distinct_count": len(
            {i["id"] for a in authorships for i in a["institutions"]}
        ),
        "corresponding_author_ids": [a["author"]["id"] for a in authorships[:1]],
        "corresponding_institution_ids": [],
        "apc_list": {"value": 1690, "currency": "USD", "value_usd": 1690},
        "apc_paid": None,
        "fwci": round(rng.random() * 3, 3),
        "has_fulltext": True,
        "fulltext_origin": "ngrams",
        "cited_by_count": rng.randrange(0, 500),
        "citation_normalized_percentile": {
            "value": 0.9,
            "is_in_top_1_percent": False,
            "is_in_top_10_percent": True,
        },
        "cited_by_percentile_year": {"min": 90, "max": 95},
        "biblio": {"volume": "64", "issue": "9", "first_page": "547", "last_page": "560"},
        "is_retracted": rng.random() < 0.002,
        "is_paratext": rng.random() < 0.002,
        "primary_topic": topic,
        "topics": topics,
        "keywords": [
            {"id": f"{OA}keywords/{w}", "display_name": w, "score": 0.5}
            for w in rng.sample(WORDS, 4)
        ],
        "concepts": concepts,
        "mesh": [],
        "locations_count": 2,
        "locations": [location, {**location, "source": {**source, "id": f"{OA}S4306400194"}}],
        "best_oa_location": None,
        "sustainable_development_goals": [
            {
                "id": "https://metadata.un.org/sdg/4",
                "display_name": "Quality education",
                "score": 0.4,
            }
        ],
        "grants": [
            {"funder": f"{OA}F4320332161", "funder_display_name": "NSF", "award_id": "1234567"}
        ],
        "datasets": [],
        "versions": [],
        "referenced_works_count": 0,
        "referenced_works": [f"{OA}W{rng.randrange(10**10)}" for _ in range(rng.randrange(10, 30))],
        "related_works": [f"{OA}W{rng.randrange(10**10)}" for _ in range(10)],
        "abstract_inverted_index": abstract,
        "cited_by_api_url": "https://api.openalex.org/works?filter=cites:W%(id)s",
        "counts_by_year": [
            {"year": y, "cited_by_count": rng.randrange(50)} for y in range(2024, 2015, -1)
        ][: rng.randrange(0, 10)],
        "updated_date": "%(updated)sT05:08:34.606374",
        "created_date": "2016-06-24",
    }
    record["referenced_works_count"] = len(record["referenced_works"])
    text = json.dumps(record, ensure_ascii=False).replace("%", "%%")
    text = text.replace("%%(", "%(").replace('"@YEAR@"', "%(year)s")
    return text.encode()


def _write_part(args: tuple[Path, str, list[bytes], int, int, str, int]) -> tuple[str, int, int]:
    path, rel, pool, first_id, count, updated, seed = args
    rng = random.Random(seed)
    written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with igzip.open(path, "wb", compresslevel=1) as fh:
        for start in range(0, count, 2000):
            lines = [
                pool[rng.randrange(len(pool))]
                % {
                    b"id": b"%d" % (first_id + i),
                    b"year": b"%d" % rng.randrange(2015, 2025),
                    b"updated": updated.encode(),
                }
                for i in range(start, min(count, start + 2000))
            ]
            data = b"\n".join(lines) + b"\n"
            written += len(data)
            fh.write(data)
    return rel, count, written


def build_snapshot(
    root: Path,
    *,
    works: int,
    part_works: int,
    pool_size: int,
    ai_share: float,
    seed: int,
    workers: int,
) -> int:
    """Write the synthetic snapshot; return the uncompressed bytes of its works parts."""
    rng = random.Random(seed)
    institutions = _institutions(rng, 5000)
    pool = [_work_template(rng, institutions, rng.random() < ai_share) for _ in range(pool_size)]
    dates = ["2024-03-01", "2024-06-15", "2024-09-30", "2024-12-01"]
    tasks = []
    for k, first in enumerate(range(0, works, part_works)):
        date = dates[k * len(dates) // max(1, -(-works // part_works))]
        rel = f"updated_date={date}/part_{k:03d}.gz"
        count = min(part_works, works - first)
        tasks.append((root / "works" / rel, rel, pool, 10**9 + first, count, date, seed + k))
    with multiprocessing.get_context("spawn").Pool(workers) as procs:
        written = procs.map(_write_part, tasks)
    write_manifest(root, "works", {rel: count for rel, count, _ in written})
    write_entity(
        root,
        "institutions",
        {
            "updated_date=2024-06-01/part_000.gz": [
                json.dumps(i, ensure_ascii=False).encode() for i in institutions
            ]
        },
    )
    merged = root / "merged_ids" / "works"
    merged.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"2024-05-01,W{10**9 + i},W1\n" for i in range(0, works, 997))
    (merged / "2024-05-01.csv.gz").write_bytes(
        igzip.compress(f"merge_date,id,merge_into_id\n{rows}".encode())
    )
    return sum(size for _, _, size in written)


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _PeakRSS:
    """Samples the RSS of this process and all its children every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def __enter__(self) -> _PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--part-works", type=int, default=50_000)
    parser.add_argument("--pool", type=int, default=3000, help="distinct record templates")
    parser.add_argument("--ai-share", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1702)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/biblio-bench-ingest"))
    parser.add_argument("--keep", action="store_true", help="reuse an existing snapshot")
    parser.add_argument("--selection", default="subfield:1702")
    args = parser.parse_args()

    snapshot = args.dir / "snapshot"
    t0 = time.perf_counter()
    if args.keep and (snapshot / "works" / "manifest").exists():
        size = sum(
            json.loads(p.read_text())["uncompressed_bytes"]
            for p in [args.dir / "uncompressed.json"]
        )
    else:
        shutil.rmtree(args.dir, ignore_errors=True)
        size = build_snapshot(
            snapshot,
            works=args.works,
            part_works=args.part_works,
            pool_size=args.pool,
            ai_share=args.ai_share,
            seed=args.seed,
            workers=args.workers,
        )
        (args.dir / "uncompressed.json").write_text(json.dumps({"uncompressed_bytes": size}))
    gz = sum(p.stat().st_size for p in (snapshot / "works").rglob("*.gz"))
    print(
        f"snapshot: {args.works} works, {size / 1e9:.2f} GB JSON, {gz / 1e9:.2f} GB gzip "
        f"({size / args.works / 1e3:.1f} KB a record), built in {time.perf_counter() - t0:.0f} s"
    )

    finish_time, finish_cpu = [0.0], [0.0]
    original_finish = DatasetBuilder.finish

    def timed_finish(self: DatasetBuilder, *a: Any, **kw: Any) -> dict[str, Any]:
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        try:
            return original_finish(self, *a, **kw)
        finally:
            finish_time[0] = time.perf_counter() - start
            finish_cpu[0] = _cpu_seconds() - cpu_start

    DatasetBuilder.finish = timed_finish  # type: ignore[method-assign]
    filters = WorkFilter(selections=(Selection.parse(args.selection),))
    load = os.getloadavg()[0]
    cpu0 = _cpu_seconds()
    with _PeakRSS() as rss:
        start = time.perf_counter()
        manifest = ingest_snapshot(
            snapshot,
            args.dir / "cache" / "bench",
            filters=filters,
            workers=args.workers,
            refresh=True,
            progress=None,
        )
        elapsed = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu0
    works_in = manifest["snapshot"]["works"]["records"]
    print(
        f"ingest: {elapsed:.1f} s with {args.workers} workers "
        f"(parts {elapsed - finish_time[0]:.1f} s, finish {finish_time[0]:.1f} s); "
        f"{manifest['records']['works']} works kept, {manifest['records']['authorships']} "
        f"authorships, {manifest['records']['institutions']} institutions"
    )
    print(f"works/s: {works_in / elapsed:,.0f}")
    print(f"MB/s uncompressed JSON: {size / elapsed / 1e6:,.0f}")
    print(f"peak RSS (process tree): {rss.peak / 2**20:,.0f} MiB")
    parts_cpu = cpu - finish_cpu[0]
    cores = os.cpu_count() or 1
    print(
        f"CPU: {cpu:.1f} s ({size / cpu / 1e6:,.0f} MB of JSON per CPU-second): parts "
        f"{parts_cpu:.1f} s, finish {finish_cpu[0]:.1f} s; load average before the run {load:.1f}"
    )
    # With the machine to itself, parts spread over the workers and finish runs after them,
    # on every core at best and on one at worst.
    used = min(cores, args.workers)
    best = parts_cpu / used + finish_cpu[0] / cores
    worst = parts_cpu / used + finish_cpu[0]
    print(
        f"CPU-bound estimate with {used} free cores: {best:.0f}-{worst:.0f} s, "
        f"{size / worst / 1e6:,.0f}-{size / best / 1e6:,.0f} MB/s, "
        f"{works_in / worst:,.0f}-{works_in / best:,.0f} works/s"
    )


if __name__ == "__main__":
    main()
