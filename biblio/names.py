"""Names of units for readers: countries by name, groups by a short label, codes beside.

Sentences, titles and axis labels name countries (``China``, ``the United States``); tables set
the code beside the name. Shared by the report, the figures and the notebook API, so that a
unit is called the same everywhere.

Examples
--------
>>> unit_name("CN"), unit_name("EU27"), unit_name("AFRICA"), unit_name("US+GB+EU27")
('China', 'EU27', 'Africa', 'United States + United Kingdom + EU27')
>>> the("US"), the("CN"), possessive(the("GB")), capital(the("US"))
('the United States', 'China', "the United Kingdom's", 'The United States')
>>> name_with_code("KR")
'South Korea (KR)'
"""

from __future__ import annotations

from biblio.units import DEFAULT_GROUPS, UNKNOWN, country_name, is_country, load_groups

__all__ = ["capital", "name_with_code", "possessive", "the", "unit_name"]

# Country names that take "the" in a sentence ("the United States", "the Netherlands").
_ARTICLE = frozenset(
    {
        "AE",
        "BS",
        "CD",
        "CF",
        "DO",
        "GB",
        "GM",
        "KM",
        "MH",
        "MV",
        "NL",
        "PH",
        "RU",
        "SB",
        "SC",
        "US",
        "VA",
    }
)
# Groups named by their code in text (the code is what readers know them by).
_CODE_NAMED = frozenset({*DEFAULT_GROUPS} - {"AFRICA"})


def unit_name(unit: str) -> str:
    """A country's short name (``China``); a built-in region in words (``Africa``); EU27, EU and
    other groups by their code; a union ``A+B`` as its parts' names joined by ``+``."""
    if "+" in unit:
        return " + ".join(unit_name(part) for part in unit.split("+"))
    if unit == UNKNOWN:
        return "unknown country"
    if is_country(unit):
        return country_name(unit)
    if unit not in _CODE_NAMED and unit in load_groups() and unit.isalpha():
        return unit.capitalize()  # AFRICA, AMERICAS, ASIA, EUROPE, OCEANIA
    return unit


def the(unit: str) -> str:
    """The unit's name as it reads inside a sentence: ``the United States``, ``China``; a union
    ``A+B+C`` as ``A, B or C``.

    >>> the("US+GB+EU27")
    'the United States, the United Kingdom or EU27'
    """
    if "+" in unit:
        parts = [the(part) for part in unit.split("+")]
        return ", ".join(parts[:-1]) + " or " + parts[-1]
    name = unit_name(unit)
    return f"the {name}" if unit in _ARTICLE else name


def capital(text: str) -> str:
    """``text`` with its first letter upper-case (a sentence that starts with a name)."""
    return text[:1].upper() + text[1:]


def possessive(name: str) -> str:
    """``China's``, ``the United States'``.

    >>> possessive("China"), possessive("the United States")
    ("China's", "the United States'")
    """
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def name_with_code(unit: str) -> str:
    """``China (CN)``; a group whose name is its code stays as it is (``EU27``)."""
    name = unit_name(unit)
    return name if name == unit else f"{name} ({unit})"
