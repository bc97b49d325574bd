"""The headline figures of ``summary.json``, as typed values.

:func:`biblio.tables.summarise` builds a :class:`Summary` from the tables; :meth:`Summary.dumps`
is the text of ``summary.json`` and :meth:`Summary.loads` reads it back (the benchmark's
year-over-year section reads last year's bundle). Reports use the fields, not the JSON. This
module imports nothing of ours.

``summary.json`` holds ``definitions`` (the options in force), ``years`` (one
:class:`YearSummary` per reported year, keyed by the year as a string) and, when written by
``biblio metrics``, ``dataset`` (its name and manifest). Keys are sorted; a figure that is not
defined is ``null``.

Examples
--------
>>> head = YearSummary(attributed_works=10, most_connected=MostConnected("CN", 3, 2))
>>> summary = Summary(Definitions(threshold=50), {2024: head})
>>> Summary.loads(summary.dumps()) == summary
True
>>> summary.years[2024].most_connected.unit
'CN'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "ActiveResearcher",
    "CitationWindows",
    "CorpusFilters",
    "DatasetInfo",
    "Definitions",
    "Flow",
    "Leader",
    "MostConnected",
    "Summary",
    "YearSummary",
]


@dataclass(frozen=True)
class CitationWindows:
    """What each citation window counts."""

    received: str = "citations made in year Y to AI works published up to Y"
    published: str = "citations to date of the works published in Y"


@dataclass(frozen=True)
class ActiveResearcher:
    """``k`` works in the last ``m`` years make an author active."""

    min_works: int = 1
    window_years: int = 1


@dataclass(frozen=True)
class CorpusFilters:
    """Whether paratext and retracted works are ``kept`` or ``dropped``."""

    paratext: str = "dropped"
    retracted: str = "dropped"


@dataclass(frozen=True)
class Definitions:
    """The definitions in force (:meth:`biblio.tables.MetricOptions.describe`)."""

    threshold: int = 50
    institution_rollup: bool = True
    active_researcher: ActiveResearcher = ActiveResearcher()
    corpus_filters: CorpusFilters = CorpusFilters()
    counting: str = "full and fractional (authorship weights 1/n_w split over countries)"
    citation_windows: CitationWindows = CitationWindows()
    #: The definition of AI work the tables are computed for (None: the dataset's only one).
    selection: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the definitions (``selection`` only when one was chosen)."""
        out = asdict(self)
        if self.selection is None:
            del out["selection"]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Definitions:
        """The definitions of a ``summary.json`` object."""
        return cls(
            selection=data.get("selection"),
            threshold=data["threshold"],
            institution_rollup=data["institution_rollup"],
            active_researcher=ActiveResearcher(**data["active_researcher"]),
            corpus_filters=CorpusFilters(**data["corpus_filters"]),
            counting=data["counting"],
            citation_windows=CitationWindows(**data["citation_windows"]),
        )


@dataclass(frozen=True)
class Leader:
    """The country with the largest citation share in one window and counting."""

    unit: str
    share: float


@dataclass(frozen=True)
class Flow:
    """One published flow: the share of ``source``'s works with a co-author in ``partner``."""

    source: str
    partner: str
    flow_share: float | None


@dataclass(frozen=True)
class MostConnected:
    """The country with the most co-authorship links (strength) in the year."""

    unit: str
    strength: int
    partners: int


@dataclass(frozen=True)
class YearSummary:
    """The headline figures of one year.

    ``citation_share_leader`` is keyed ``<window>_<counting>`` (``received_full``,
    ``published_frac``, …); ``top_partner`` maps a unit to its top partner country (``None``
    with no co-authored work); ``institutions_above`` and ``researchers`` map units to counts.
    """

    attributed_works: int | None = None
    citation_share_leader: Mapping[str, Leader] = field(default_factory=dict)
    flows: tuple[Flow, ...] = ()
    top_partner: Mapping[str, str | None] = field(default_factory=dict)
    most_connected: MostConnected | None = None
    institutions_above: Mapping[str, int] = field(default_factory=dict)
    researchers: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> YearSummary:
        connected = data["most_connected"]
        return cls(
            attributed_works=data["attributed_works"],
            citation_share_leader={
                key: Leader(**leader) for key, leader in data["citation_share_leader"].items()
            },
            flows=tuple(Flow(**flow) for flow in data["flows"]),
            top_partner=dict(data["top_partner"]),
            most_connected=MostConnected(**connected) if connected is not None else None,
            institutions_above=dict(data["institutions_above"]),
            researchers=dict(data["researchers"]),
        )


@dataclass(frozen=True)
class DatasetInfo:
    """The dataset the figures come from: its name and its manifest, as it is."""

    name: str
    manifest: Mapping[str, Any]


@dataclass(frozen=True)
class Summary:
    """Everything in ``summary.json``: definitions, the figures of each year, the dataset."""

    definitions: Definitions
    years: Mapping[int, YearSummary]
    dataset: DatasetInfo | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``summary.json`` (years keyed by strings)."""
        out: dict[str, Any] = {
            "definitions": self.definitions.to_json(),
            "years": {str(year): asdict(head) for year, head in self.years.items()},
        }
        if self.dataset is not None:
            out["dataset"] = asdict(self.dataset)
        return out

    def dumps(self) -> str:
        """The text of ``summary.json``: indented, keys sorted, one final newline."""
        return json.dumps(self.to_json(), indent=2, sort_keys=True, default=str) + "\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        """The summary of a ``summary.json`` object; ``ValueError`` if it is not one."""
        try:
            dataset = data.get("dataset")
            return cls(
                definitions=Definitions.from_json(data["definitions"]),
                years={int(y): YearSummary.from_json(head) for y, head in data["years"].items()},
                dataset=DatasetInfo(**dataset) if dataset is not None else None,
            )
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"not a summary.json object ({exc!r})") from exc

    @classmethod
    def loads(cls, text: str) -> Summary:
        """Parse the text of ``summary.json``; ``ValueError`` if it is not one."""
        return cls.from_json(json.loads(text))
