"""Text for the report: numbers as they are printed, unit names, and escaping for both outputs.

Every formatter prints ``—`` for a missing value. Escaping is the renderers' job
(:mod:`biblio.report.html`, :mod:`biblio.report.markdown`): the document model holds raw text.

Examples
--------
>>> fmt_int(1234), fmt_float(2.345), fmt_pct(0.1234), fmt_pct(None)
('1,234', '2.3', '12.3 %', '—')
>>> unit_name("CN"), unit_name("EU27"), possessive("United States")
('China', 'EU27', "United States'")
>>> md_escape("<script>alert(1)</script> | *x*")
'&lt;script&gt;alert(1)&lt;/script&gt; \\\\| \\\\*x\\\\*'
>>> html_escape('<a href="x">')
'&lt;a href=&quot;x&quot;&gt;'
"""

from __future__ import annotations

import html
import re
from typing import Any

from biblio.units import country_name, is_country

__all__ = [
    "fmt_float",
    "fmt_int",
    "fmt_pct",
    "html_escape",
    "md_escape",
    "possessive",
    "unit_name",
]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def fmt_int(value: Any) -> str:
    """``1,234``; ``—`` for a missing value."""
    return "—" if value is None else f"{int(value):,}"


def fmt_float(value: Any, digits: int = 1) -> str:
    """``12.3``; ``—`` for a missing value."""
    return "—" if value is None else f"{float(value):,.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share (a fraction) as ``12.3 %``; ``—`` for a missing value."""
    return "—" if value is None else f"{100 * float(value):.{digits}f} %"


def unit_name(unit: str) -> str:
    """A country's name (``China``); a group or union keeps its code (``EU27``)."""
    return country_name(unit) if is_country(unit) else unit


def possessive(name: str) -> str:
    """``China's``, ``United States'``.

    >>> possessive("China"), possessive("United States")
    ("China's", "United States'")
    """
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def md_escape(value: object) -> str:
    """Text for Markdown: whitespace runs as one space, markup characters backslash-escaped,
    ``<>&`` as HTML entities (so a ``|`` cannot break a table, nor a tag reach a renderer)."""
    text = " ".join(str(value).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def html_escape(value: object) -> str:
    """Text for HTML, in an element or a quoted attribute: ``<>&"'`` as entities."""
    return html.escape(str(value))
