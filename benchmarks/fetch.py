"""Benchmark ``biblio fetch`` against the local OpenAlex with 300 ms per answer.

Starts :class:`tests.openalex_server.OpenAlexServer` in this process with ``--latency`` seconds per
answer (0.3: a real OpenAlex page round trip), serving ``--works`` synthetic AI works (2015–2024,
about 22 % more each year, 1–8 authorships with nested institutions, ``counts_by_year``: roughly
the size of a real record under the fetcher's ``select``; ``--big-teams`` of them, 0.5 % by
default, with 101–400 authorships, which the server cuts at 100 in list answers as OpenAlex does)
and their institutions. Then, each in its own child process, which reports its own peak RSS
(``VmHWM``) and CPU time:

- **ours**: :func:`fetchers.api.fetch_dataset` with the default settings (``--rate`` 10/s,
  ``--workers`` 8), the whole fetch: plan, works, whole records of the big teams, institutions,
  OpenAlex's own counts, de-duplication and the published dataset; with ``--fast`` also at
  100/s and 16 workers;
- **sequential** (``--sequential``): what common clients do: one cursor over the same query,
  ``per_page=100``, pages decoded with ``json`` and kept in a list (no institutions, nothing
  written, author lists left cut), over the first ``--sequential-max`` works.

Prints works/s, list calls (charged against the daily budget) and single-work calls (free) per
1,000 works, and peak RSS (per phase, and its anonymous part: without the pages of the mapped
Arrow files). ``--resume N`` measures, on N works, a fetch cut by the budget after half its list
calls and resumed "the next day" (a new budget, every cursor of the first day refused): its list
calls as a ratio of one uninterrupted fetch, and that both datasets are equal.

Usage::

    python benchmarks/fetch.py                       # 20k and 200k works, and the resume ratio
    python benchmarks/fetch.py --works 20000 --fast --sequential --resume 20000
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


def works(
    n: int, pool: list[dict[str, Any]], seed: int = 7, big_teams: float = 0.005
) -> list[dict[str, Any]]:
    """``n`` synthetic AI works in the shape the fetcher's ``select`` returns.

    A share ``big_teams`` of them has 101–400 authorships (cut at 100 in list answers).
    """
    rng = random.Random(seed)
    weights = [1.22**k for k in range(len(YEARS))]
    years = rng.choices(list(YEARS), weights, k=n)
    out = []
    for i, year in enumerate(years):
        authorships = []
        big = rng.random() < big_teams
        size = rng.randrange(101, 401) if big else rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))
        for k in range(size):
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


# -- the clients, each run in a child process ----------------------------------------------
class _Sampler:
    """Samples this process's resident memory (``VmRSS``) while tagging it with the phase.

    Also its anonymous part (``RssAnon``: the heap, without the pages of the memory-mapped Arrow
    files, which the kernel can drop at any time), per phase too.
    """

    def __init__(self, interval: float = 0.1) -> None:
        import threading

        self.phase = "plan"
        self.peaks: dict[str, float] = {}
        self.anon: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def progress(self, p: Any) -> None:
        self.phase = p.phase

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            for line in Path("/proc/self/status").read_text().splitlines():
                for key, peaks in (("VmRSS:", self.peaks), ("RssAnon:", self.anon)):
                    if line.startswith(key):
                        rss = int(line.split()[1]) / 1024
                        peaks[self.phase] = max(peaks.get(self.phase, 0.0), rss)

    def close(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def child_ours(url: str, rate: float, workers: int, folder: str) -> dict[str, Any]:
    """Fetch into ``folder/bench``; a budget stop is an answer too (``stopped``).

    Peak RSS is also sampled per phase: ``works`` (paging), ``institutions`` (then OpenAlex's
    own counts), ``finish`` (de-duplication, final tables, validation.csv, publishing).
    """
    from biblio.dataset.builder import DatasetBuilder
    from biblio.dataset.selection import WorkFilter
    from biblio.errors import BudgetExhausted
    from fetchers.api import fetch_dataset

    sampler = _Sampler()
    finish = DatasetBuilder.finish

    def tagged(self: DatasetBuilder, *a: Any, **k: Any) -> dict[str, Any]:
        sampler.phase = "finish"
        return finish(self, *a, **k)

    DatasetBuilder.finish = tagged  # type: ignore[method-assign]  # only to tag the samples
    start = time.perf_counter()
    try:
        manifest = fetch_dataset(
            Path(folder) / "bench",
            filters=WorkFilter(years=(2015, 2024)),
            base_url=url,
            rate=rate,
            workers=workers,
            progress=sampler.progress,
        )
    except BudgetExhausted as exc:
        return {"stopped": str(exc), "seconds": time.perf_counter() - start}
    finally:
        peaks = sampler.close()
    return {
        "seconds": time.perf_counter() - start,
        "works": manifest["records"]["works"],
        "institutions": manifest["records"]["institutions"],
        "calls": manifest["api_calls"],
        "whole": manifest["works_fetched_whole"],
        "partitions": manifest["partitions"],
        "phase_rss_mib": peaks,
        "phase_anon_mib": sampler.anon,
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


def _serve(n: int, args: argparse.Namespace) -> tuple[Any, list[dict[str, Any]]]:
    from tests.openalex_server import OpenAlexServer

    pool = institutions(max(200, n // 10), random.Random(11))
    t = time.perf_counter()
    records = works(n, pool, big_teams=args.big_teams)
    server = OpenAlexServer(records, pool, latency=args.latency)
    from biblio.dataset.normalise import SELECT_FIELDS
    from fetchers.api import INSTITUTION_FIELDS

    server.prepare("works", (*SELECT_FIELDS, "is_authors_truncated"))
    server.prepare("institutions", INSTITUTION_FIELDS)
    big = sum(1 for r in records if len(r["authorships"]) > 100)
    print(
        f"\n{n:,} works ({big:,} with more than 100 authorships), {len(pool):,} institutions "
        f"ready in {time.perf_counter() - t:.0f} s; latency {args.latency * 1000:.0f} ms a page",
        flush=True,
    )
    return server, records


def _ours(server: Any, rate: float, workers: int, folder: Path) -> dict[str, Any]:
    server.reset()
    cpu = time.process_time()
    answer = run_child(["--child", "ours", server.url, str(rate), str(workers), str(folder)])
    answer["server_cpu"] = time.process_time() - cpu
    answer["list_calls"] = server.list_calls()
    answer["single_calls"] = server.single_calls()
    return answer


def bench(n: int, args: argparse.Namespace) -> dict[str, Any]:
    server, _ = _serve(n, args)
    results: dict[str, Any] = {"works": n}
    settings = [("default", 10.0, 8)] + ([("fast", args.rate, args.workers)] if args.fast else [])
    with server:
        for name, rate, workers in settings:
            folder = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
            try:
                ours = _ours(server, rate, workers, folder)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            results[name] = ours
            per = 1000 / ours["works"]
            print(
                f"  ours ({name}: {rate:g}/s, {workers} workers) {ours['works']:>8,} works in "
                f"{ours['seconds']:7.1f} s = {ours['works'] / ours['seconds']:7,.0f} works/s; "
                f"per 1,000 works {ours['list_calls'] * per:.2f} list calls + "
                f"{ours['single_calls'] * per:.2f} single-work calls = "
                f"{(ours['list_calls'] + ours['single_calls']) * per:.2f} "
                f"({ours['partitions']} partitions, {ours['whole']:,} works fetched whole); "
                f"peak RSS {ours['peak_rss_mib']:,.0f} MiB ("
                + ", ".join(f"{k} {v:,.0f}" for k, v in ours["phase_rss_mib"].items())
                + "; anonymous: "
                + ", ".join(f"{k} {v:,.0f}" for k, v in ours["phase_anon_mib"].items())
                + f"), CPU {ours['cpu']:.0f} s (server {ours['server_cpu']:.0f} s)",
                flush=True,
            )
        if args.sequential:
            limit = min(n, args.sequential_max)
            seq = run_child(["--child", "sequential", server.url, str(limit)])
            rate_seq = seq["works"] / seq["seconds"]
            note = f" (the first {seq['works']:,} works)" if seq["works"] < n else ""
            print(
                f"  sequential {seq['works']:>8,} works in {seq['seconds']:7.1f} s = "
                f"{rate_seq:7,.0f} works/s{note}, {1000 * seq['calls'] / seq['works']:.2f} calls "
                f"per 1,000 works, peak RSS {seq['peak_rss_mib']:,.0f} MiB",
                flush=True,
            )
            results["sequential"] = seq
    return results


def _tables(folder: Path) -> dict[str, Any]:
    import polars as pl

    keys = {"works": "work_id", "authorships": ["work_id", "author_index"]}
    keys["institutions"] = "institution_id"
    return {t: pl.read_ipc(folder / "bench" / f"{t}.arrow").sort(k) for t, k in keys.items()}


def resume(n: int, args: argparse.Namespace) -> float:
    """List calls of a fetch cut after half its budget and resumed the next day, as a ratio."""
    server, _ = _serve(n, args)
    one_go, two_days = (Path(tempfile.mkdtemp(prefix="bench-fetch-")) for _ in range(2))
    try:
        with server:
            whole = _ours(server, 10.0, 8, one_go)
            budget = server.budget = whole["list_calls"] // 2
            day_one = _ours(server, 10.0, 8, two_days)
            assert "stopped" in day_one, day_one
            server.budget = None
            server.expire_cursors()  # the next day: a new budget, yesterday's cursors refused
            day_two = _ours(server, 10.0, 8, two_days)
        a, b = _tables(one_go), _tables(two_days)
        same = all(a[t].equals(b[t]) for t in a)
    finally:
        for folder in (one_go, two_days):
            shutil.rmtree(folder, ignore_errors=True)
    ratio = (day_one["list_calls"] + day_two["list_calls"]) / whole["list_calls"]
    print(
        f"  two days: {day_one['list_calls']:,} list calls on day 1 (stopped by the budget of "
        f"{budget:,}), {day_two['list_calls']:,} on day 2, against "
        f"{whole['list_calls']:,} in one go: {ratio:.3f}x; the same dataset: {same}",
        flush=True,
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--big-teams", type=float, default=0.005)
    parser.add_argument("--fast", action="store_true", help="also at --rate and --workers")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--sequential", action="store_true")
    parser.add_argument("--sequential-max", type=int, default=20_000)
    parser.add_argument("--resume", type=int, default=20_000, help="0: skip the resume ratio")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, url, *rest = args.child
        if kind == "ours":
            answer = child_ours(url, float(rest[0]), int(rest[1]), rest[2])
        else:
            answer = child_sequential(url, int(rest[0]))
        answer["peak_rss_mib"] = peak_rss_mib()
        print(json.dumps(answer))
        return 0
    sys.path.insert(0, str(ROOT))  # tests.openalex_server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(4096, hard)), hard))
    if args.resume:
        resume(args.resume, args)
    for n in args.works:
        bench(n, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
