"""Units: countries and named groups of countries, with their members year by year.

A unit is an ISO 3166-1 alpha-2 code as OpenAlex writes it (``CN``; Taiwan ``TW``, Hong Kong
``HK`` and Macao ``MO`` are their own units) or a group named in ``biblio/data/units.toml``
(``EU27``, ``EU``, the UN M49 regions) or in a user's TOML file of the same shape. A union of
units is written with ``+`` (``US+GB+EU27``). ``members(u, Y)`` is the set of countries of unit
``u`` in year ``Y``.

Examples
--------
>>> groups = load_groups()
>>> "GB" in members("EU", 2019, groups), "GB" in members("EU", 2020, groups)
(True, False)
>>> "HR" in members("EU", 2012, groups), len(members("EU27", 2010, groups))
(False, 27)
>>> sorted(members("US+GB", 2024, groups))
['GB', 'US']
>>> country_name("CN"), country_name("EU27")
('China', 'EU-27 (the 27 members since February 2020, every year)')
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from biblio.errors import InputError, UsageError

__all__ = [
    "DEFAULT_GROUPS",
    "Group",
    "country_name",
    "is_country",
    "load_groups",
    "members",
    "membership_frame",
    "overlap",
]

#: Groups that join every country of the corpus in the default units (METRICS.md).
DEFAULT_GROUPS = ("EU27", "EU", "AFRICA")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Group:
    """A named group: each member country with the first and last year it belongs."""

    name: str
    label: str
    spans: Mapping[str, tuple[int, int]]

    def members(self, year: int) -> frozenset[str]:
        """The countries that belong to the group in ``year``."""
        return frozenset(c for c, (first, last) in self.spans.items() if first <= year <= last)


def _parse_group(name: str, spec: Any, source: str) -> Group:
    if not isinstance(spec, dict) or "members" not in spec:
        raise InputError(f"{source}: group {name!r} needs a `members` list or table")
    raw = spec["members"]
    spans: dict[str, tuple[int, int]] = {}
    if isinstance(raw, list):
        if not all(isinstance(code, str) for code in raw):
            raise InputError(f"{source}: group {name!r}: `members` must list country codes")
        spans = dict.fromkeys(raw, (-9999, 9999))
    elif isinstance(raw, dict):
        for code, years in raw.items():
            if not (
                isinstance(years, list)
                and 1 <= len(years) <= 2
                and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            ):
                raise InputError(
                    f"{source}: group {name!r}, member {code!r}: use [first_year] or "
                    "[first_year, last_year]"
                )
            spans[str(code)] = (int(years[0]), int(years[1]) if len(years) == 2 else 9999)
    else:
        raise InputError(f"{source}: group {name!r}: `members` must be a list or a table")
    if "+" in name or name == UNKNOWN:
        raise InputError(f"{source}: {name!r} cannot name a group")
    return Group(name, str(spec.get("name", name)), spans)


def _read_toml(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        text = resources.files("biblio").joinpath("data/units.toml").read_bytes()
        return tomllib.loads(text.decode("utf-8")), "biblio/data/units.toml"
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8")), str(path)
    except OSError as exc:
        raise InputError(f"--groups {path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"--groups {path}: not valid TOML ({exc})") from exc


@cache
def _builtin_groups() -> dict[str, Group]:
    data, source = _read_toml(None)
    return {n: _parse_group(n, s, source) for n, s in data.get("groups", {}).items()}


def load_groups(path: Path | None = None) -> dict[str, Group]:
    """The built-in groups, plus (overriding by name) those of a user TOML file.

    The file holds ``[groups.NAME]`` tables with ``members = ["CN", "HK"]`` or a per-year table.
    """
    groups = dict(_builtin_groups())
    if path is not None:
        data, source = _read_toml(path)
        if not isinstance(data.get("groups"), dict) or not data["groups"]:
            raise InputError(f"--groups {path}: no [groups.NAME] table found")
        for name, spec in data["groups"].items():
            groups[name] = _parse_group(name, spec, source)
    return groups


@cache
def _iso_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}


def is_country(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 code (Kosovo's ``XK`` included).

    >>> is_country("TW"), is_country("EU27")
    (True, False)
    """
    return code in _iso_codes()


def members(unit: str, year: int, groups: Mapping[str, Group]) -> frozenset[str]:
    """The countries of ``unit`` in ``year``.

    ``{unit}`` for a country, a group's members, or the union of the parts of ``A+B+…``.
    """
    if "+" in unit:
        return frozenset().union(*(members(part, year, groups) for part in unit.split("+")))
    if unit in groups:
        return groups[unit].members(year)
    return frozenset({unit})


def check_unit(unit: str, groups: Mapping[str, Group], known: Iterable[str] = ()) -> None:
    """Raise UsageError unless every part of ``unit`` is a country or a group."""
    for part in unit.split("+"):
        if part not in groups and not is_country(part) and part not in set(known):
            raise UsageError(
                f"unknown unit {part!r}: use an ISO 3166-1 alpha-2 code (CN, US, TW…), "
                f"a group ({', '.join(sorted(groups))}) or add it with --groups FILE.toml"
            )


def overlap(a: str, b: str, year: int, groups: Mapping[str, Group]) -> bool:
    """Whether two units share a country in ``year``.

    >>> overlap("EU", "GB", 2019, load_groups()), overlap("EU", "GB", 2020, load_groups())
    (True, False)
    """
    return bool(members(a, year, groups) & members(b, year, groups))


def membership_frame(
    units: Sequence[str], years: Sequence[int], groups: Mapping[str, Group]
) -> pl.LazyFrame:
    """One row per (unit, year, country) with ``country`` in ``members(unit, year)``.

    >>> membership_frame(["EU27", "CN"], [2024], load_groups()).collect().height
    28
    """
    rows = [
        (unit, year, country)
        for unit in units
        for year in years
        for country in sorted(members(unit, year, groups))
    ]
    return pl.LazyFrame(
        rows, schema={"unit": pl.String, "year": pl.Int64, "country": pl.String}, orient="row"
    )


def country_name(unit: str, groups: Mapping[str, Group] | None = None) -> str:
    """A display name: the ISO short name of a country, a group's label, else the code."""
    groups = _builtin_groups() if groups is None else groups
    if unit in groups:
        return groups[unit].label
    if "+" in unit:
        return " + ".join(country_name(p, groups) for p in unit.split("+"))
    import pycountry

    country = pycountry.countries.get(alpha_2=unit)
    if country is None:
        return "Kosovo" if unit == "XK" else unit
    return str(getattr(country, "common_name", None) or country.name)
