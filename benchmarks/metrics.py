"""Benchmark of the metrics engine against two house yardsticks (DuckDB SQL, plain pandas).

Run from the repository root (``pip install -e .[bench]`` first)::

    python3 benchmarks/metrics.py                          # 1M and 3M works, seed 7, year 2024
    python3 benchmarks/metrics.py --works 200000 --repeat 1
    python3 benchmarks/metrics.py --skip-pandas            # pandas on 3M needs ~10 GB and minutes
    python3 benchmarks/metrics.py --check-contract tests/data/contract-examples
    python3 benchmarks/metrics.py --biblio-ref worktree    # time the files on disk, not HEAD

biblio is timed at a committed ref (``--biblio-ref``, default ``HEAD``): its ``biblio/`` and
``fetchers/`` are exported once under ``benchmarks/out/src-<sha>/`` and put first on every
child's ``PYTHONPATH``, so colleagues editing the tree cannot change the engine mid-run.

For every corpus size it builds (or finds, cached under ``benchmarks/out/``) a seeded synthetic
OpenAlex-shaped dataset (:mod:`synth`), then times, each in a fresh subprocess, for one year
(``--year``) and for all years (2015 to ``--year``):

- ``biblio api``: ``compute_tables(open_dataset(path), MetricOptions(years=...))``, every table;
- ``biblio cli``: the ``biblio metrics PATH --years ... --out DIR`` process, every table written
  as parquet and CSV;
- ``duckdb``: :mod:`yardsticks.duckdb_sql`, hand-written SQL over the same Arrow files;
- ``pandas``: :mod:`yardsticks.pandas_script`, explode/groupby/merge as an analyst writes it.

``seconds`` is the best of ``--repeat`` runs (``--all-years-repeat`` for all years). For
``api``, ``duckdb`` and ``pandas`` it is the time from the Arrow files on disk to the result
frames in memory (file reads included, interpreter start and imports excluded); for ``cli`` it is
the whole process (start, imports, writing the tables). ``peak RSS`` is the child's maximum
resident set (``wait4`` rusage), the largest over the repeats; ``CPU s`` is the child's user +
system time, which moves much less than wall time when other jobs share the machine. The
yardsticks compute a subset (output, citation shares, co-authorship counts, institutions above
the threshold, active researchers; country units only) while biblio computes every table, so the
comparison favours the yardsticks.

It prints, per corpus: the corpus shape, a table of seconds and peak RSS per method and scope, the
targets (one year of 3M works under 15 s and 3 GB; faster than DuckDB; 5x faster than pandas),
and the agreement of each yardstick with biblio (max abs difference per figure and column, with
examples of any disagreement). All figures are also written to
``benchmarks/out/results-n<works>-<sha>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script or imported by path
    sys.path.insert(0, str(HERE))

import polars as pl  # noqa: E402
import synth  # noqa: E402
from yardsticks.compare import Difference, compare, from_biblio, read_tables  # noqa: E402

OUT = HERE / "out"
METHODS = ("biblio-api", "biblio-cli", "duckdb", "pandas")
TARGET_SECONDS, TARGET_RSS_GB, PANDAS_FACTOR = 15.0, 3.0, 5.0


# --- measuring one run in a subprocess ---------------------------------------------------------


@dataclass
class Run:
    """One timed subprocess."""

    method: str
    scope: str
    seconds: float | None  # the figure reported (see the module docstring)
    wall: float  # the whole process
    rss_gb: float
    ok: bool
    cpu: float = 0.0  # user + system CPU seconds of the whole process (less load-sensitive)
    note: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def _child(argv: Sequence[str]) -> int:
    """Inside the measured subprocess: compute, time, then save results (untimed)."""
    parser = argparse.ArgumentParser(prog="metrics.py --child")
    parser.add_argument("method", choices=("biblio-api", "duckdb", "pandas"))
    parser.add_argument("dataset", type=Path)
    parser.add_argument("first", type=int)
    parser.add_argument("last", type=int)
    parser.add_argument("result", type=Path)
    parser.add_argument("--save", action="store_true", help="write the result tables")
    args = parser.parse_args(argv)
    years = (args.first, args.last)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    tables: Mapping[str, pl.DataFrame]
    if args.method == "biblio-api":
        from biblio.io import open_dataset
        from biblio.tables import MetricOptions, compute_tables

        timings["import"] = time.perf_counter() - start
        start = time.perf_counter()
        tables = compute_tables(open_dataset(args.dataset), MetricOptions(years=years))
    elif args.method == "duckdb":
        from yardsticks import duckdb_sql

        timings["import"] = time.perf_counter() - start
        start = time.perf_counter()
        tables = duckdb_sql.compute(args.dataset, years)
    else:
        from yardsticks import pandas_script

        timings["import"] = time.perf_counter() - start
        start = time.perf_counter()
        tables = pandas_script.compute(args.dataset, years)
    timings["compute"] = time.perf_counter() - start
    args.result.mkdir(parents=True, exist_ok=True)
    if args.save:
        for name, frame in tables.items():
            frame.write_parquet(args.result / f"{name}.parquet")
    (args.result / "timing.json").write_text(json.dumps(timings))
    return 0


def pin_biblio(ref: str, out: Path) -> str:
    """Run every child against ``ref``'s committed ``biblio/`` and ``fetchers/`` (exported once
    under ``out``), so a tree that others are editing cannot change the engine mid-benchmark.

    ``worktree`` uses the files on disk instead. Returns a description of what is measured.
    """
    root = HERE.parent
    if ref == "worktree":
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "biblio", "fetchers"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return "working tree" + (" (with uncommitted changes)" if dirty else "")
    sha = subprocess.run(
        ["git", "rev-parse", ref], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    source = out / f"src-{sha[:12]}"
    if not (source / "biblio" / "__init__.py").exists():
        staging = out / f".src-{sha[:12]}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", sha, "biblio", "fetchers"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(staging)], input=archive, check=True)
        shutil.rmtree(source, ignore_errors=True)
        staging.rename(source)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(source), os.environ.get("PYTHONPATH", "")) if p
    )
    subject = subprocess.run(
        ["git", "log", "-1", "--format=%h %s", sha, "--", "biblio", "fetchers"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return f"{ref} = {sha[:12]}; last change to biblio/fetchers: {subject}"


def _biblio_command() -> list[str]:
    found = shutil.which("biblio")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from biblio.cli import main; sys.exit(main())"]


def _measure(
    command: list[str], timeout: float, log: Path
) -> tuple[float, float, float, int, bool]:
    """Run ``command``; return (wall s, CPU s, peak RSS GB, exit status, timed out)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss * 1024 / 1e9, proc.returncode, killed.is_set()


def measure(
    method: str,
    dataset: Path,
    years: tuple[int, int],
    scope: str,
    work: Path,
    *,
    timeout: float,
    save: bool,
) -> Run:
    """Time ``method`` once in a fresh process; keep its tables in ``work`` if ``save``."""
    if work.exists():
        shutil.rmtree(work)
    span = f"{years[0]}" if years[0] == years[1] else f"{years[0]}-{years[1]}"
    if method == "biblio-cli":
        command = [*_biblio_command(), "metrics", str(dataset), "--years", span, "--out", str(work)]
    else:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            method,
            str(dataset),
            str(years[0]),
            str(years[1]),
            str(work),
        ]
        if save:
            command.append("--save")
    wall, cpu, rss, status, timed_out = _measure(command, timeout, work.with_suffix(".log"))
    if timed_out:
        return Run(method, scope, None, wall, rss, False, cpu, f"stopped after {timeout:.0f} s")
    if status != 0:
        tail = work.with_suffix(".log").read_text(errors="replace").strip().splitlines()[-3:]
        return Run(method, scope, None, wall, rss, False, cpu, f"exit {status}: {' | '.join(tail)}")
    if method == "biblio-cli":
        return Run(method, scope, wall, wall, rss, True, cpu)
    timings = json.loads((work / "timing.json").read_text())
    return Run(method, scope, timings["compute"], wall, rss, True, cpu, timings=timings)


def best_of(runs: list[Run]) -> Run:
    """The fastest successful run, with the least CPU time and the largest peak RSS of all."""
    good = [r for r in runs if r.ok and r.seconds is not None]
    if not good:
        return runs[-1]
    best = min(good, key=lambda r: r.seconds or 0.0)
    spread = [r.seconds for r in good if r.seconds is not None]
    note = ""
    if len(spread) > 1:
        note = f"runs {', '.join(f'{s:.1f}' for s in spread)} s"
    return Run(
        best.method,
        best.scope,
        best.seconds,
        best.wall,
        max(r.rss_gb for r in runs),
        True,
        min(r.cpu for r in good),
        note,
        best.timings,
    )


# --- reporting ---------------------------------------------------------------------------------


def _fmt_seconds(run: Run | None) -> str:
    if run is None:
        return "skipped"
    return f"{run.seconds:8.2f}" if run.ok and run.seconds is not None else "failed"


def print_table(works: int, runs: Mapping[tuple[str, str], Run | None]) -> None:
    print(f"\n== {works:,} works: seconds (best) and peak RSS ==")
    print(
        f"{'method':<12} {'scope':<10} {'seconds':>9} {'process s':>10} {'CPU s':>8} "
        f"{'peak RSS':>10}  notes"
    )
    for (method, scope), run in runs.items():
        if run is None:
            print(f"{method:<12} {scope:<10} {'skipped':>9}")
            continue
        print(
            f"{method:<12} {scope:<10} {_fmt_seconds(run):>9} {run.wall:10.2f} {run.cpu:8.2f} "
            f"{run.rss_gb:7.2f} GB  {run.note}"
        )


def print_targets(works: int, runs: Mapping[tuple[str, str], Run | None]) -> list[str]:
    """Check the issue's targets; return one line per verdict."""
    lines: list[str] = []
    api = runs.get(("biblio-api", "one year"))
    if api and api.ok and api.seconds is not None:
        if works >= 3_000_000:
            fast = api.seconds < TARGET_SECONDS
            small = api.rss_gb < TARGET_RSS_GB
            lines.append(
                f"target one year < {TARGET_SECONDS:.0f} s: {api.seconds:.1f} s "
                f"{'MET' if fast else 'MISSED'}"
            )
            lines.append(
                f"target peak RSS < {TARGET_RSS_GB:.0f} GB: {api.rss_gb:.2f} GB "
                f"{'MET' if small else 'MISSED'}"
            )
        for scope in ("one year", "all years"):
            mine = runs.get(("biblio-api", scope))
            duck = runs.get(("duckdb", scope))
            pand = runs.get(("pandas", scope))
            if mine and mine.ok and mine.seconds:
                if duck and duck.ok and duck.seconds:
                    ratio = duck.seconds / mine.seconds
                    lines.append(
                        f"{scope}: biblio vs DuckDB {ratio:.2f}x "
                        f"{'(faster: MET)' if ratio > 1 else '(slower: MISSED)'}"
                    )
                if pand and pand.ok and pand.seconds:
                    ratio = pand.seconds / mine.seconds
                    lines.append(
                        f"{scope}: biblio vs pandas {ratio:.2f}x "
                        f"{'(MET)' if ratio >= PANDAS_FACTOR else '(< 5x: MISSED)'}"
                    )
    for line in lines:
        print("  " + line)
    return lines


def print_agreement(name: str, found: list[Difference]) -> list[dict[str, Any]]:
    print(f"\n-- agreement: {name} --")
    rows = []
    for d in found:
        verdict = "agree" if d.agrees else f"DIFFER in {d.differing} rows"
        if d.null_mismatch:
            verdict += f", {d.null_mismatch} null mismatches"
        print(
            f"  {d.figure:<19} {d.column:<19} rows {d.rows:>6}  max |diff| {d.max_abs:.3g}  "
            f"{verdict}"
        )
        for example in d.examples[:3] if not d.agrees else []:
            print(f"      e.g. {example}")
        rows.append(asdict(d))
    return rows


# --- the benchmark -----------------------------------------------------------------------------


def corpus_stats(path: Path) -> dict[str, Any]:
    from biblio.io import open_dataset

    dataset = open_dataset(path)
    sizes = {p.name: round(p.stat().st_size / 1e6) for p in sorted(path.glob("*.arrow"))}
    return {"records": dataset.manifest.get("records"), "megabytes": sizes}


def run_size(args: argparse.Namespace, works: int) -> dict[str, Any]:
    started = time.perf_counter()
    # Generate in a subprocess so the parent stays small (its RSS is not measured anyway).
    subprocess.run(
        [
            sys.executable,
            str(HERE / "synth.py"),
            "--works",
            str(works),
            "--seed",
            str(args.seed),
            "--out",
            str(args.out),
        ],
        check=True,
    )
    path = synth.corpus_path(works, args.seed, args.out)
    stats = corpus_stats(path)
    print(f"corpus {path} ready in {time.perf_counter() - started:.0f} s: {stats}")
    scopes = {"one year": (args.year, args.year), "all years": (synth.FIRST_YEAR, args.year)}
    scopes = {k: v for k, v in scopes.items() if k.split()[0] in args.scopes}
    runs: dict[tuple[str, str], Run | None] = {}
    work_root = args.out / f"runs-n{works}"
    methods = [m for m in METHODS if m in args.methods]
    for scope, years in scopes.items():
        for method in methods:
            if method == "pandas" and args.skip_pandas:
                runs[(method, scope)] = None
                continue
            earlier = runs.get((method, "one year"))
            if scope == "all years" and earlier is not None and not earlier.ok:
                runs[(method, scope)] = Run(
                    method,
                    scope,
                    None,
                    0.0,
                    0.0,
                    False,
                    note=f"not run: one year already {earlier.note}",
                )
                continue
            repeat = args.repeat if scope == "one year" else args.all_years_repeat
            repeat = 1 if method == "pandas" else repeat
            attempts: list[Run] = []
            for i in range(repeat):
                work = work_root / f"{method}-{scope.replace(' ', '-')}-{i}"
                run = measure(
                    method,
                    path,
                    years,
                    scope,
                    work,
                    timeout=args.pandas_timeout if method == "pandas" else args.timeout,
                    save=i == 0,
                )
                attempts.append(run)
                print(
                    f"  {method:<11} {scope:<9} run {i + 1}: "
                    f"{f'{run.seconds:.2f} s' if run.seconds is not None else run.note}, "
                    f"CPU {run.cpu:.1f} s, {run.rss_gb:.2f} GB",
                    flush=True,
                )
                if not run.ok:
                    break
            runs[(method, scope)] = best_of(attempts)
    print_table(works, runs)
    verdicts = print_targets(works, runs)
    agreement: dict[str, Any] = {}
    for scope, years in scopes.items():
        tag = scope.replace(" ", "-")

        def fresh(method: str, scope: str = scope) -> bool:  # run now, and it succeeded
            run = runs.get((method, scope))
            return run is not None and run.ok

        mine_dir = work_root / f"biblio-cli-{tag}-0"
        if not fresh("biblio-cli"):
            mine_dir = work_root / f"biblio-api-{tag}-0"
        if not (fresh("biblio-cli") or fresh("biblio-api")):
            continue
        mine = from_biblio(read_tables(mine_dir))
        for method in ("duckdb", "pandas"):
            theirs_dir = work_root / f"{method}-{tag}-0"
            if not fresh(method) or not (theirs_dir / "output.parquet").exists():
                continue
            theirs = read_tables(theirs_dir)
            name = f"{method} vs biblio ({scope}, {works:,} works)"
            agreement[name] = print_agreement(name, compare(theirs, mine, years=years))
    result = {
        "works": works,
        "seed": args.seed,
        "year": args.year,
        "corpus": stats,
        "biblio": args.biblio_label,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "polars": pl.__version__,
        },
        "runs": [asdict(r) for r in runs.values() if r is not None],
        "skipped": [f"{m} {s}" for (m, s), r in runs.items() if r is None],
        "targets": verdicts,
        "agreement": agreement,
    }
    tag = "worktree" if args.biblio_ref == "worktree" else args.biblio_label.split()[2].rstrip(";")
    out = args.out / f"results-n{works}-{tag}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nfigures written to {out}")
    return result


def check_contract(folder: Path) -> bool:
    """Check both yardsticks against the worked examples of the metric contract."""
    import tempfile

    from yardsticks import duckdb_sql, pandas_script

    from biblio.dataset.normalise import (
        Selection,
        normalise_institutions,
        normalise_works,
        read_institutions,
        read_works,
    )
    from biblio.dataset.selection import WorkFilter
    from biblio.io import write_manifest, write_table
    from biblio.schema import AUTHORSHIPS, INSTITUTIONS, WORKS

    ok = True
    for name, years in (("micro", None), ("c400", (2015, 2024))):
        source = folder / name
        raw = read_works((source / "works.jsonl").read_bytes())
        raw = raw.filter(WorkFilter(selections=(Selection(),), years=years).expr())
        works, authorships = normalise_works(raw)
        institutions = normalise_institutions(
            read_institutions((source / "institutions.jsonl").read_bytes())
        )
        expected = from_biblio(read_tables(source / "expected", ".csv"))
        first, last = works.select(
            pl.col("publication_year").min().alias("a"), pl.col("publication_year").max().alias("b")
        ).row(0)
        span = (int(first), int(last))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp)
            write_table(works, path / "works.arrow", WORKS)
            write_table(authorships, path / "authorships.arrow", AUTHORSHIPS)
            write_table(institutions, path / "institutions.arrow", INSTITUTIONS)
            write_manifest(path, {"source": f"contract example {name}"})
            for label, module in (("duckdb", duckdb_sql), ("pandas", pandas_script)):
                found = compare(expected, module.compute(path, span))
                bad = [d for d in found if not d.agrees]
                ok &= not bad
                print(
                    f"{name}: {label} yardstick "
                    f"{'agrees with every expected figure' if not bad else 'DIFFERS'}"
                )
                print_agreement(f"{label} vs {name} expected", bad) if bad else None
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    parser = argparse.ArgumentParser(
        description="Benchmark biblio metrics against DuckDB and "
        "pandas yardsticks on synthetic corpora."
    )
    parser.add_argument(
        "--works",
        default="1000000,3000000",
        help="comma-separated corpus sizes (default 1000000,3000000)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=synth.LAST_YEAR, help="the one year timed")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement (best kept)")
    parser.add_argument(
        "--all-years-repeat", type=int, default=1, help="runs per all-years measurement"
    )
    parser.add_argument(
        "--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}"
    )
    parser.add_argument(
        "--scopes", default="one,all", help="one (--year only), all (every year) or both"
    )
    parser.add_argument(
        "--skip-pandas",
        action="store_true",
        help="do not run the pandas yardstick (slow and memory-hungry at 3M)",
    )
    parser.add_argument(
        "--pandas-timeout",
        type=float,
        default=300.0,
        help="stop pandas after this many seconds (reported as skipped)",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="limit for other runs")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--biblio-ref",
        default="HEAD",
        help="git ref whose committed biblio/ is timed (default HEAD); 'worktree' for the files "
        "on disk",
    )
    parser.add_argument(
        "--check-contract",
        type=Path,
        default=None,
        metavar="DIR",
        help="first check the yardsticks against contract-examples in DIR",
    )
    args = parser.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    args.scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    sizes = [int(s.replace("_", "")) for s in args.works.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    args.biblio_label = pin_biblio(args.biblio_ref, args.out)
    print(f"biblio under test: {args.biblio_label}")
    print(
        f"biblio metrics benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"polars {pl.__version__}; repeat {args.repeat}; seed {args.seed}"
    )
    if args.check_contract is not None and not check_contract(args.check_contract):
        print("the yardsticks disagree with the contract examples; fix them first")
        return 1
    for works in sizes:
        run_size(args, works)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\n(benchmark driver itself: peak RSS {usage.ru_maxrss / 1e6:.2f} GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
