"""The cost of verified reads: hashing a dataset's files, beside a one-year metrics run.

Run ``python3 benchmarks/verify.py --works 1000000`` (the synthetic corpus of
``benchmarks/synth.py``) or ``python3 benchmarks/verify.py --dataset cache/ai --year 2024``. It
prints the dataset's data bytes; an open that hashes every file (no ``.verified.json``, as the
first open after a fetch); an open whose digests are remembered; ``biblio metrics --years YEAR``
in a fresh process (best of ``--repeat``, digests remembered); and the full hash as a share of
that run. The page cache is left as it is: a file just fetched or read is usually in it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from biblio.integrity import SETTLE_NS, VERIFIED
from biblio.io import MANIFEST, verify_dataset

ROOT = Path(__file__).resolve().parents[1]


def _best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _settle(folder: Path) -> None:
    """Wait until every data file is old enough to be remembered as verified."""
    newest = max(max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in folder.rglob("*.arrow"))
    wait = (newest + SETTLE_NS - time.time_ns()) / 1e9
    if wait > 0:
        time.sleep(wait + 0.1)


def measure(folder: Path, year: int, repeat: int) -> dict[str, float]:
    """Seconds of a full hash, a remembered open and a one-year metrics run of ``folder``."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in folder.rglob("*.arrow"))
    _settle(folder)

    def full() -> None:
        (folder / VERIFIED).unlink(missing_ok=True)
        verify_dataset(folder, manifest)

    hashed = _best(repeat, full)
    remembered = _best(repeat, lambda: verify_dataset(folder, manifest))
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "biblio", "metrics", str(folder), "--years", str(year)]
        metrics = _best(
            repeat,
            lambda: subprocess.run(
                [*command, "--out", out], cwd=ROOT, check=True, capture_output=True
            ),
        )
    return {
        "bytes": size,
        "hash_s": hashed,
        "remembered_s": remembered,
        "metrics_s": metrics,
        "hash_share": hashed / metrics,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dataset", type=Path, default=None, help="a dataset folder")
    parser.add_argument("--works", type=int, default=1_000_000, help="else a synthetic corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=2024, help="the year of the metrics run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args(argv)
    folder = args.dataset
    if folder is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import synth

        folder, _ = synth.ensure_corpus(args.works, args.seed)
    figures = measure(folder, args.year, args.repeat)
    print(f"dataset           {folder}: {figures['bytes'] / 1e6:,.0f} MB of data files")
    print(
        f"full hash         {figures['hash_s']:.2f} s "
        f"({figures['bytes'] / figures['hash_s'] / 1e9:.2f} GB/s): the first open"
    )
    print(f"remembered        {figures['remembered_s'] * 1000:.1f} ms: every later open")
    run = f"metrics {args.year}"
    print(f"{run:<17} {figures['metrics_s']:.2f} s (a fresh process, digests remembered)")
    print(f"full hash / run   {figures['hash_share']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
