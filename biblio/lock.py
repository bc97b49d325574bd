"""One writer per dataset: an OS lock on ``cache/.<name>.lock``, held while a dataset is written.

``fetch``, ``ingest`` (also with ``--refresh``) and the build of a named dataset take
:func:`dataset_lock` on the dataset before they touch its folder or its staging folder. The lock
is ``fcntl.flock`` on a lock file beside the dataset, so the kernel releases it when the process
ends in any way, ``kill -9`` included: there is never a stale lock to remove. The holder writes
its process id into the file, so a second writer, refused at once, can name it. The lock file
itself stays (removing it would let two processes lock two different files).

Examples
--------
>>> import tempfile
>>> final = Path(tempfile.mkdtemp()) / "ai"
>>> with dataset_lock(final, what="fetch"):
...     with dataset_lock(final, what="ingest"):
...         pass  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
biblio.errors.DatasetBusy: dataset 'ai' is being written by process ... (fetch since ...
>>> with dataset_lock(final, what="ingest"):  # released when the first one ended
...     pass
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from biblio.errors import DatasetBusy
from biblio.io import check_name

__all__ = ["dataset_lock", "lock_path", "writes_dataset"]

P = ParamSpec("P")
R = TypeVar("R")


def lock_path(final: Path) -> Path:
    """The lock file of the dataset folder ``final``: a hidden sibling, ``.<name>.lock``."""
    return final.with_name(f".{final.name}.lock")


def _holder(fd: int) -> str:
    """What the lock file says about its holder; it may be a moment before it says anything."""
    for _ in range(20):
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
        if text:
            return text
        time.sleep(0.05)
    return "another process"


@contextlib.contextmanager
def dataset_lock(final: Path, *, what: str = "a writer", wait: bool = False) -> Iterator[None]:
    """Hold the writer lock of the dataset folder ``final`` (its name checked first).

    ``what`` says what the holder does (``fetch``, ``ingest``), for the message a second writer
    gets. Without ``wait`` a lock held by another process raises
    :class:`~biblio.errors.DatasetBusy` at once; with it, the call waits for the lock.
    """
    check_name(final.name)
    import fcntl  # POSIX only, as are the kernel-released locks this relies on

    final.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(final), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise DatasetBusy(
                f"dataset {final.name!r} is being written by {_holder(fd)}; wait for it to "
                "finish (or stop it: a fetch or ingest resumes when rerun), then rerun"
            ) from None
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} ({what} since {since})\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def writes_dataset(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function with a ``final`` parameter (the dataset folder) to hold its lock.

    >>> @writes_dataset("doctest")
    ... def build(final: Path) -> str:
    ...     return lock_path(final).read_text().split(" (")[1]
    >>> import tempfile
    >>> build(Path(tempfile.mkdtemp()) / "ai")[:13]
    'doctest since'
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            final = Path(signature.bind(*args, **kwargs).arguments["final"])
            with dataset_lock(final, what=what):
                return func(*args, **kwargs)

        return locked

    return decorate
