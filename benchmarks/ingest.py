"""Benchmark ``biblio ingest`` on a synthetic OpenAlex snapshot: JSON Lines, Parquet, DuckDB.

Builds (seeded) ``<dir>/snapshot`` in the 2026 layout: ``jsonl/`` (gzip JSON Lines) and
``parquet/`` (snappy Parquet, one schema inferred once per entity, as an export would) holding
the same ``--works`` works in full OpenAlex record shape (abstract index, locations, concepts,
topics, referenced and related works, authorships with institutions: about 12 KB a record,
like real ones), in parts of ``--part-works`` works over four ``updated_date`` partitions, an
institutions entity, one combined ``manifest.json`` per format, and
``legacy-data/merged_ids``. Then it times, each in a fresh process:

- ``jsonl``: :func:`fetchers.snapshot.ingest_snapshot` with ``fmt="jsonl"``;
- ``parquet``: the same with ``fmt="parquet"`` (goal: at least 3x the works/s of ``jsonl``);
- ``duckdb``: the yardstick for the JSON Lines path: DuckDB's ``read_ndjson`` with an explicit
  column spec extracting the same fields of the AI works of 2015-2024 into Parquet, on
  ``--duckdb-threads`` threads (goal: ``jsonl`` at or below its time);

and prints wall time, works/s, CPU seconds, peak RSS, and the ratios. Wall times on a shared
machine depend on its load; the CPU seconds are the steadier figure, and the "free cores"
estimate spreads them over the cores each run can use.

Records come from a pool of distinct templates (``--pool``) in which only the id, publication
year and partition date change, so writing gigabytes takes seconds and each record is still a
different, realistic line to parse. ``--ai-share`` is the share of works whose primary topic is
in subfield 1702 (default 1.0: every record is parsed, normalised and written, the worst case;
real snapshots hold a few percent, where the pre-filter skips most lines).

Usage::

    python benchmarks/ingest.py --works 40000 --dir /tmp/bench-ingest
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from isal import igzip

from biblio.dataset.selection import Selection, WorkFilter
from fetchers.snapshot import ingest_snapshot
from fetchers.snapshot.write import (
    infer_parquet_schema,
    write_combined_manifest,
    write_parquet_part,
)

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


def _write_part(
    args: tuple[Path, str, list[bytes], int, int, str, int, Any],
) -> tuple[str, int, int]:
    """Write one works part as gzip JSON Lines, and as Parquet when a schema is given."""
    root, rel, pool, first_id, count, updated, seed, schema = args
    rng = random.Random(seed)
    path = root / "jsonl" / "works" / f"{rel}.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = []
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
        chunks.append(b"\n".join(lines) + b"\n")
    data = b"".join(chunks)
    with igzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(data)
    if schema is not None:
        write_parquet_part(root / "parquet" / "works" / f"{rel}.parquet", data, schema)
    return rel, count, len(data)


def _template_instance(template: bytes) -> bytes:
    return template % {b"id": b"1", b"year": b"2020", b"updated": b"2024-01-01"}


def build_snapshot(
    root: Path,
    *,
    works: int,
    part_works: int,
    pool_size: int,
    ai_share: float,
    seed: int,
    workers: int,
    parquet: bool = True,
) -> int:
    """Write the synthetic snapshot (2026 layout); return the uncompressed bytes of its works."""
    rng = random.Random(seed)
    institutions = _institutions(rng, 5000)
    pool = [_work_template(rng, institutions, rng.random() < ai_share) for _ in range(pool_size)]
    schema = infer_parquet_schema(_template_instance(t) for t in pool) if parquet else None
    dates = ["2024-03-01", "2024-06-15", "2024-09-30", "2024-12-01"]
    tasks = []
    for k, first in enumerate(range(0, works, part_works)):
        date = dates[k * len(dates) // max(1, -(-works // part_works))]
        rel = f"updated_date={date}/part_{k:04d}"
        count = min(part_works, works - first)
        tasks.append((root, rel, pool, 10**9 + first, count, date, seed + k, schema))
    with multiprocessing.get_context("spawn").Pool(workers) as procs:
        written = procs.map(_write_part, tasks)
    lines = [json.dumps(i, ensure_ascii=False).encode() for i in institutions]
    inst_rel = "updated_date=2024-06-01/part_0000"
    path = root / "jsonl" / "institutions" / f"{inst_rel}.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(igzip.compress(b"\n".join(lines) + b"\n", compresslevel=1))
    formats = {"jsonl": ".gz", "parquet": ".parquet"} if parquet else {"jsonl": ".gz"}
    if parquet:
        write_parquet_part(
            root / "parquet" / "institutions" / f"{inst_rel}.parquet",
            lines,
            infer_parquet_schema(lines),
        )
    for fmt, suffix in formats.items():
        counts = {
            "works": {f"{rel}{suffix}": count for rel, count, _ in written},
            "institutions": {f"{inst_rel}{suffix}": len(lines)},
        }
        write_combined_manifest(root, fmt, counts)
    merged = root / "legacy-data" / "merged_ids" / "works"
    merged.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"2024-05-01,W{10**9 + i},W1\n" for i in range(0, works, 997))
    (merged / "2024-05-01.csv.gz").write_bytes(
        igzip.compress(f"merge_date,id,merge_into_id\n{rows}".encode())
    )
    return sum(size for _, _, size in written)


# --- one measurement, in a fresh process --------------------------------------------------------

_REF = "STRUCT(id VARCHAR)"
#: The fields the dataset reads, as DuckDB column types (normalise.SELECT_FIELDS).
DUCKDB_COLUMNS = {
    "id": "VARCHAR",
    "doi": "VARCHAR",
    "title": "VARCHAR",
    "publication_year": "INTEGER",
    "publication_date": "VARCHAR",
    "type": "VARCHAR",
    "cited_by_count": "BIGINT",
    "counts_by_year": "STRUCT(year INTEGER, cited_by_count BIGINT)[]",
    "primary_topic": f"STRUCT(id VARCHAR, subfield {_REF}, field {_REF})",
    "is_retracted": "BOOLEAN",
    "is_paratext": "BOOLEAN",
    "updated_date": "VARCHAR",
    "authorships": f"STRUCT(author_position VARCHAR, author {_REF}, institutions {_REF}[], "
    "countries VARCHAR[], is_corresponding BOOLEAN)[]",
}


def duckdb_yardstick(files: str, out: Path, *, threads: int) -> int:
    """DuckDB's ``read_ndjson`` with an explicit column spec: the fields above of the AI works
    (primary topic in subfield 1702) of 2015-2024, written to Parquet; returns the rows."""
    import duckdb

    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in DUCKDB_COLUMNS.items()) + "}"
    con = duckdb.connect()
    con.execute(f"SET threads TO {threads}")
    con.execute(
        f"COPY (SELECT * FROM read_ndjson('{files}', columns={columns}, compression='gzip') "
        "WHERE primary_topic.subfield.id = 'https://openalex.org/subfields/1702' "
        f"AND publication_year BETWEEN 2015 AND 2024) TO '{out}' (FORMAT parquet)"
    )
    return int(con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0])  # type: ignore[index]


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(kind: str, folder: Path, *, workers: int, threads: int, selection: str) -> dict:
    """Run one ingest (``jsonl``, ``parquet``) or the DuckDB yardstick; return its figures.
    Peak RSS is this process's high-water mark (``ru_maxrss``): run it in a fresh process."""
    snapshot = folder / "snapshot"
    cpu0, start = _cpu_seconds(), time.perf_counter()
    if kind == "duckdb":
        kept = duckdb_yardstick(
            str(snapshot / "jsonl" / "works" / "*" / "*.gz"),
            folder / "duckdb.parquet",
            threads=threads,
        )
        records = None
    else:
        manifest = ingest_snapshot(
            snapshot,
            folder / "cache" / kind,
            filters=WorkFilter(selections=(Selection.parse(selection),), years=(2015, 2024)),
            fmt=kind,
            workers=workers,
            refresh=True,
        )
        kept, records = manifest["records"]["works"], manifest["snapshot"]["works"]["records"]
    return {
        "kind": kind,
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_seconds() - cpu0,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "kept": kept,
        "records": records,
        "load": os.getloadavg()[0],
    }


def _measure_in_child(kind: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--measure", kind, "--dir", str(args.dir)]
    command += ["--workers", str(args.workers), "--duckdb-threads", str(args.duckdb_threads)]
    command += ["--selection", args.selection]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{kind}: failed\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=40_000)
    parser.add_argument("--part-works", type=int, default=50_000)
    parser.add_argument("--pool", type=int, default=3000, help="distinct record templates")
    parser.add_argument("--ai-share", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2, help="parts ingested at once")
    parser.add_argument("--duckdb-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1702)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/biblio-bench-ingest"))
    parser.add_argument("--keep", action="store_true", help="reuse an existing snapshot")
    parser.add_argument("--selection", default="subfield:1702")
    parser.add_argument("--runs", default="jsonl,parquet,duckdb", help="which to time")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        figures = measure(
            args.measure,
            args.dir,
            workers=args.workers,
            threads=args.duckdb_threads,
            selection=args.selection,
        )
        print(json.dumps(figures))
        return

    snapshot = args.dir / "snapshot"
    t0 = time.perf_counter()
    if args.keep and (snapshot / "jsonl" / "manifest.json").exists():
        size = json.loads((args.dir / "uncompressed.json").read_text())["uncompressed_bytes"]
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
    gz = sum(p.stat().st_size for p in (snapshot / "jsonl" / "works").rglob("*.gz"))
    pq_size = sum(p.stat().st_size for p in (snapshot / "parquet" / "works").rglob("*.parquet"))
    print(
        f"snapshot: {args.works} works, {size / 1e6:,.0f} MB JSON, {gz / 1e6:,.0f} MB gzip, "
        f"{pq_size / 1e6:,.0f} MB Parquet ({size / args.works / 1e3:.1f} KB a record), "
        f"built in {time.perf_counter() - t0:.0f} s"
    )
    runs = {kind: _measure_in_child(kind, args) for kind in args.runs.split(",")}
    cores = os.cpu_count() or 1
    for kind, r in runs.items():
        used = min(cores, args.duckdb_threads if kind == "duckdb" else cores)
        works = r["records"] or args.works
        print(
            f"{kind:8s} {r['seconds']:6.2f} s wall, {works / r['seconds']:>9,.0f} works/s, "
            f"CPU {r['cpu']:6.2f} s ({works / r['cpu']:>9,.0f} works per CPU-s; "
            f"{r['cpu'] / used:.2f} s on {used} free cores), peak RSS "
            f"{r['peak_rss'] / 2**20:,.0f} MiB, {r['kept']} works kept, load {r['load']:.1f}"
        )
    if "jsonl" in runs and "parquet" in runs:
        j, q = runs["jsonl"], runs["parquet"]
        print(
            f"parquet / jsonl works/s: {j['seconds'] / q['seconds']:.1f}x wall, "
            f"{j['cpu'] / q['cpu']:.1f}x CPU (goal: at least 3x)"
        )
    if "jsonl" in runs and "duckdb" in runs:
        j, d = runs["jsonl"], runs["duckdb"]
        print(
            f"jsonl / duckdb time: {j['seconds'] / d['seconds']:.2f} wall, "
            f"{j['cpu'] / d['cpu']:.2f} CPU (goal: at most 1)"
        )


if __name__ == "__main__":
    main()
