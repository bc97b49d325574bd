"""How the CLI shows progress: live bars on a terminal, a plain line now and then in a log.

On a terminal (stderr is a TTY) each phase gets a tqdm bar. When stderr is a file or a pipe,
carriage-return updates would fill the log, so a plain line is written when a phase starts, every
``interval`` seconds while it runs, and when it completes.

Examples
--------
>>> import io
>>> from biblio.progress import Progress
>>> log = io.StringIO()
>>> show = ProgressDisplay(log, interval=60)
>>> show(Progress("works", 0, 2000))
>>> show(Progress("works", 10, 2000))  # within the interval: nothing written
>>> show(Progress("works", 2000, 2000, note="21 API calls"))
>>> show.close()
>>> print(log.getvalue(), end="")
works: 0 of 2,000 works (0%)
works: 2,000 of 2,000 works (100%), 21 API calls
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from biblio.progress import Progress

__all__ = ["ProgressDisplay"]


def _line(p: Progress) -> str:
    of = f" of {p.total:,}" if p.total is not None else ""
    pct = f" ({p.done / p.total:.0%})" if p.total else ""
    note = f", {p.note}" if p.note else ""
    return f"{p.phase}: {p.done:,}{of} {p.unit}{pct}{note}"


class ProgressDisplay:
    """A progress callback that draws on ``stream`` (see the module docstring)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 5.0,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._enabled = enabled
        self._clock = clock
        self._tty = enabled and stream.isatty()
        self._phase: str | None = None
        self._bar: Any = None
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        """Show ``p``: update the live bar, or write a line if one is due (see the module)."""
        if not self._enabled:
            return
        if self._tty:
            self._draw(p)
            return
        now = self._clock()
        complete = p.total is not None and p.done >= p.total
        if p.phase != self._phase or complete or now - self._last >= self._interval:
            if p.phase == self._phase and complete and self._last < 0:
                return  # the completed line was written already
            self._phase = p.phase
            self._last = -1.0 if complete else now
            print(_line(p), file=self._stream, flush=True)

    def _draw(self, p: Progress) -> None:
        if p.phase != self._phase:
            self.close()
            from tqdm import tqdm  # only the terminal display needs it

            self._phase = p.phase
            self._bar = tqdm(
                total=p.total,
                initial=p.done,
                desc=p.phase,
                unit=f" {p.unit}",
                file=self._stream,
                dynamic_ncols=True,
                smoothing=0.1,
            )
        if p.note:
            self._bar.set_postfix_str(p.note, refresh=False)
        self._bar.update(p.done - self._bar.n)

    def close(self) -> None:
        """Close the live bar, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._phase = None
