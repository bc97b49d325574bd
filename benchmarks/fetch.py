"""Benchmark ``biblio fetch`` against the local OpenAlex with 300 ms per page.

Starts :class:`tests.openalex_server.OpenAlexServer` in this process with ``--latency`` seconds per
answer (0.3: a real OpenAlex page round trip), serving ``--works`` synthetic AI works (2015–2024,
about 22 % more each year, 1–8 authorships with nested institutions, ``counts_by_year``: roughly
the size of a real record under the fetcher's ``select``) and their institutions. Then, each in
its own child process, which reports its own peak RSS (``VmHWM``) and CPU time:

- **ours**: :func:`fetchers.api.fetch_dataset` with ``--rate`` (100/s) and ``--workers`` (16),
  the whole fetch: planning, works, institutions, de-duplication and the published dataset;
- **sequential**: what common clients do: one cursor over the same query, ``per_page=100``,
  pages decoded with ``json`` and kept in a list (no institutions, nothing written).

Prints works/s, API calls per 1,000 works (the floor is 10 at 100 a page) and peak RSS.
Sequential runs longer than ``--sequential-max`` works are extrapolated from a run over the first
``--sequential-max`` works (pages cost the same latency whatever the corpus size; said in the
output).

Usage::

    python benchmarks/fetch.py                       # 20k and 200k works
    python benchmarks/fetch.py --works 20000 --latency 0.3 --workers 16 --rate 100
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OA = "https://openalex.org/"
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
    "ZA",
    "NG",
    "EG",
]
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
    "sparse",
    "representation",
    "embedding",
    "retrieval",
    "generative",
]
YEARS = range(2015, 2025)


def institutions(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """``n`` institution records; one in five is a child of one of the first twentieth."""
    out = []
    for i in range(n):
        iid = f"I{100000 + i}"
        lineage = [OA + iid]
        if i >= n // 20 and rng.random() < 0.2:
            lineage.append(OA + f"I{100000 + rng.randrange(n // 20)}")
        country = COUNTRIES[i % len(COUNTRIES)]
        out.append(
            {
                "id": OA + iid,
                "ror": f"https://ror.org/0{i:08d}",
                "display_name": f"Institute {i}",
                "country_code": country,
                "type": "education",
                "lineage": sorted(lineage),
            }
        )
    return out


def works(n: int, pool: list[dict[str, Any]], seed: int = 7) -> list[dict[str, Any]]:
    """``n`` synthetic AI works in the shape the fetcher's ``select`` returns."""
    rng = random.Random(seed)
    weights = [1.22**k for k in range(len(YEARS))]
    years = rng.choices(list(YEARS), weights, k=n)
    out = []
    for i, year in enumerate(years):
        authorships = []
        for k in range(rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))):
            inst = [pool[rng.randrange(len(pool))] for _ in range(rng.choice((0, 1, 1, 1, 2)))]
            authorships.append(
                {
                    "author_position": "first" if k == 0 else "middle",
                    "author": {
                        "id": f"{OA}A{rng.randrange(10**9)}",
                        "display_name": "A. Author",
                        "orcid": None,
                    },
                    "institutions": [
                        {
                            "id": r["id"],
                            "display_name": r["display_name"],
                            "ror": r["ror"],
                            "country_code": r["country_code"],
                            "type": r["type"],
                            "lineage": r["lineage"],
                        }
                        for r in inst
                    ],
                    "countries": sorted({r["country_code"] for r in inst}),
                    "is_corresponding": k == 0,
                    "raw_author_name": "A. Author",
                    "raw_affiliation_strings": [f"Dept. of CS, {r['display_name']}" for r in inst],
                }
            )
        day = rng.randrange(365)
        out.append(
            {
                "id": f"{OA}W{4000000000 + i}",
                "doi": f"https://doi.org/10.1234/w{i}",
                "title": " ".join(rng.choices(WORDS, k=9)).capitalize(),
                "publication_year": year,
                "publication_date": date.fromordinal(
                    date(year, 1, 1).toordinal() + day
                ).isoformat(),
                "type": "article",
                "cited_by_count": rng.randrange(200),
                "counts_by_year": [
                    {"year": y, "cited_by_count": rng.randrange(20)} for y in range(2025, year, -1)
                ][:10],
                "primary_topic": {
                    "id": f"{OA}T10{rng.randrange(100, 999)}",
                    "display_name": "Machine learning",
                    "subfield": {"id": f"{OA}subfields/1702", "display_name": "AI"},
                    "field": {"id": f"{OA}fields/17", "display_name": "Computer Science"},
                },
                "is_retracted": False,
                "is_paratext": False,
                "updated_date": "2025-06-01T05:00:00.000000",
                "authorships": authorships,
            }
        )
    return out


# -- the two clients, each run in a child process ---------------------------------------------
def child_ours(url: str, rate: float, workers: int) -> dict[str, Any]:
    from biblio.dataset.selection import WorkFilter
    from fetchers.api import fetch_dataset

    folder = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    try:
        start = time.perf_counter()
        manifest = fetch_dataset(
            folder / "bench",
            filters=WorkFilter(years=(2015, 2024)),
            base_url=url,
            rate=rate,
            workers=workers,
            progress=None,
        )
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert manifest is not None
    return {
        "seconds": seconds,
        "works": manifest["records"]["works"],
        "institutions": manifest["records"]["institutions"],
        "calls": manifest["api_calls"],
        "partitions": manifest["partitions"],
    }


def child_sequential(url: str, limit: int) -> dict[str, Any]:
    import requests

    session = requests.Session()
    from biblio.dataset.normalise import SELECT_FIELDS

    params = {
        "filter": "primary_topic.subfield.id:1702,publication_year:2015-2024",
        "select": ",".join(SELECT_FIELDS),
        "per_page": "100",
        "cursor": "*",
    }
    results: list[dict[str, Any]] = []
    calls = 0
    start = time.perf_counter()
    while params["cursor"] and len(results) < limit:
        page = session.get(f"{url}/works", params=params, timeout=60).json()
        calls += 1
        results.extend(page["results"])
        params["cursor"] = page["meta"]["next_cursor"]
    return {"seconds": time.perf_counter() - start, "works": len(results), "calls": calls}


def peak_rss_mib() -> float:
    """This process's peak resident memory since it started its program (``VmHWM``).

    ``ru_maxrss`` would also count the pages the child shared with its (large) parent between
    fork and exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: list[str]) -> dict[str, Any]:
    """Run this script as a child; return its JSON answer and CPU seconds."""
    process = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"child {args[0]} failed with status {status}")
    answer: dict[str, Any] = json.loads(out)
    answer["cpu"] = usage.ru_utime + usage.ru_stime
    return answer


def bench(n: int, args: argparse.Namespace) -> dict[str, Any]:
    from tests.openalex_server import OpenAlexServer

    pool = institutions(max(200, n // 10), random.Random(11))
    t = time.perf_counter()
    records = works(n, pool)
    with OpenAlexServer(records, pool, latency=args.latency) as server:
        from biblio.dataset.normalise import SELECT_FIELDS
        from fetchers.api import INSTITUTION_FIELDS

        server.prepare("works", SELECT_FIELDS)
        server.prepare("institutions", INSTITUTION_FIELDS)
        print(
            f"\n{n:,} works, {len(pool):,} institutions ready in "
            f"{time.perf_counter() - t:.0f} s; latency {args.latency * 1000:.0f} ms a page",
            flush=True,
        )
        cpu = time.process_time()
        ours = run_child(["--child", "ours", server.url, str(args.rate), str(args.workers)])
        ours["server_cpu"] = time.process_time() - cpu
        limit = min(n, args.sequential_max)
        seq = run_child(["--child", "sequential", server.url, str(limit)])
    seq_rate = seq["works"] / seq["seconds"]
    ours_rate = ours["works"] / ours["seconds"]
    extrapolated = seq["works"] < n
    print(
        f"  ours       {ours['works']:>8,} works in {ours['seconds']:7.1f} s = "
        f"{ours_rate:8,.0f} works/s, {ours['calls']:,} API calls "
        f"({1000 * ours['calls'] / ours['works']:.2f} per 1,000 works; "
        f"{ours['partitions']} partitions, institutions included), "
        f"peak RSS {ours['peak_rss_mib']:,.0f} MiB, CPU {ours['cpu']:.0f} s "
        f"(server {ours['server_cpu']:.0f} s)"
    )
    note = (
        (
            f" (measured over the first {seq['works']:,} works; {n:,} would take "
            f"~{n / seq_rate:,.0f} s)"
        )
        if extrapolated
        else ""
    )
    print(
        f"  sequential {seq['works']:>8,} works in {seq['seconds']:7.1f} s = "
        f"{seq_rate:8,.0f} works/s, {1000 * seq['calls'] / seq['works']:.2f} calls per 1,000 "
        f"works, peak RSS {seq['peak_rss_mib']:,.0f} MiB, CPU {seq['cpu']:.0f} s{note}"
    )
    print(f"  speed-up   {ours_rate / seq_rate:.1f}x", flush=True)
    return {"works": n, "ours": ours, "sequential": seq}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--sequential-max", type=int, default=20_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, url, *rest = args.child
        if kind == "ours":
            answer = child_ours(url, float(rest[0]), int(rest[1]))
        else:
            answer = child_sequential(url, int(rest[0]))
        answer["peak_rss_mib"] = peak_rss_mib()
        print(json.dumps(answer))
        return 0
    sys.path.insert(0, str(ROOT))  # tests.openalex_server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(4096, hard)), hard))
    for n in args.works:
        bench(n, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
