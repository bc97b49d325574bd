"""The ``biblio`` command: parse options, show progress, call the library, say where files went.

Every failure the library raises on purpose (:class:`biblio.errors.BiblioError`) becomes one line
on stderr and its exit status: 2 (usage, input), 1 (runtime) or 75 (the API's daily budget is
spent: stopped for now, rerun to resume); argparse's own usage errors exit 2. ``biblio --help``
lists them (:data:`EXIT_STATUSES`). Any other exception (a bug, a fault of the machine) is one
line too, exit 1, with a hint to rerun with ``--debug``, which shows the traceback. The API key
is scrubbed from every line and traceback printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from biblio.errors import BiblioError, BudgetExhausted, UsageError
from biblio.io import check_name, ensure_dataset
from biblio.output import check_output_folder, staged_output
from biblio.terminal import ProgressDisplay

__all__ = ["main"]

DEFAULT_BASE_URL = "https://api.openalex.org"


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


EXIT_STATUSES = """\
exit status:
  0    done
  1    runtime failure (the server kept failing, or refused the request)
  2    bad usage or input (an option, a missing dataset, a malformed file)
  75   stopped for now and resumable: the API's daily budget is spent; rerun the same
       command later (so `biblio fetch … && biblio report …` stops there)
  130  interrupted: progress so far is kept; rerun the same command to resume
"""
KEY_ON_COMMAND_LINE = (
    "biblio: warning: --api-key is visible to other users of this machine in the process list; "
    "set OPENALEX_API_KEY instead"
)
THRESHOLD_HELP = "an institution counts when it has more works than this in a year (default: 50)"
_SELECTION_HELP = "definition of AI work to compute for, one the dataset holds (default: its first)"


def _parser() -> argparse.ArgumentParser:
    from biblio import __version__

    parser = argparse.ArgumentParser(
        prog="biblio",
        description="Who leads AI research and who collaborates with whom, recomputed from "
        "OpenAlex.",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--cache", type=Path, default=Path("cache"), help="data folder (default: cache)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="what to do; `biblio COMMAND --help` lists its options",
    )

    def command(name: str, help_text: str, epilog: str | None = None) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:],
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # Accepted after the subcommand too: `biblio fetch --cache DIR …`.
        p.add_argument(
            "--cache", type=Path, default=argparse.SUPPRESS, help="data folder (default: cache)"
        )
        p.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the traceback of an unexpected error",
        )
        return p

    def selection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--name", required=True, help="dataset name (folder under --cache)")
        p.add_argument(
            "--years", type=_years, default=None, help="publication years, e.g. 2015-2024"
        )
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

    fetch = command(
        "fetch", "fetch AI works from the OpenAlex API into a dataset", epilog=EXIT_STATUSES
    )
    selection(fetch)
    fetch.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help="the API's address (default: %(default)s)"
    )
    fetch.add_argument(
        "--mailto", default=None, help="your e-mail address, sent to OpenAlex with each request"
    )
    fetch.add_argument(
        "--api-key", default=None, help="OpenAlex API key (default: env OPENALEX_API_KEY)"
    )
    fetch.add_argument(
        "--rate", type=float, default=10.0, help="requests per second, at most 100 (default: 10)"
    )
    fetch.add_argument(
        "--workers", type=int, default=8, help="partitions fetched at once (default: 8)"
    )
    fetch.add_argument(
        "--plan",
        action="store_true",
        help="only say what the fetch takes: works per year, list calls, days of budget",
    )

    ingest = command("ingest", "build a dataset from OpenAlex snapshot files")
    ingest.add_argument(
        "snapshot", type=Path, help="snapshot folder: parquet/ and/or jsonl/ (2026), or works/"
    )
    selection(ingest)
    ingest.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="snapshot parts read at once (default: one per CPU)",
    )
    ingest.add_argument(
        "--format",
        choices=("parquet", "jsonl"),
        default=None,
        help="format folder of a 2026 snapshot to read (default: parquet when present)",
    )

    metrics = command("metrics", "write every table of METRICS.md")
    metrics.add_argument("dataset", help="dataset folder or name under --cache")
    metrics.add_argument("--years", type=_years, default=None, help="default: every year")
    metrics.add_argument("--units", type=_units, default=None, help="e.g. CN,US,GB,EU27")
    metrics.add_argument("--pairs", type=_pairs, default=[], help="extra flows, e.g. CN:US,US:CN")
    metrics.add_argument("--threshold", type=int, default=50, help=THRESHOLD_HELP)
    metrics.add_argument("--groups", type=Path, default=None, help="TOML file of unit groups")
    metrics.add_argument("--no-rollup", action="store_true", help="count institutions as listed")
    metrics.add_argument("--min-works", type=int, default=1, help="k of active researchers")
    metrics.add_argument("--window-years", type=int, default=1, help="m of active researchers")
    metrics.add_argument("--out", type=Path, required=True, help="folder for the tables")
    metrics.add_argument("--selection", default=None, help=_SELECTION_HELP)

    for name, help_text, default_out in (
        ("report", "build the HTML and Markdown report", "reports/{year}"),
        ("benchmark", "build the yearly benchmark bundle", "reports/benchmark-{year}"),
    ):
        p = command(name, help_text)
        p.add_argument("dataset", help="dataset folder or name under --cache")
        p.add_argument("--year", type=int, default=None, help="default: latest complete year")
        p.add_argument("--out", type=Path, default=None, help=f"default: {default_out}")
        p.add_argument("--groups", type=Path, default=None, help="TOML file of unit groups")
        p.add_argument("--threshold", type=int, default=50, help=THRESHOLD_HELP)
        p.add_argument("--selection", default=None, help=_SELECTION_HELP)
        if name == "benchmark":
            p.add_argument("--previous", type=Path, default=None, help="last year's bundle")
    return parser


def _run(args: argparse.Namespace) -> None:
    from biblio.dataset.selection import Selection, WorkFilter

    cache: Path = args.cache
    if args.command in ("fetch", "ingest"):
        check_name(args.name)  # before any file is touched
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
            from fetchers.snapshot import find_layout, ingest_snapshot

            if args.refresh or not (final / "manifest.json").exists():  # else: kept as it is
                print(find_layout(args.snapshot, args.format).describe(), flush=True)
            manifest = ingest_snapshot(
                args.snapshot,
                final,
                filters=filters,
                fmt=args.format,
                workers=args.workers,
                refresh=args.refresh,
                progress=display,
            )
        display.close()
        print(f"{manifest['records']['works']} works in {final}")
        return

    if args.out is not None:
        check_output_folder(args.out)  # before the dataset is read
    dataset = ensure_dataset(args.dataset, cache)
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
            selection=args.selection,
        )
        with staged_output(args.out) as stage:  # all the tables, or none of them
            written = run_metrics(dataset, options, out=stage)
        print(f"{len(written)} files in {args.out}")
    elif args.command == "report":
        from biblio.report import build_report

        out = build_report(
            dataset,
            year=args.year,
            out=args.out,
            groups=args.groups,
            threshold=args.threshold,
            selection=args.selection,
        )
        print(f"report in {out}")
    elif args.command == "benchmark":
        from biblio.bundle import build_benchmark

        out = build_benchmark(
            dataset,
            year=args.year,
            out=args.out,
            groups=args.groups,
            threshold=args.threshold,
            previous=args.previous,
            selection=args.selection,
        )
        print(f"benchmark bundle in {out}")


def _secret(args: argparse.Namespace) -> str | None:
    """The API key this run uses, to scrub from what it prints."""
    if args.command != "fetch":
        return None
    return args.api_key or os.environ.get("OPENALEX_API_KEY") or None


def _scrubbed(text: str, secret: str | None) -> str:
    if not secret:
        return text
    from fetchers.http import scrub

    return scrub(text, secret)


def _describe(exc: BaseException) -> str:
    """An unexpected exception on one line: its type and message, or strerror and file."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = " ".join(str(exc).split())
    return f"unexpected {type(exc).__name__}" + (f": {text}" if text else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``biblio`` and ``python -m biblio``; returns the exit status.

    The statuses are those of :data:`EXIT_STATUSES`; ``--help`` and ``--version`` exit 0 and a
    bad option 2 from argparse itself.
    """
    parser = _parser()
    given = list(sys.argv[1:] if argv is None else argv)
    for item in given:  # argparse drops a value of "--" and then skips the option's type check
        option, sep, value = item.partition("=")
        if option.startswith("--") and sep and value == "--":
            parser.error(f"argument {option}: '--' is not a value")
    args = parser.parse_args(given)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    secret = _secret(args)
    if args.command == "fetch" and args.api_key:
        print(KEY_ON_COMMAND_LINE, file=sys.stderr)
    try:
        _run(args)
    except BudgetExhausted as exc:
        print(_scrubbed(f"biblio: {exc}", secret), file=sys.stderr)
        return exc.exit_code
    except BiblioError as exc:
        if args.debug:
            print(_scrubbed(traceback.format_exc(), secret), end="", file=sys.stderr)
        print(_scrubbed(f"biblio: error: {exc}", secret), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("biblio: interrupted; progress so far is kept, rerun to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or a fault of the machine: one line, the traceback on demand
        if args.debug:
            print(_scrubbed(traceback.format_exc(), secret), end="", file=sys.stderr)
            hint = "the traceback is above"
        else:
            hint = "rerun with --debug to see the traceback"
        line = f"biblio: error: {_describe(exc)} ({hint})"
        print(_scrubbed(line, secret), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
