"""Output folders written all at once: the tables of ``biblio metrics``, a report.

:func:`staged_output` gives the writer an empty hidden folder and moves its files into ``--out``
only once every one is written, so a full disk or an error half-way leaves ``--out`` as it was;
:func:`check_output_folder` refuses an ``--out`` that cannot be a folder of ours before anything
is computed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from biblio.errors import OutputError, UsageError

__all__ = ["check_output_folder", "staged_output"]

_NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS}


def _no_room(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full, a file too large, or the disk read-only.

    Polars raises its I/O errors without an errno; their text ends ``(os error N)``.
    """
    if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
        return True
    found = re.search(r"\(os error (\d+)\)", str(exc))
    return found is not None and int(found[1]) in _NO_ROOM


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that is a file, lies under a file, or cannot be written.

    Raises :class:`~biblio.errors.UsageError`; nothing is created.

    >>> check_output_folder(Path("/proc/version"))
    Traceback (most recent call last):
    ...
    biblio.errors.UsageError: --out /proc/version: a file is there, not a folder; give a folder
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: a file is there, not a folder; give a folder")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: {parent} is a file, not a folder; give a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: {parent} is not writable; give a folder you may write to")


@contextlib.contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield an empty folder to write into; on success its files replace those in ``out``.

    Nothing in ``out`` changes until every file is written: on any exception the staging folder
    is removed and ``out`` is left as it was (or not created). Files of ``out`` that the new
    output does not hold are kept. A full disk, a file over the size limit or a read-only disk
    becomes :class:`~biblio.errors.OutputError`; ``out`` being a file or not writable,
    :class:`~biblio.errors.UsageError`.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "tables"
    >>> with staged_output(out) as stage:
    ...     _ = (stage / "a.csv").write_text("x")
    ...     out.exists()
    False
    >>> sorted(p.name for p in out.iterdir())
    ['a.csv']
    """
    check_output_folder(out)
    existed = out.is_dir()
    if not existed:
        out.parent.mkdir(parents=True, exist_ok=True)
    # os.mkdir gives the umask's permissions (mkdtemp's 0700 would become the folder's).
    stage = (out if existed else out.parent) / f".{out.name}.partial-{secrets.token_hex(8)}"
    stage.mkdir()
    try:
        try:
            yield stage
        except Exception as exc:
            if _no_room(exc):
                reason = exc.strerror if isinstance(exc, OSError) else None
                raise OutputError(
                    f"--out {out}: writing failed ({reason or _one_line(exc)}); nothing there was "
                    "changed: free some space or give another folder, then rerun"
                ) from exc
            raise
        if not existed:
            stage.replace(out)
            return
        for path in sorted(stage.rglob("*")):
            target = out / path.relative_to(stage)
            if path.is_dir():
                target.mkdir(exist_ok=True)
            else:
                path.replace(target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
