r"""Which OpenAlex record does not fit, and where: the normaliser's error path, record by record.

The normaliser parses whole blocks of JSON Lines in C (:mod:`biblio.dataset.normalise`). When a
block fails, or a vectorised check finds a value that cannot be right, :func:`find_misfit`
walks the block's lines in Python (this path only) to name the first record that does not fit:
its line, its id and the field, as a path like ``authorships[2].countries``.

A value fits when it is null or has the JSON type of the raw schema's Arrow type: a string for
``string``, an integer in range (not a float, not a boolean) for ``int32``/``int64``, ``true``
or ``false`` for ``bool``, a list for ``list``, an object for ``struct``; and a string must be
Unicode text (no lone surrogate). Beyond types, ``rules`` (field → polars predicate, true where
the value is wrong) say what else must hold, e.g. that ``id`` is present.

Examples
--------
>>> schema = pa.schema([("id", pa.string()), ("publication_year", pa.int32())])
>>> find_misfit(b'{"id": "W1", "publication_year": 2024}\n{"id": "W2", "publication_year": "x"}',
...             schema, {})
Misfit(line=2, record_id='W2', field='publication_year', problem='is a string, expected an integer')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

__all__ = ["Misfit", "find_misfit", "misfit_of"]

_INT_RANGE = {
    pa.int32(): (-(2**31), 2**31 - 1),
    pa.int64(): (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class Misfit:
    """The first record of a block that does not fit: 1-based line, its id, field, problem."""

    line: int
    record_id: str | None
    field: str
    problem: str


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it held more than once."""

    twice: frozenset[str] = frozenset()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) < len(pairs):
        keys = [k for k, _ in pairs]
        found.twice = frozenset(k for k in found if keys.count(k) > 1)
    return found


def _json_type(value: Any) -> str:
    return {
        type(None): "null",
        bool: "a boolean",
        int: "an integer",
        float: "a number with a fraction",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _wanted(dtype: pa.DataType) -> str:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "a string"
    if pa.types.is_integer(dtype):
        return "an integer"
    if pa.types.is_boolean(dtype):
        return "true or false"
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return "a list"
    return "an object"


def _misfit_value(value: Any, dtype: pa.DataType, path: str) -> tuple[str, str] | None:
    """(field path, problem) of the first part of ``value`` that does not fit ``dtype``."""
    if value is None:
        return None
    wrong = (path, f"is {_json_type(value)}, expected {_wanted(dtype)}")
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        if not isinstance(value, str):
            return wrong
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path, "holds a lone surrogate escape, which is not Unicode text"
        return None
    if pa.types.is_boolean(dtype):
        return None if isinstance(value, bool) else wrong
    if pa.types.is_integer(dtype):
        if not isinstance(value, int) or isinstance(value, bool):
            return wrong
        low, high = _INT_RANGE[dtype]
        return None if low <= value <= high else (path, f"is {value}, out of range")
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        if not isinstance(value, list):
            return wrong
        for i, item in enumerate(value):
            found = _misfit_value(item, dtype.value_type, f"{path}[{i}]")
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return wrong
    return _misfit_fields(value, list(dtype), f"{path}.")


def _misfit_fields(
    record: dict[str, Any], fields: list[pa.Field], prefix: str
) -> tuple[str, str] | None:
    twice: frozenset[str] = getattr(record, "twice", frozenset())
    for field in fields:
        if field.name in twice:
            return f"{prefix}{field.name}", "is given twice"
        found = _misfit_value(record.get(field.name), field.type, f"{prefix}{field.name}")
        if found:
            return found
    return None


def misfit_of(
    record: Any, schema: pa.Schema, rules: Mapping[str, pl.Expr]
) -> tuple[str, str] | None:
    """(field, problem) of the first field of one decoded record that does not fit, or None.

    >>> misfit_of({"id": "W1", "tags": ["a", 3]}, pa.schema([("tags", pa.list_(pa.string()))]), {})
    ('tags[1]', 'is an integer, expected a string')
    """
    if not isinstance(record, dict):
        return "record", f"is {_json_type(record)}, not a record (a JSON object)"
    found = _misfit_fields(record, list(schema), "")
    if found:
        return found
    if rules:
        one = pl.DataFrame(
            {name: [record.get(name)] for name in rules},
            schema=dict.fromkeys(rules, pl.String),
        )
        for name, wrong in rules.items():
            if one.select(wrong).item():
                value = record.get(name)
                what = "is missing" if value is None else f"is {value!r}, which is not valid"
                return name, what
    return None


def find_misfit(
    data: bytes | memoryview, schema: pa.Schema, rules: Mapping[str, pl.Expr]
) -> Misfit | None:
    """The first line of JSON Lines ``data`` whose record does not fit ``schema`` and ``rules``.

    ``rules`` map a top-level string field to a polars predicate over that field (as a
    ``String`` column) that is true when its value is wrong. A line that is not JSON is a misfit
    of field ``record``.
    """
    for number, line in enumerate(bytes(data).split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_pairs_hook=_object)
        except UnicodeDecodeError as exc:
            return Misfit(number, None, "record", f"is not UTF-8 text ({exc.reason})")
        except ValueError as exc:
            return Misfit(number, None, "record", f"is not JSON ({exc})")
        found = misfit_of(record, schema, rules)
        if found:
            rid = record.get("id") if isinstance(record, dict) else None
            return Misfit(number, rid if isinstance(rid, str) else None, *found)
    return None
