"""The definitions in force, the source line every figure prints, and the glossary.

Examples
--------
>>> manifest = {"filters": {"selection": "subfield:1702", "types": ["article"]},
...             "created": "2025-07-01T10:00:00+00:00", "source": "https://api.openalex.org"}
>>> section = definitions_section(Definitions(threshold=50), manifest, [2015, 2024])
>>> section.blocks[0].items[0][:64]
'Definition of AI: OpenAlex works whose primary topic is in subfi'
>>> source_line(manifest, "ai")
'dataset ai (https://api.openalex.org), AI = OpenAlex works whose primary topic is in subfield 1702 (Artificial Intelligence), data of 2025-07-01'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from biblio.report.document import BulletList, Section, Table
from biblio.summary import Definitions

__all__ = ["GLOSSARY", "ai_definition", "definitions_section", "glossary_section", "source_line"]

TITLE = "Definitions"

_SELECTION = {
    "subfield": "OpenAlex works whose primary topic is in subfield {v}",
    "topic-subfield": "OpenAlex works with any of their topics in subfield {v}",
    "concept": "OpenAlex works tagged with the legacy concept {v}",
}
_NAMED = {"1702": "Artificial Intelligence", "C154945302": "Artificial intelligence"}


def ai_definition(selection: str | None) -> str:
    """The selection of a dataset in words.

    >>> ai_definition("concept:C154945302")
    'OpenAlex works tagged with the legacy concept C154945302 (Artificial intelligence)'
    >>> ai_definition(None)
    'not recorded'
    """
    if not selection:
        return "not recorded"
    kind, _, value = selection.partition(":")
    if kind not in _SELECTION:
        return selection
    named = f" ({_NAMED[value]})" if value in _NAMED else ""
    return _SELECTION[kind].format(v=value) + named


def source_line(manifest: Mapping[str, Any], dataset_name: str) -> str:
    """What every figure prints as its source: the dataset, its definition of AI and the date
    of its data (the plot adds the counting; a synthetic dataset also gets a mark)."""
    filters = manifest.get("filters") or {}
    created = str(manifest.get("created") or "")[:10]
    origin = manifest.get("source")
    parts = [
        f"dataset {dataset_name}" + (f" ({origin})" if origin else ""),
        f"AI = {ai_definition(filters.get('selection'))}",
    ]
    if created:
        parts.append(f"data of {created}")
    return ", ".join(parts)


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
            f"Definition of AI: {ai_definition(selection)} "
            f"({selection}); publication years "
            f"{years[0]}–{years[-1]}; work types: "
            f"{', '.join(filters.get('types') or []) or 'all'}; paratext "
            f"{corpus.paratext}, retracted works {corpus.retracted}.",
            "Counting: full (a work counts once for every unit with an author there) and "
            "fractional (each authorship with a country carries 1/n of the work, split equally "
            "over its countries). Every number in this report says which. Shares are of the "
            "works (or citations) that name at least one country.",
            "Citation windows: received = citations made in year Y (OpenAlex counts_by_year) to "
            f"AI works published up to Y, reaching back to {years[0]}; published = citations to "
            "date of the works published in Y; the trend = citations made in Y to the works of "
            "the three years up to Y, the same window every year.",
            f"Institutions: threshold {definitions.threshold} works, strictly greater; "
            f"roll-up to the top-level institution: "
            f"{'yes' if definitions.institution_rollup else 'no'}.",
            f"Active researchers: at least {researchers.min_works} work(s) in the last "
            f"{researchers.window_years} year(s), placed by their latest work.",
            "Works of more than 100 authors (consortium papers) are counted like any other; the "
            "headlines say when a finding rests on them and what it is without them.",
            "Units: countries are ISO 3166-1 alpha-2 codes as OpenAlex gives them (TW, HK and MO "
            "are their own units); EU27 is the 27 members since 2020 in every year; EU the "
            "members of each year; Africa the UN M49 region. Full definitions: METRICS.md.",
        ),
    )


#: The terms a reader may not know, in the order they first appear.
GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "full counting",
        "a work counts once, whole, for every country (or group) with an author on it; shares "
        "of several countries can sum to more than 100 %",
    ),
    (
        "fractional counting",
        "a work is split over its authorships, and each authorship over its countries, so "
        "every work counts 1 in total and shares sum to 100 %",
    ),
    (
        "works that name a country (attributed)",
        "works with at least one authorship whose affiliation OpenAlex places in a country; "
        "the others are left out of every country figure",
    ),
    (
        "citation window",
        "which citations are counted: those made in a year (received), those to date of a "
        "year's works (published), or those made in a year to the works of the three years up "
        "to it (trend)",
    ),
    (
        "relative citation impact",
        "a country's share of the citations to a year's works divided by its share of those "
        "works (fractional counting); 1 = the world's average",
    ),
    (
        "flow share F(u→v)",
        "the share of country u's AI works with at least one co-author in country v (full "
        "counting)",
    ),
    (
        "size ratio (asymmetry)",
        "F(u→v) ÷ F(v→u); it equals works(v) ÷ works(u), so it measures the two sizes, not who "
        "relies on whom",
    ),
    (
        "affinity",
        "co-authored works ÷ the number expected if partners were chosen regardless of country "
        "(observed ÷ expected); 1 = as the two sizes predict",
    ),
    (
        "Salton's cosine",
        "co-authored works ÷ √(works of u × works of v): a size-adjusted strength of the tie, "
        "from 0 (none) to 1 (every work shared)",
    ),
    (
        "lead authorship",
        "the corresponding author when exactly one is flagged and has a country, else the "
        "first author with a country",
    ),
    (
        "leadership asymmetry",
        "co-authored works led from u ÷ those led from v; 1 = each leads as many",
    ),
    (
        "international co-authorship rate",
        "the share of a country's works with a co-author in another country",
    ),
    (
        "partners; co-authored works summed over partners",
        "the number of countries a country co-authored with, and the sum of its co-authored "
        "works over them (a work with three partners counts three times); 'most connected' "
        "is said of each",
    ),
    (
        "works of more than 100 authors",
        "consortium papers: each adds a co-authored work to every pair of its countries, so a "
        "few of them can make a country 'most connected'",
    ),
    (
        "Leiden community",
        "a group of countries more tied to each other than to the rest, found by the Leiden "
        "algorithm (modularity, fixed seed)",
    ),
    (
        "Kamada–Kawai layout",
        "a spring layout: strongly tied countries are drawn close; the positions carry no "
        "other meaning",
    ),
    (
        "lineage, roll-up",
        "OpenAlex lists each institution with its parents (lineage); rolled up, a lab counts "
        "under its top-level institution",
    ),
    ("paratext", "front matter, covers, tables of contents: not research, left out"),
    (
        "active researcher",
        "an author with an OpenAlex id and at least one AI work in the year, placed in the "
        "countries of their latest work",
    ),
    ("EU27, EU", "the 27 members since 2020 in every year; the members in force each year"),
)


def glossary_section() -> Section:
    """The glossary: the terms that remain, each in a sentence."""
    return Section("Glossary", Table(["term", "meaning"], [list(row) for row in GLOSSARY]))
