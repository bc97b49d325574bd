"""The ``biblio`` command: parse options, show progress, call the library, say where files went.

Every failure the library raises on purpose (:class:`biblio.errors.BiblioError`) becomes one line
on stderr and exit status 2 (usage, input) or 1 (runtime); argparse's own usage errors exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from biblio.errors import BiblioError, BudgetExhausted, UsageError
from biblio.io import ensure_dataset
from biblio.terminal import ProgressDisplay

__all__ = ["main"]

DEFAULT_BASE_URL = "https://api.openalex.org"
FETCH_EXIT_STATUS = """exit status:
  0   done: the dataset is complete (OpenAlex's own counts may disagree: see validation.csv)
  1   runtime error (the server kept failing, refused the request, …); progress is kept
  2   usage or input error
  75  stopped for now: the daily budget is spent; rerun the same command after the time
      given to resume (so `biblio fetch … && biblio report …` does not report a part)"""


def _years(text: str) -> tuple[int, int]:
    """Parse ``2024`` or ``2015-2024`` into an inclusive (first, last) pair.

    >>> _years("2015-2024"), _years("2024")
    ((2015, 2024), (2024, 2024))
    """
    first, _, last = text.partition("-")
    try:
        span = (int(first), int(last or first))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a year or a range like 2015-2024"
        ) from None
    if span[0] > span[1] or span[0] < 1800:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid year range")
    return span


def _units(text: str) -> list[str]:
    units = [u.strip() for u in text.split(",") if u.strip()]
    if not units:
        raise argparse.ArgumentTypeError("--units needs at least one unit, e.g. CN,US,EU27")
    return units


def _pairs(text: str) -> list[tuple[str, str]]:
    """Parse ``CN:US,US:CN`` into ordered (source, partner) pairs.

    >>> _pairs("CN:US+GB+EU27,US:CN")
    [('CN', 'US+GB+EU27'), ('US', 'CN')]
    """
    pairs = []
    for item in (i.strip() for i in text.split(",") if i.strip()):
        source, sep, partner = item.partition(":")
        if not sep or not source or not partner:
            raise argparse.ArgumentTypeError(f"{item!r} is not SOURCE:PARTNER, e.g. US:CN")
        pairs.append((source, partner))
    return pairs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="biblio", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("cache"), help="data folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        # Accepted after the subcommand too: `biblio fetch --cache DIR …`.
        p.add_argument("--cache", type=Path, default=argparse.SUPPRESS, help="data folder")

    def selection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--name", required=True, help="dataset name (folder under --cache)")
        p.add_argument("--years", type=_years, default=None, help="e.g. 2015-2024")
        p.add_argument(
            "--selection",
            action="append",
            default=None,
            help="definition of AI work: subfield:1702 (default) | topic-subfield:1702 | "
            "concept:C154945302; repeat it to hold several in one dataset",
        )
        p.add_argument("--types", type=_units, default=None, help="work types, e.g. article")
        p.add_argument("--refresh", action="store_true", help="rebuild a finished dataset")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    fetch = sub.add_parser(
        "fetch",
        help="fetch AI works from the OpenAlex API into a dataset",
        epilog=FETCH_EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(fetch)
    selection(fetch)
    fetch.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the OpenAlex API's address")
    fetch.add_argument("--mailto", default=None, help="e-mail sent to OpenAlex (polite pool)")
    fetch.add_argument("--api-key", default=None, help="or env OPENALEX_API_KEY")
    fetch.add_argument("--rate", type=float, default=10.0, help="requests per second (max 100)")
    fetch.add_argument("--workers", type=int, default=8, help="partitions fetched at once")
    fetch.add_argument(
        "--plan",
        action="store_true",
        help="only say what the fetch takes: works per year, list calls, days of budget",
    )

    ingest = sub.add_parser("ingest", help="build a dataset from OpenAlex snapshot files")
    common(ingest)
    ingest.add_argument("snapshot", type=Path, help="snapshot folder (with works/, institutions/)")
    selection(ingest)
    ingest.add_argument("--workers", type=int, default=os.cpu_count() or 1)

    metrics = sub.add_parser("metrics", help="write every table of METRICS.md")
    common(metrics)
    metrics.add_argument("dataset", help="dataset folder or name under --cache")
    metrics.add_argument("--years", type=_years, default=None, help="default: every year")
    metrics.add_argument("--units", type=_units, default=None, help="e.g. CN,US,GB,EU27")
    metrics.add_argument("--pairs", type=_pairs, default=[], help="extra flows, e.g. CN:US,US:CN")
    metrics.add_argument("--threshold", type=int, default=50)
    metrics.add_argument("--groups", type=Path, default=None, help="TOML file of unit groups")
    metrics.add_argument("--no-rollup", action="store_true", help="count institutions as listed")
    metrics.add_argument("--min-works", type=int, default=1, help="k of active researchers")
    metrics.add_argument("--window-years", type=int, default=1, help="m of active researchers")
    metrics.add_argument("--out", type=Path, required=True)

    for name, help_text, default_out in (
        ("report", "build the HTML and Markdown report", "reports/{year}"),
        ("benchmark", "build the yearly benchmark bundle", "reports/benchmark-{year}"),
    ):
        p = sub.add_parser(name, help=help_text)
        common(p)
        p.add_argument("dataset", help="dataset folder or name under --cache")
        p.add_argument("--year", type=int, default=None, help="default: latest complete year")
        p.add_argument("--out", type=Path, default=None, help=f"default: {default_out}")
        p.add_argument("--groups", type=Path, default=None, help="TOML file of unit groups")
        p.add_argument("--threshold", type=int, default=50)
        if name == "benchmark":
            p.add_argument("--previous", type=Path, default=None, help="last year's bundle")
    return parser


def _dataset_builders(dataset: str) -> dict[str, Callable[[Path], object]]:
    """The datasets a report or metrics command may build on first use: the offline demo."""
    from fetchers.demo import DEMO_NAME, build_demo

    return {DEMO_NAME: build_demo} if dataset == DEMO_NAME else {}


def _run(args: argparse.Namespace) -> None:
    from biblio.dataset.selection import Selection, WorkFilter

    cache: Path = args.cache
    if args.command in ("fetch", "ingest"):
        filters = WorkFilter(
            selections=tuple(Selection.parse(s) for s in args.selection or ["subfield:1702"]),
            years=args.years,
            types=tuple(args.types or ()),
            apply_selection=args.command == "ingest",
        )
        final = cache / args.name
        display = ProgressDisplay(sys.stderr, enabled=not args.no_progress)
        if args.command == "fetch":
            from fetchers.api import fetch_dataset, plan_fetch
            from fetchers.validation import summary_line

            api_key = args.api_key or os.environ.get("OPENALEX_API_KEY") or None
            if not 0 < args.rate <= 100:
                raise UsageError(f"--rate {args.rate}: must be above 0 and at most 100")
            if args.plan:
                plan = plan_fetch(
                    final,
                    filters=filters,
                    base_url=args.base_url,
                    mailto=args.mailto,
                    api_key=api_key,
                    workers=args.workers,
                )
                print("\n".join(plan.lines()))
                return
            manifest = fetch_dataset(
                final,
                filters=filters,
                base_url=args.base_url,
                mailto=args.mailto,
                api_key=api_key,
                refresh=args.refresh,
                rate=args.rate,
                workers=args.workers,
                progress=display,
                on_plan=None
                if args.no_progress
                else lambda plan: print(plan.line(), file=sys.stderr, flush=True),
            )
            if "validation" in manifest:
                display.close()
                print(summary_line(manifest["validation"]), file=sys.stderr)
        else:
            from fetchers.snapshot import ingest_snapshot

            manifest = ingest_snapshot(
                args.snapshot,
                final,
                filters=filters,
                workers=args.workers,
                refresh=args.refresh,
                progress=display,
            )
        display.close()
        print(f"{manifest['records']['works']} works in {final}")
        return

    dataset_path = ensure_dataset(args.dataset, cache, builders=_dataset_builders(args.dataset))
    if args.command == "metrics":
        from biblio.tables import MetricOptions, run_metrics

        options = MetricOptions(
            years=args.years,
            units=args.units,
            threshold=args.threshold,
            groups=args.groups,
            rollup=not args.no_rollup,
            min_works=args.min_works,
            window_years=args.window_years,
            pairs=tuple(args.pairs),
        )
        written = run_metrics(dataset_path, options, out=args.out)
        print(f"{len(written)} files in {args.out}")
    elif args.command == "report":
        from biblio.report import build_report

        out = build_report(
            dataset_path, year=args.year, out=args.out, groups=args.groups, threshold=args.threshold
        )
        print(f"report in {out}")
    elif args.command == "benchmark":
        from biblio.bundle import build_benchmark

        out = build_benchmark(
            dataset_path,
            year=args.year,
            out=args.out,
            groups=args.groups,
            threshold=args.threshold,
            previous=args.previous,
        )
        print(f"benchmark bundle in {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        _run(args)
    except BudgetExhausted as exc:
        print(f"biblio: {exc}", file=sys.stderr)
        return exc.exit_code
    except BiblioError as exc:
        print(f"biblio: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("biblio: interrupted; progress so far is kept, rerun to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
