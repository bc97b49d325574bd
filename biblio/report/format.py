"""Text for the report: numbers as they are printed, unit names, and escaping for both outputs.

Every formatter prints ``—`` for a missing value. Names come from :mod:`biblio.names`
(countries by name in sentences, codes beside names in tables). Escaping is the renderers' job
(:mod:`biblio.report.html`, :mod:`biblio.report.markdown`): the document model holds raw text.

Examples
--------
>>> fmt_int(1234), fmt_float(2.345), fmt_pct(0.1234), fmt_pct(None)
('1,234', '2.3', '12.3 %', '—')
>>> fmt_count(532.66, "fractional"), fmt_count(588, "full"), plural(1, "work"), plural(3, "work")
('532.7', '588', '1 work', '3 works')
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

from biblio.names import capital, name_with_code, possessive, the, unit_name

__all__ = [
    "capital",
    "fmt_count",
    "fmt_float",
    "fmt_int",
    "fmt_pct",
    "html_escape",
    "md_escape",
    "name_with_code",
    "plural",
    "possessive",
    "the",
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


def fmt_count(value: Any, counting: str) -> str:
    """A count as printed with its counting: ``588`` (full), ``532.7`` (fractional)."""
    if value is None:
        return "—"
    return fmt_int(value) if counting == "full" else fmt_float(value)


def plural(n: int, noun: str) -> str:
    """``1 work``, ``3 works`` (with a thousands separator)."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def md_escape(value: object) -> str:
    """Text for Markdown: whitespace runs as one space, markup characters backslash-escaped,
    ``<>&`` as HTML entities (so a ``|`` cannot break a table, nor a tag reach a renderer)."""
    text = " ".join(str(value).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def html_escape(value: object) -> str:
    """Text for HTML, in an element or a quoted attribute: ``<>&"'`` as entities."""
    return html.escape(str(value))
