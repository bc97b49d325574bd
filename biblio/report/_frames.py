"""Reading one value out of a metric table.

>>> import polars as pl
>>> frame = pl.DataFrame({"unit": ["CN", "US"], "works": [3, 2]})
>>> cell(frame, "works", unit="US"), cell(frame, "works", unit="GB")
(2, None)
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["cell"]


def cell(frame: pl.DataFrame, column: str, **where: Any) -> Any:
    """``column`` of the one row matching ``where``; ``None`` when no row or several match."""
    rows = frame.filter(**where)
    return rows[column].item() if rows.height == 1 else None
