"""The published figures the reports set beside their own, and the units and pairs they name.

``biblio/data/published_figures.csv`` (``unit, year, metric, value, comparison, source``) holds
the figures of PUBLISHED_FIGURES.md; the constants below name, once, the units and flow pairs
those figures talk about. The report (headlines, figures) and the yearly bundle
(:func:`biblio.bundle.headline_figures`) take them from here; a test checks that they agree with
the data file.

Examples
--------
>>> rows = read_published_figures()
>>> [(r.unit, r.comparison, r.value) for r in rows if r.metric == "citation_share"][0]
('CN', '>', 0.4)
>>> sorted({r.unit for r in rows if r.metric == "output"} - {"world"}) == sorted(KEY_UNITS)
True
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "INSTITUTION_UNITS",
    "KEY_UNITS",
    "PUBLISHED_FLOW_PAIRS",
    "PublishedFigure",
    "published_flow_units",
    "read_published_figures",
]

#: The units of the published figures, in the order headline sentences list them.
KEY_UNITS = ("CN", "US", "EU27", "GB")
#: The units of the published counts of institutions above the threshold (France and Africa: 0).
INSTITUTION_UNITS = (*KEY_UNITS, "FR", "AFRICA")
#: The published pairwise flows ``source → partner``; the asymmetry figure shows them first.
#: (The published union flow ``CN → US+GB+EU27`` is a default row of every flows table:
#: :data:`biblio.metrics.flows.DEFAULT_UNION_PAIRS`.)
PUBLISHED_FLOW_PAIRS = (("US", "CN"), ("GB", "CN"), ("EU27", "CN"))


@dataclass(frozen=True)
class PublishedFigure:
    """One row of ``biblio/data/published_figures.csv``; a ``flow_share`` unit is
    ``SOURCE→PARTNER``, a share a fraction, ``comparison`` one of ``≈``, ``>``, ``<``."""

    unit: str
    year: int
    metric: str
    value: float
    comparison: str
    source: str


def read_published_figures(path: Path | None = None) -> list[PublishedFigure]:
    """The published figures, in the file's order (the bundled file unless ``path``)."""
    text = (
        path.read_text("utf-8")
        if path
        else resources.files("biblio").joinpath("data/published_figures.csv").read_text("utf-8")
    )
    return [
        PublishedFigure(
            r["unit"], int(r["year"]), r["metric"], float(r["value"]), r["comparison"], r["source"]
        )
        for r in csv.DictReader(text.splitlines())
    ]


def published_flow_units() -> list[tuple[str, str]]:
    """The published flows as ``(source, partner)``, in the data file's order.

    >>> published_flow_units()[:2]
    [('CN', 'US+GB+EU27'), ('US', 'CN')]
    """
    pairs = [r.unit.partition("→") for r in read_published_figures() if r.metric == "flow_share"]
    return [(source, partner) for source, _, partner in pairs]
