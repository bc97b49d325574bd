"""The headline sentences: the year's main figures in plain words, from the tables alone.

Every number says its counting and stands beside the count it rests on ("14.0 % (17 of 121
works)"); one sentence never mixes countings. A finding that rests on fewer than
:data:`~biblio.metrics.derived.FEW_WORKS` works says so, and one that changes without the works
of more than 100 authors (consortium papers) says what it would be without them. Countries are
named; the units and their order are those of the published figures
(:mod:`biblio.report.published`), so the same tables always give the same sentences, through
``biblio report`` and ``biblio benchmark`` alike. A sentence whose figures are missing is left
out. The sentences are raw text, escaped by the renderers.

Examples
--------
>>> import polars as pl
>>> tables = {
...     "coverage": pl.DataFrame({"year": [2024], "works": [10], "attributed": [8],
...                               "unattributed": [2]}),
...     "output": pl.DataFrame({"unit": ["CN"], "year": [2024], "works_full": [6],
...                             "works_frac": [4.0], "share_full": [0.75], "share_frac": [0.5]}),
... }
>>> for sentence in headline_sentences(tables, 2024):
...     print(sentence)
In 2024 the dataset holds 10 AI works; 8 name at least one country and 2 (20.0 %) name none, so they are left out of every country figure.
Full counting (a work counts once for every unit with an author in it): China 6 AI works (75.0 % of the 8 that name a country).
Fractional counting (each work split over its authors' countries): China 4.0 AI works (50.0 % of 8).
>>> manifest = {"validation": {"years": {"2024": {"country_years": 2, "agree": 1, "largest": [
...     {"country": "CN", "year": 2024, "difference": -3}]}}}}
>>> validation_sentence(manifest, 2024)
"OpenAlex's own counts of 2024 (its group_by of works per country, asked at fetch time) \
agree with the dataset's for 1 of 2 countries; the largest difference: China, 3 works fewer \
in the dataset."
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from biblio.metrics.derived import FEW_WORKS, citation_impact, international_rate
from biblio.report._frames import cell
from biblio.report.findings import (
    Flow,
    connectivity,
    flow,
    large_threshold,
    large_works_of,
    top_partners,
)
from biblio.report.format import (
    capital,
    fmt_count,
    fmt_float,
    fmt_int,
    fmt_pct,
    plural,
    possessive,
    the,
    unit_name,
)
from biblio.report.published import INSTITUTION_UNITS, KEY_UNITS, published_flow_units
from biblio.summary import Definitions
from biblio.units import is_country

__all__ = ["headline_sentences", "validation_sentence"]

Tables = Mapping[str, pl.DataFrame]
_COLUMN = {"full": "full", "fractional": "frac"}


def _few(n: int) -> str:
    return f" — only {plural(n, 'work')}" if n < FEW_WORKS else ""


def _units(frame: pl.DataFrame, units: tuple[str, ...], column: str) -> list[str]:
    present = frame.filter(pl.col(column).is_not_null())["unit"].to_list()
    return [u for u in units if u in present]


def _coverage(tables: Tables, year: int) -> list[str]:
    rows = tables["coverage"].filter(pl.col("year") == year)
    if rows.is_empty():
        return []
    cov = rows.row(0, named=True)
    share = cov["unattributed"] / cov["works"] if cov["works"] else None
    return [
        f"In {year} the dataset holds {fmt_int(cov['works'])} AI works; "
        f"{fmt_int(cov['attributed'])} name at least one country and "
        f"{fmt_int(cov['unattributed'])} ({fmt_pct(share)}) name none, so they are left out of "
        "every country figure."
    ]


def _output(tables: Tables, year: int) -> list[str]:
    output = tables["output"].filter(pl.col("year") == year)
    attributed = cell(tables["coverage"], "attributed", year=year)
    units = _units(output, KEY_UNITS, "works_full")
    if not units or attributed is None:
        return []
    out = []
    for counting, intro in (
        ("full", "Full counting (a work counts once for every unit with an author in it)"),
        ("fractional", "Fractional counting (each work split over its authors' countries)"),
    ):
        suffix = _COLUMN[counting]
        parts = []
        for i, unit in enumerate(units):
            works = cell(output, f"works_{suffix}", unit=unit)
            share = cell(output, f"share_{suffix}", unit=unit)
            whole = f" of the {fmt_int(attributed)} that name a country" if i == 0 else ""
            if counting == "fractional":
                whole = f" of {fmt_int(attributed)}" if i == 0 else ""
            noun = " AI works" if i == 0 else ""
            parts.append(
                f"{the(unit)} {fmt_count(works, counting)}{noun} ({fmt_pct(share)}{whole})"
            )
        out.append(f"{intro}: {capital('; '.join(parts))}.")
    if len(units) > 1:
        out[0] = out[0][:-1] + "; shares sum to more than 100 % as a work counts for each unit."
    return out


def _citations(tables: Tables, year: int, first_year: int | None) -> list[str]:
    cites = tables["citation_shares"].filter(
        (pl.col("year") == year) & (pl.col("window") == "received")
    )
    units = _units(cites, KEY_UNITS, "share_full")
    if not units:
        return []
    known = cites.filter(pl.col("share_frac") > 0)
    total = (
        known["citations_frac"][0] / known["share_frac"][0] if known.height else None
    )  # the year's citations, the denominator of every share
    span = f"{first_year}–{year}" if first_year is not None else f"up to {year}"
    out = []
    countries = cites.filter(
        pl.col("unit").map_elements(is_country, return_dtype=pl.Boolean)
        & pl.col("share_frac").is_not_null()
    ).sort(["share_frac", "unit"], descending=[True, False])
    if countries.height and total:
        lead = countries.row(0, named=True)
        out.append(
            f"In {year} {possessive(the(lead['unit']))} AI works received more of the citations "
            f"made that year to AI works than any other country's: {fmt_pct(lead['share_frac'])} "
            f"({fmt_float(lead['citations_frac'])} of {fmt_int(round(total))} citations, "
            "fractional counting)."
        )
    for counting in ("full", "fractional"):
        suffix = _COLUMN[counting]
        parts = [
            f"{the(u)} {fmt_pct(cell(cites, f'share_{suffix}', unit=u))} "
            f"({fmt_count(cell(cites, f'citations_{suffix}', unit=u), counting)})"
            for u in units
        ]
        sentence = (
            f"Citations made in {year} to AI works published {span} "
            f"({fmt_int(round(total)) if total is not None else '—'} citations), {counting} "
            f"counting: {capital('; '.join(parts))}"
        )
        if counting == "full":
            sentence += (
                "; full-counted shares sum to more than 100 % as a work's citations count for "
                "each of its units"
            )
        out.append(sentence + ".")
    return out


def _flow_text(f: Flow, first: bool, threshold: int) -> str:
    of = possessive(the(f.source)) + (" AI works" if first else "")
    text = (
        f"{fmt_pct(f.share)} of {of} ({f.coauthored:,} of {f.source_works:,}) had a co-author "
        f"in {the(f.partner)}{_few(f.coauthored)}"
    )
    if f.large:
        text += (
            f" ({plural(f.large, 'work')} of more than {threshold} authors among them; "
            f"{fmt_pct(f.share_rest)} without those, {f.coauthored_rest:,} of "
            f"{f.source_works_rest:,})"
        )
    return text


def _flows(tables: Tables, year: int) -> list[str]:
    threshold = large_threshold(tables)
    found = [flow(tables, year, s, p) for s, p in published_flow_units()]
    flows = [f for f in found if f is not None and f.share is not None]
    if not flows:
        return []
    parts = [_flow_text(f, i == 0, threshold) for i, f in enumerate(flows)]
    return [f"In {year}, full counting: " + "; ".join(parts) + "."]


def _partners(tables: Tables, year: int) -> list[str]:
    threshold = large_threshold(tables)
    found = top_partners(tables, year, KEY_UNITS)
    if not found:
        return []
    parts = []
    for p in found:
        text = (
            f"of {the(p.unit)}, {the(p.partner)} ({plural(p.coauthored, 'work')})"
            f"{_few(p.coauthored)}"
        )
        if p.large and p.partner_rest != p.partner:
            rest = (
                f"{the(p.partner_rest)} ({plural(p.coauthored_rest, 'work')})"
                if p.partner_rest
                else "no country"
            )
            text += f", {p.large} of them of more than {threshold} authors; without those, {rest}"
        elif p.large:
            text += f", {p.large} of them of more than {threshold} authors"
        parts.append(text)
    return [
        f"Top co-author country in {year} (most co-authored AI works, full counting): "
        + "; ".join(parts)
        + "."
    ]


def _connected(tables: Tables, year: int) -> list[str]:
    c = connectivity(tables, year)
    if c is None:
        return []
    if c.by_partners == c.by_works:
        text = (
            f"Most connected in {year}, counted over {c.countries} countries: "
            f"{the(c.by_partners)}, with the most partner countries ({c.partners}) and the most "
            f"co-authored AI works summed over its partners ({fmt_int(c.strength)}, full "
            "counting)"
        )
    else:
        text = (
            f"Most connected in {year}, counted over {c.countries} countries: by number of "
            f"partner countries, {the(c.by_partners)} ({c.partners}); by co-authored AI works "
            f"summed over partners, {the(c.by_works)} ({fmt_int(c.strength)}, full counting)"
        )
    if c.large:
        threshold = large_threshold(tables)
        changed = c.by_partners_rest != c.by_partners or c.by_works_rest != c.by_works
        text += (
            f". {capital(plural(c.large, 'work'))} of more than {threshold} authors add a link "
            "between every pair of their countries; without "
            + ("it" if c.large == 1 else "them")
            + f", the most partners: {the(c.by_partners_rest or '—')} ({c.partners_rest}), the "
            f"most co-authored works: {the(c.by_works_rest or '—')} "
            f"({fmt_int(c.strength_rest)})"
            + (" — the finding rests on those few works" if changed else "")
        )
    return [text + "."]


def _international(tables: Tables, year: int) -> list[str]:
    rates = international_rate(tables["network_nodes"].filter(pl.col("year") == year))
    units = [u for u in KEY_UNITS if u in rates["unit"].to_list()]
    if not units:
        return []
    parts = []
    for unit in units:
        row = rates.filter(pl.col("unit") == unit).row(0, named=True)
        parts.append(
            f"{the(unit)} {fmt_pct(row['intl_rate'])} ({fmt_int(row['international_works'])} of "
            f"{fmt_int(row['works_full'])})"
        )
    return [
        f"AI works with a co-author in another country in {year} (international co-authorship "
        f"rate, full counting): {capital('; '.join(parts))}."
    ]


def _impact(tables: Tables, year: int) -> list[str]:
    impact = citation_impact(tables["output"], tables["citation_shares"]).filter(
        pl.col("year") == year
    )
    units = _units(impact, KEY_UNITS, "impact")
    if not units:
        return []
    parts = [
        f"{the(u)} {fmt_float(cell(impact, 'impact', unit=u), 2)} "
        f"({fmt_float(cell(impact, 'citations', unit=u))} citations to "
        f"{fmt_float(cell(impact, 'works', unit=u))} works)"
        for u in units
    ]
    return [
        f"Relative citation impact of the AI works of {year} (share of their citations to date ÷ "
        "share of the works, fractional counting; 1 = the world's average): "
        f"{capital('; '.join(parts))}."
    ]


def _institutions(tables: Tables, year: int, threshold: Any) -> list[str]:
    above = tables["institutions_above"].filter(pl.col("year") == year)
    units = [u for u in INSTITUTION_UNITS if u in above["unit"].to_list()]
    if not units:
        return []
    parts = [
        f"{the(u)} {fmt_int(cell(above, 'institutions_above', unit=u))} (of "
        f"{fmt_int(cell(above, 'institutions_total', unit=u))} with at least one)"
        for u in units
    ]
    return [
        f"Institutions with more than {threshold} AI works in {year} (full counting, rolled up "
        f"to their top-level institution): {capital('; '.join(parts))}."
    ]


def _researchers(tables: Tables, year: int) -> list[str]:
    people = tables["researchers"].filter(pl.col("year") == year)
    units = _units(people, KEY_UNITS, "researchers_full")
    if not units:
        return []
    first = people.row(0, named=True)
    parts = [f"{the(u)} {fmt_int(cell(people, 'researchers_full', unit=u))}" for u in units]
    window = (
        "in the year"
        if first["window_years"] == 1
        else f"in the last {plural(first['window_years'], 'year')}"
    )
    return [
        f"Active AI researchers in {year} (authors with an OpenAlex id and at least "
        f"{plural(first['min_works'], 'AI work')} {window}, counted in every country of their "
        f"latest work: full counting): {capital('; '.join(parts))}."
    ]


def _large(tables: Tables, year: int) -> list[str]:
    works = large_works_of(tables, year)
    if works.is_empty():
        return []
    threshold = large_threshold(tables)
    sizes = works["work_authorships"].to_list()
    countries = works["countries"].to_list()
    return [
        f"Read with care: {plural(works.height, 'work')} of {year} "
        f"{'has' if works.height == 1 else 'have'} more than {threshold} authors "
        f"({min(sizes):,}–{max(sizes):,} authorships, {min(countries)}–{max(countries)} "
        "countries each); each adds a co-authored work to every pair of its countries, so a "
        "handful of them can move the co-authorship figures. They are listed under Tables."
    ]


def validation_sentence(manifest: Mapping[str, Any], year: int) -> str | None:
    """How OpenAlex's own per-country counts of ``year`` compare with the dataset's.

    From the manifest's ``validation`` (a fetched dataset's ``validation.csv``); None when the
    dataset has no such check for the year.
    """
    found = (manifest.get("validation") or {}).get("years", {}).get(str(year))
    if not found:
        return None
    text = (
        f"OpenAlex's own counts of {year} (its group_by of works per country, asked at fetch "
        f"time) agree with the dataset's for {fmt_int(found['agree'])} of "
        f"{fmt_int(found['country_years'])} countries"
    )
    if found.get("largest"):
        top = found["largest"][0]
        more = "more" if top["difference"] > 0 else "fewer"
        text += (
            f"; the largest difference: {unit_name(top['country'])}, "
            f"{fmt_int(abs(top['difference']))} works {more} in the dataset"
        )
    return text + "."


def headline_sentences(
    tables: Tables,
    year: int,
    definitions: Definitions | None = None,
    *,
    manifest: Mapping[str, Any] | None = None,
) -> list[str]:
    """Plain sentences with the year's headline figures, from the tables.

    ``definitions`` (the summary's) gives the institution threshold. Returns raw text (not
    escaped); a table that is not in ``tables`` leaves its sentences out. A ``manifest`` with
    OpenAlex's own counts adds how they agree (after the coverage sentence).
    """
    definitions = definitions or Definitions()
    years = sorted(tables["coverage"]["year"].to_list()) if "coverage" in tables else []
    parts: list[tuple[tuple[str, ...], Callable[[], list[str]]]] = [
        (("coverage",), lambda: _coverage(tables, year)),
        ((), lambda: [s for s in [validation_sentence(manifest or {}, year)] if s is not None]),
        (("output",), lambda: _output(tables, year)),
        (("citation_shares",), lambda: _citations(tables, year, years[0] if years else None)),
        (("output", "citation_shares"), lambda: _impact(tables, year)),
        (("flows",), lambda: _flows(tables, year)),
        (("flows",), lambda: _partners(tables, year)),
        (("network_nodes", "network_edges"), lambda: _connected(tables, year)),
        (("network_nodes",), lambda: _international(tables, year)),
        (("large_works",), lambda: _large(tables, year)),
        (
            ("institutions_above",),
            lambda: _institutions(tables, year, definitions.threshold),
        ),
        (("researchers",), lambda: _researchers(tables, year)),
    ]
    out: list[str] = []
    for needed, part in parts:
        if all(name in tables for name in needed):
            out += part()
    return out
