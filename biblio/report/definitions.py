"""The section "Definitions": the definitions in force, from the summary and the manifest.

Examples
--------
>>> manifest = {"filters": {"selection": "subfield:1702", "types": ["article"]}}
>>> section = definitions_section(Definitions(threshold=50), manifest, [2015, 2024])
>>> section.blocks[0].items[0][:60]
'Selection of AI works: subfield:1702 (OpenAlex); publication'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from biblio.report.document import BulletList, Section
from biblio.summary import Definitions

__all__ = ["definitions_section"]

TITLE = "Definitions"


def definitions_section(
    definitions: Definitions, manifest: Mapping[str, Any], years: Sequence[int]
) -> Section:
    """One bullet per definition; ``definitions`` is the summary's, ``years`` the dataset's."""
    filters = manifest.get("filters") or {}
    researchers = definitions.active_researcher
    corpus = definitions.corpus_filters
    selection = definitions.selection or filters.get("selection", "not recorded")
    return Section(
        TITLE,
        BulletList(
            f"Selection of AI works: {selection} (OpenAlex); "
            f"publication years {years[0]}–{years[-1]}; work types: "
            f"{', '.join(filters.get('types') or []) or 'all'}; paratext "
            f"{corpus.paratext}, retracted works {corpus.retracted}.",
            "Counting: full (a work counts once for every unit with an author there) and "
            "fractional (each authorship with a country carries 1/n of the work, split equally "
            "over its countries). Shares are of the works (or citations) that name at least one "
            "country.",
            "Citation windows: received = citations made in year Y (OpenAlex counts_by_year) to "
            f"AI works published up to Y, reaching back to {years[0]}; published = citations to "
            "date of the works published in Y.",
            f"Institutions: threshold {definitions.threshold} works, strictly greater; "
            f"roll-up to the top-level institution: "
            f"{'yes' if definitions.institution_rollup else 'no'}.",
            f"Active researchers: at least {researchers.min_works} work(s) in the last "
            f"{researchers.window_years} year(s), placed by their latest work.",
            "Units: countries are ISO 3166-1 alpha-2 codes as OpenAlex gives them (TW, HK and MO "
            "are their own units); EU27 is the 27 members since 2020 in every year; EU the "
            "members of each year; AFRICA the UN M49 region. Full definitions: METRICS.md.",
        ),
    )
