"""Progress of long library calls (fetch, ingest), reported through a callback.

The library never draws anything: it calls ``progress(Progress(...))`` as work gets done, from
any thread, one call at a time. The CLI passes :class:`biblio.terminal.ProgressDisplay`; a notebook
may pass ``print`` or nothing.

Examples
--------
>>> seen = []
>>> tracker = Tracker(seen.append)
>>> tracker.start("works", total=200)
>>> tracker.advance(100, note="3 API calls")
>>> seen[-1]
Progress(phase='works', done=100, total=200, unit='works', note='3 API calls')
>>> seen[-1].fraction
0.5
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressCallback", "Tracker"]


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` ``unit`` in ``phase`` (``total`` None when unknown)."""

    phase: str
    done: int
    total: int | None
    unit: str = "works"
    note: str = ""

    @property
    def fraction(self) -> float | None:
        """``done / total``, or None when the total is unknown or 0."""
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[Progress], None]


class Tracker:
    """Counts progress of one phase at a time and reports every change to ``callback``.

    Thread-safe: worker threads call :meth:`advance`; the callback is called under a lock, so
    it sees one report at a time and in order.
    """

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self._current = Progress("", 0, None)

    def start(self, phase: str, *, total: int | None, done: int = 0, unit: str = "works") -> None:
        """Begin ``phase`` with ``done`` of ``total`` already done."""
        with self._lock:
            self._current = Progress(phase, done, total, unit)
            self._emit()

    def advance(self, n: int, *, note: str = "") -> None:
        """Count ``n`` more done in the current phase."""
        with self._lock:
            now = self._current
            self._current = Progress(now.phase, now.done + n, now.total, now.unit, note or now.note)
            self._emit()

    def _emit(self) -> None:
        if self._callback is not None:
            self._callback(self._current)
