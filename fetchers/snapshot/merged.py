"""Merged ids: entities OpenAlex deleted because they duplicate another (the survivor).

``merged_ids/<entity>/*.csv[.gz]`` (legacy layout; under ``legacy-data/`` since 2026) hold
``merge_date, id, merge_into_id``. A merged work is left out of the dataset (its survivor is in
the snapshot). A merged institution is remapped: an authorship that names it counts for its
survivor (following chains of merges to the last survivor), so it does not fall into
``unknown``. Ids are compared in short form (``W…``, ``I…``), so full URLs work too.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> (root / "merged_ids" / "institutions").mkdir(parents=True)
>>> _ = (root / "merged_ids" / "institutions" / "2024-01-01.csv").write_text(
...     "merge_date,id,merge_into_id\\n2024-01-01,I1,I2\\n2024-02-01,https://openalex.org/I2,I3\\n")
>>> merged_ids(root, "institutions")
{'I1': 'I3', 'I2': 'I3'}
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import polars as pl
from isal import igzip, isal_zlib

from biblio.errors import InputError

__all__ = ["merged_ids", "merged_work_ids"]

_ZLIB_ERRORS = cast(tuple[type[Exception], ...], (EOFError, OSError, isal_zlib.error))


def _short(column: str) -> pl.Expr:
    return pl.col(column).str.split("/").list.last()


def _read(folder: Path | None, entity: str, columns: list[str]) -> list[pl.DataFrame]:
    if folder is None:
        return []
    files = sorted((folder / "merged_ids" / entity).glob("*.csv"))
    files += sorted((folder / "merged_ids" / entity).glob("*.csv.gz"))
    found: list[pl.DataFrame] = []
    for path in files:
        try:
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = igzip.decompress(data)
            frame = pl.read_csv(
                data, columns=columns, schema_overrides=dict.fromkeys(columns, pl.String)
            )
        except (*_ZLIB_ERRORS, pl.exceptions.PolarsError) as exc:  # type: ignore[misc]
            raise InputError(
                f"{path}: not a merged-ids CSV with {' and '.join(columns)} columns "
                f"({' '.join(str(exc).split())}); download it again"
            ) from exc
        found.append(frame.drop_nulls().select(_short(c) for c in columns))
    return found


def merged_work_ids(folder: Path | None, among: pl.Series | None) -> pl.Series:
    """Merged work ids (only those in ``among``, if given: the merged ids of a whole snapshot
    run to hundreds of millions)."""
    found = [f["id"] for f in _read(folder, "works", ["id"])]
    if among is not None:
        found = [ids.filter(ids.is_in(among.implode())) for ids in found]
    return pl.concat(found).unique().sort() if found else pl.Series("id", [], dtype=pl.String)


def merged_ids(folder: Path | None, entity: str) -> dict[str, str]:
    """``{merged id: survivor id}`` from ``folder/merged_ids/<entity>/*.csv[.gz]``; empty when
    ``folder`` is ``None`` or has none. Chains (``I1 → I2 → I3``) resolve to the last survivor;
    the ids of a cycle keep their first survivor. A later file wins for an id listed twice."""
    found = _read(folder, entity, ["id", "merge_into_id"])
    if not found:
        return {}
    pairs = pl.concat(found).unique("id", keep="last", maintain_order=True)
    mapping = dict(zip(pairs["id"].to_list(), pairs["merge_into_id"].to_list(), strict=True))
    return {old: _survivor(old, mapping) for old in mapping}


def _survivor(old: str, mapping: dict[str, str]) -> str:
    seen, new = {old}, mapping[old]
    while new in mapping and new not in seen:
        seen.add(new)
        new = mapping[new]
    return mapping[old] if new in seen else new
