"""``--out`` that cannot be written: one line, the previous contents intact, nothing half-written.

A full disk is simulated with a file-size limit (``RLIMIT_FSIZE``) on a real ``biblio`` process:
a write past it fails with ``EFBIG``, as a write to a full disk fails with ``ENOSPC``. A folder
the user may not write to is simulated for root by dropping every capability (``setpriv``), so
that file permissions bind root as they bind anyone else.
"""

from __future__ import annotations

import os
import resource
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from biblio.cli import main
from tests.reliability.cases import Case, case, cases
from tests.reliability.conftest import Run, biblio


def _contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) and its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


A_FILE = case(
    "out",
    "`--out` names an existing file",
    sees="biblio: error: --out …: a file is there, not a folder; give a folder",
    exit=2,
    note="the file is left as it was",
)
UNDER_A_FILE = case(
    "out",
    "`--out notes.txt/tables`: a folder inside a file",
    sees="biblio: error: --out …/notes.txt/tables: …/notes.txt is a file, not a folder; give a "
    "folder",
    exit=2,
)


@cases(A_FILE, UNDER_A_FILE)
def test_out_that_is_a_file(
    case: Case, dataset: Path, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    out = notes if case is A_FILE else notes / "tables"
    run = cli("metrics", dataset, "--out", out)
    case.check(run.code, run.err)
    assert notes.read_text() == "my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "notes.txt"]


def _without_privileges() -> list[str]:
    """A command prefix under which file permissions bind this user (root included)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot bind")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


UNWRITABLE = case(
    "out",
    "`--out` an existing folder the user may not write to, holding last run's tables",
    sees="biblio: error: --out …: … is not writable; give a folder you may write to",
    exit=2,
    note="its contents are left as they were",
)


@cases(UNWRITABLE)
def test_out_that_is_not_writable(case: Case, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert biblio("metrics", dataset, "--out", out).code == 0
    before = _contents(out)
    out.chmod(0o555)
    try:
        run = biblio("metrics", dataset, "--out", out, prefix=_without_privileges())
    finally:
        out.chmod(0o755)
    case.check(run.code, run.err)
    assert _contents(out) == before


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


FULL_METRICS = case(
    "out",
    "the disk fills up while `biblio metrics` writes over last run's tables (a 3,000-byte "
    "file-size limit on the process)",
    sees="biblio: error: --out …: writing failed (…File too large (os error 27)); nothing there "
    "was changed: free some space or give another folder, then rerun",
    exit=1,
    note="every previous table byte for byte, no partial or temporary file",
)
FULL_NEW = case(
    "out",
    "the disk fills up while `biblio metrics` writes a new `--out` folder",
    sees="biblio: error: --out …: writing failed (…File too large (os error 27)); nothing there "
    "was changed: free some space or give another folder, then rerun",
    exit=1,
    note="the folder is not created",
)
FULL_REPORT = case(
    "out",
    "the disk fills up while `biblio report` writes its figures over last run's report (a "
    "30,000-byte file-size limit)",
    sees="biblio: error: --out …: writing failed (File too large); nothing there was changed: "
    "free some space or give another folder, then rerun",
    exit=1,
    note="the previous report byte for byte, no partial file",
)


@cases(FULL_METRICS, FULL_NEW, FULL_REPORT)
def test_a_full_disk_leaves_the_previous_output(case: Case, dataset: Path, tmp_path: Path) -> None:
    command, limit = ("report", 30_000) if case is FULL_REPORT else ("metrics", 3_000)
    out = tmp_path / "out"
    if case is FULL_METRICS:
        assert main(["metrics", str(dataset), "--out", str(out)]) == 0
    elif case is FULL_REPORT:  # last run's report, as far as this test cares
        (out / "figures").mkdir(parents=True)
        (out / "index.html").write_text("<p>last year's report</p>\n")
        (out / "figures" / "flows.png").write_bytes(b"\x89PNG last year's figure")
    before = _contents(out) if out.exists() else None
    run = biblio(command, dataset, "--out", out, preexec_fn=_file_size_limit(limit))
    case.check(run.code, run.err)
    if before is None:
        assert not out.exists()
    else:
        assert _contents(out) == before
    leftovers = [p for p in tmp_path.rglob("*") if "partial" in p.name or p.suffix == ".tmp"]
    assert leftovers == []
