"""The headline sentences: the year's main figures in plain words, from the tables.

Each sentence is generated from the metric tables and :func:`biblio.tables.summarise`'s output,
and left out when its figures are missing. Units are named (``China``), groups keep their code
(``EU27``); the units are those of the published figures
(:data:`biblio.report.published.KEY_UNITS`). The sentences are raw text, escaped by the
renderers.

Examples
--------
>>> import polars as pl
>>> tables = {
...     "coverage": pl.DataFrame({"year": [2024], "works": [10], "attributed": [8],
...                               "unattributed": [2]}),
...     "output": pl.DataFrame({"unit": ["CN"], "year": [2024], "works_full": [6],
...                             "share_frac": [0.5]}),
...     "citation_shares": pl.DataFrame({"unit": ["CN"], "year": [2024],
...                                      "window": ["received"], "share_full": [0.4]}),
... }
>>> from biblio.summary import Definitions, Summary, YearSummary
>>> summary = Summary(Definitions(), {2024: YearSummary()})
>>> sentences = headline_sentences(tables, summary, 2024)
>>> len(sentences), sentences[-1]
(3, 'Shares of the citations received in 2024: China 40.0 %.')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from biblio.report._frames import cell
from biblio.report.format import fmt_int, fmt_pct, possessive, unit_name
from biblio.report.published import INSTITUTION_UNITS, KEY_UNITS
from biblio.summary import Summary

__all__ = ["headline_sentences"]


def _list(units: Sequence[str], values: Mapping[str, Any], fmt: Callable[[Any], str]) -> str:
    parts = [f"{unit_name(u)} {fmt(values[u])}" for u in units if values.get(u) is not None]
    return ", ".join(parts)


def headline_sentences(
    tables: Mapping[str, pl.DataFrame], summary: Summary, year: int
) -> list[str]:
    """Plain sentences with the year's headline figures, from the tables and the summary.

    ``summary`` is :func:`biblio.tables.summarise`'s output. Returns raw text (not escaped).
    """
    head = summary.years[year]
    definitions = summary.definitions
    out: list[str] = []
    cov = tables["coverage"].filter(year=year).row(0, named=True)
    out.append(
        f"In {year} the dataset holds {fmt_int(cov['works'])} AI works; "
        f"{fmt_int(cov['attributed'])} name at least one country and "
        f"{fmt_int(cov['unattributed'])} "
        f"({fmt_pct(cov['unattributed'] / cov['works'] if cov['works'] else None)}) name none, "
        "so they are left out of every country figure."
    )
    output = tables["output"].filter(year=year)
    key = [u for u in KEY_UNITS if u in output["unit"].to_list()]
    if key:
        works = dict(zip(output["unit"], output["works_full"], strict=True))
        shares = dict(zip(output["unit"], output["share_frac"], strict=True))
        out.append(
            f"AI works with at least one author in the unit (full counting): "
            f"{_list(key, works, fmt_int)}; fractional shares of the world's attributed "
            f"works: {_list(key, shares, fmt_pct)}."
        )
    leaders = head.citation_share_leader
    if "received_full" in leaders:
        full, frac = leaders["received_full"], leaders.get("received_frac")
        frac_text = f" ({fmt_pct(frac.share)} with fractional counting" if frac else ""
        if frac and frac.unit != full.unit:
            frac_text += f", where {unit_name(frac.unit)} leads"
        frac_text += ")" if frac else ""
        out.append(
            f"In {year} {possessive(unit_name(full.unit))} AI works received "
            f"{fmt_pct(full.share)} of the citations received by AI works{frac_text}."
        )
    cites = tables["citation_shares"].filter(year=year, window="received")
    key = [u for u in KEY_UNITS if cell(cites, "share_full", unit=u) is not None]
    if key:
        shares = {u: cell(cites, "share_full", unit=u) for u in key}
        out.append(f"Shares of the citations received in {year}: {_list(key, shares, fmt_pct)}.")
    flows = [f for f in head.flows if f.flow_share is not None]
    if flows:
        parts = [
            f"{fmt_pct(f.flow_share)} of {possessive(unit_name(f.source))} AI works had a "
            f"co-author in {unit_name(f.partner)}"
            for f in flows
        ]
        out.append(f"In {year}, " + "; ".join(parts) + ".")
    partners: dict[str, list[str]] = {}
    for unit, partner in head.top_partner.items():
        if partner is not None:
            partners.setdefault(partner, []).append(unit_name(unit))
    if partners:
        out.append(
            " ".join(
                f"{unit_name(p)} is the top co-author country of {' and '.join(us)}."
                for p, us in sorted(partners.items())
            )
        )
    connected = head.most_connected
    if connected:
        out.append(
            f"{unit_name(connected.unit)} is the most connected country: "
            f"{fmt_int(connected.strength)} co-authorship links (co-authored works summed "
            f"over partners) with {connected.partners} partner countries."
        )
    above = head.institutions_above
    threshold = definitions.threshold
    key = [u for u in INSTITUTION_UNITS if u in above]
    if key:
        out.append(
            f"Institutions with more than {threshold} AI works in {year}: "
            f"{_list(key, above, fmt_int)}."
        )
    people = head.researchers
    key = [u for u in KEY_UNITS if u in people]
    if key:
        out.append(f"Active AI researchers in {year}: {_list(key, people, fmt_int)}.")
    return out
