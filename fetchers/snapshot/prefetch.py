"""One step of read-ahead on a thread of its own: gunzip or decode the next block meanwhile.

>>> list(prefetch(iter(range(3))))
[0, 1, 2]
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")


def prefetch(items: Iterator[T]) -> Iterator[T]:
    """Run ``items`` one step ahead on a thread of its own, so that producing the next item
    (gunzip, Parquet decoding) overlaps with the caller's work on the current one.

    Errors are raised in the caller; closing the iterator stops the producer.

    >>> list(prefetch(iter(range(3))))
    [0, 1, 2]
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    closed = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not closed.is_set():
            try:
                handoff.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
            put("end", None)
        except BaseException as exc:  # handed to the caller, raised there
            put("error", exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        closed.set()
