"""What the yearly commands cost, side by side, and how that grows with the number of works.

Run from the repository root (``pip install -e .[bench]`` first); keep the big corpora out of
the repository with ``--out``::

    python3 benchmarks/scale.py --out /tmp/bench                      # 1M and 3M works
    python3 benchmarks/scale.py --out /tmp/bench --works 6000000 --commands report-year
    python3 benchmarks/scale.py --out /tmp/bench --biblio-ref worktree --repeat 1

For every corpus size (:mod:`synth`, generated once and cached under ``--out``) it times, each
in a fresh process and one at a time:

- ``metrics-year``: ``biblio metrics PATH --years YEAR --out DIR`` (every table of one year);
- ``metrics-all``: ``biblio metrics PATH --out DIR`` (every table of every year);
- ``report-year``: ``biblio report PATH --year YEAR`` (what the report shows, and its figures);
- ``benchmark-year``: ``biblio benchmark PATH --year YEAR`` (the report plus the year's tables);
- ``duckdb-year``: the DuckDB yardstick of :mod:`metrics` for that year (a subset of the
  tables, files to frames in memory; the process start is not in its ``seconds``).

Each figure is the whole process: wall seconds (best of ``--repeat``), CPU seconds (user +
system, the least of the runs: it moves far less than wall time when other jobs share the
machine) and peak RSS (the largest). The load average before each run is printed beside it.
Then, per size, the issue's targets: report and benchmark within 1.3x the one-year time and
peak memory, every year within 2x the one-year time and under 2 GB (1M works) or 4 GB (3M),
one year no slower than DuckDB; and, across sizes, seconds and GB per million works. Every
figure is also written to ``OUT/scale-<ref>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script or imported by path
    sys.path.insert(0, str(HERE))

import metrics  # noqa: E402
import synth  # noqa: E402

COMMANDS = ("metrics-year", "metrics-all", "report-year", "benchmark-year", "duckdb-year")
#: Peak RSS limits for every year of metrics, by corpus size (the issue's targets).
ALL_YEARS_GB = {1_000_000: 2.0, 3_000_000: 4.0}
RATIO_TO_YEAR, ALL_YEARS_RATIO = 1.3, 2.0


@dataclass
class Timing:
    """The runs of one command on one corpus."""

    command: str
    wall: float | None  # best wall seconds of the successful runs
    cpu: float | None  # least user + system seconds
    rss_gb: float  # largest peak RSS
    loads: list[float]  # 1-minute load average before each run
    walls: list[float]
    note: str = ""


def _argv(command: str, dataset: Path, year: int, work: Path) -> list[str]:
    biblio = metrics._biblio_command()
    if command == "metrics-year":
        return [*biblio, "metrics", str(dataset), "--years", str(year), "--out", str(work)]
    if command == "metrics-all":
        return [*biblio, "metrics", str(dataset), "--out", str(work)]
    if command == "report-year":
        return [*biblio, "report", str(dataset), "--year", str(year), "--out", str(work)]
    if command == "benchmark-year":
        return [*biblio, "benchmark", str(dataset), "--year", str(year), "--out", str(work)]
    child = [sys.executable, str(HERE / "metrics.py"), "--child", "duckdb"]
    return [*child, str(dataset), str(year), str(year), str(work)]


def time_command(
    command: str, dataset: Path, year: int, root: Path, *, repeat: int, timeout: float
) -> Timing:
    """Run ``command`` ``repeat`` times, one after the other, each in a fresh process."""
    walls, cpus, rss, loads, note = [], [], 0.0, [], ""
    for i in range(repeat):
        work = root / f"{command}-{i}"
        shutil.rmtree(work, ignore_errors=True)
        loads.append(os.getloadavg()[0])
        wall, cpu, peak, status, stopped = metrics._measure(
            _argv(command, dataset, year, work), timeout, work.with_suffix(".log")
        )
        rss = max(rss, peak)
        shutil.rmtree(work, ignore_errors=True)
        if stopped or status != 0:
            note = f"stopped after {timeout:.0f} s" if stopped else f"exit {status}"
            break
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"  {command:<15} run {i + 1}: {wall:7.2f} s wall, {cpu:7.2f} s CPU, "
            f"{peak:5.2f} GB (load {loads[-1]:.1f})",
            flush=True,
        )
    return Timing(
        command,
        min(walls) if walls else None,
        min(cpus) if cpus else None,
        rss,
        loads,
        walls,
        note,
    )


def _cell(t: Timing | None) -> str:
    if t is None:
        return "not run"
    if t.wall is None or t.cpu is None:
        return f"failed ({t.note})"
    return f"{t.wall:7.2f} s | {t.cpu:7.2f} s | {t.rss_gb:5.2f} GB"


def verdicts(works: int, runs: dict[str, Timing]) -> list[str]:
    """The issue's targets for one corpus, as printable lines."""
    lines: list[str] = []
    one = runs.get("metrics-year")
    if one is None or one.wall is None or one.cpu is None:
        return lines

    def check(label: str, value: float, limit: float) -> None:
        verdict = "MET" if value <= limit else "MISSED"
        lines.append(f"{label}: {value:.2f} (target ≤ {limit:g}) {verdict}")

    for name in ("report-year", "benchmark-year"):
        t = runs.get(name)
        if t is not None and t.wall is not None and t.cpu is not None:
            check(f"{name} / metrics-year, wall", t.wall / one.wall, RATIO_TO_YEAR)
            lines.append(f"{name} / metrics-year, CPU: {t.cpu / one.cpu:.2f}")
            check(f"{name} / metrics-year, peak RSS", t.rss_gb / one.rss_gb, RATIO_TO_YEAR)
    every = runs.get("metrics-all")
    if every is not None and every.wall is not None and every.cpu is not None:
        check("metrics-all / metrics-year, wall", every.wall / one.wall, ALL_YEARS_RATIO)
        lines.append(f"metrics-all / metrics-year, CPU: {every.cpu / one.cpu:.2f}")
        if works in ALL_YEARS_GB:
            check("metrics-all peak RSS, GB", every.rss_gb, ALL_YEARS_GB[works])
    duck = runs.get("duckdb-year")
    if duck is not None and duck.wall is not None:
        check("metrics-year / duckdb-year, wall", one.wall / duck.wall, 1.0)
    return lines


def print_growth(results: dict[int, dict[str, Timing]]) -> None:
    """Seconds, CPU seconds and GB per million works, for each command and size."""
    print("\n== growth: per million works (wall s / CPU s / GB) ==")
    sizes = sorted(results)
    print(f"{'command':<15} " + " ".join(f"{n / 1e6:>22.0f}M" for n in sizes))
    for command in COMMANDS:
        cells = []
        for n in sizes:
            t = results[n].get(command)
            if t is None or t.wall is None or t.cpu is None:
                cells.append(f"{'—':>23}")
            else:
                m = n / 1e6
                cells.append(f"{t.wall / m:7.2f} {t.cpu / m:7.2f} {t.rss_gb / m:6.2f}")
        print(f"{command:<15} " + " ".join(cells))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--works", default="1000000,3000000", help="comma-separated sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=synth.LAST_YEAR)
    parser.add_argument("--repeat", type=int, default=2, help="runs per command (best kept)")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="a subset of COMMANDS")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, default=synth.OUT, help="corpora and run folders")
    parser.add_argument(
        "--biblio-ref", default="HEAD", help="git ref whose biblio/ is timed, or 'worktree'"
    )
    args = parser.parse_args(argv)
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = sorted(set(commands) - set(COMMANDS))
    if unknown:
        parser.error(f"unknown commands {unknown}: choose from {', '.join(COMMANDS)}")
    sizes = [int(s.replace("_", "")) for s in args.works.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    label = metrics.pin_biblio(args.biblio_ref, args.out)
    print(f"biblio under test: {label}")
    print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; repeat {args.repeat}"
    )
    results: dict[int, dict[str, Timing]] = {}
    for works in sizes:
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), "--works", str(works), "--seed",
             str(args.seed), "--out", str(args.out)],
            check=True,
        )  # fmt: skip
        dataset = synth.corpus_path(works, args.seed, args.out)
        print(f"\n{works:,} works: {dataset}")
        root = args.out / f"scale-n{works}"
        runs = {
            c: time_command(c, dataset, args.year, root, repeat=args.repeat, timeout=args.timeout)
            for c in commands
        }
        results[works] = runs
        print(f"\n== {works:,} works, {args.year}: wall (best) | CPU | peak RSS ==")
        for command in commands:
            print(f"  {command:<15} {_cell(runs.get(command))}")
        for line in verdicts(works, runs):
            print("  " + line)
    if len(results) > 1:
        print_growth(results)
    tag = "worktree" if args.biblio_ref == "worktree" else label.split()[2].rstrip(";")
    path = args.out / f"scale-{tag}.json"
    path.write_text(
        json.dumps(
            {
                "biblio": label,
                "year": args.year,
                "results": {
                    str(n): {c: asdict(t) for c, t in r.items()} for n, r in results.items()
                },
                "verdicts": {str(n): verdicts(n, r) for n, r in results.items()},
            },
            indent=2,
        )
    )
    print(f"\nfigures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
