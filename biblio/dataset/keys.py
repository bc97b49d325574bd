"""Works keyed by a 64-bit hash of their id, and the keys met more than once.

Memory that must grow with the number of works (de-duplicating versions, counting works per
country) holds these 8-byte keys instead of the ids, and finds repeated ones by sorting them in
numpy (8 bytes a key more), not in a hash table (about 50 bytes a key at 3M works).

>>> frame = pl.DataFrame({"work_id": ["W1", "W2", "W1"]})
>>> keys = frame.select(WORK_KEY)["work"]
>>> repeated(keys).to_list() == [keys[0]]
True
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["WORK_KEY", "repeated"]

#: ``work``: a work's key, the 64-bit hash of its ``work_id`` (a collision between two works
#: is about one chance in 10^8 among a million of them).
WORK_KEY = pl.col("work_id").hash(seed=1702).alias("work")


def repeated(keys: pl.Series) -> pl.Series:
    """``work``: the distinct keys met more than once in ``keys``, sorted.

    >>> repeated(pl.Series([3, 1, 3, 2, 3], dtype=pl.UInt64)).to_list()
    [3]
    """
    every = np.sort(keys.to_numpy())
    twice = every[1:][every[1:] == every[:-1]]
    return pl.Series("work", np.unique(twice), dtype=pl.UInt64)
