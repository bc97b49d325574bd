"""The tables of biblio, defined once: every column's name, Arrow type and one-line meaning.

Inputs (a dataset's ``works``, ``authorships`` and ``institutions`` tables) follow the inputs
section of METRICS.md; outputs are the metric tables. Each table is a :class:`TableSpec`: its
columns (:class:`Column`), a one-line description and, for outputs, the columns that identify a
row. Readers validate against the Arrow schemas derived from them (:data:`INPUT_TABLES`,
:data:`OUTPUT_TABLES`), writers write with them, the metric modules take their column lists from
them and the benchmark bundle's ``datapackage.json`` its descriptions. This module imports
nothing of ours.

Examples
--------
>>> WORKS.field("work_id").type
DataType(large_string)
>>> [name for name in AUTHORSHIPS.names][:3]
['work_id', 'author_index', 'author_position']
>>> OUTPUT_TABLES["output"].names
['unit', 'year', 'works_full', 'works_frac', 'share_full', 'share_frac']
>>> OUTPUT_SPECS["flows"].column("flow_share").doc
'coauthored / source_works'
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

__all__ = [
    "AUTHORSHIPS",
    "INPUT_SPECS",
    "INPUT_TABLES",
    "INSTITUTIONS",
    "OUTPUT_SPECS",
    "OUTPUT_TABLES",
    "WORKS",
    "Column",
    "TableSpec",
    "conform",
]

_str = pa.large_string()
_int = pa.int64()
_float = pa.float64()
_year = pa.int32()

COUNTS_BY_YEAR = pa.large_list(pa.struct([("year", _year), ("cited_by_count", _int)]))


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``share`` marks a fraction that lies in [0, 1] (the data package states the bounds).

    >>> Column("year", pa.int64(), "publication year").field
    pyarrow.Field<year: int64>
    """

    name: str
    type: pa.DataType
    doc: str
    nullable: bool = True
    share: bool = False

    @property
    def field(self) -> pa.Field:
        """The column as an Arrow field: its name, type and nullability."""
        return pa.field(self.name, self.type, nullable=self.nullable)


@dataclass(frozen=True)
class TableSpec:
    """One table: what a row is, its columns in order and the columns that identify a row.

    >>> spec = OUTPUT_SPECS["coverage"]
    >>> spec.primary_key, spec.names[:3]
    (('year',), ['year', 'works', 'attributed'])
    """

    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.columns]

    @property
    def schema(self) -> pa.Schema:
        """The table's Arrow schema, its columns in order."""
        return pa.schema([c.field for c in self.columns])

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` if the table has none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _spec(doc: str, *columns: Column, key: tuple[str, ...] = ()) -> TableSpec:
    return TableSpec(doc, columns, key)


# -- inputs ------------------------------------------------------------------------------------
_C = Column

INPUT_SPECS: dict[str, TableSpec] = {
    "works": _spec(
        "One row per selected OpenAlex work.",
        _C("work_id", _str, "OpenAlex work id without its URL (W…)", nullable=False),
        _C("doi", _str, "DOI as OpenAlex gives it"),
        _C("title", _str, "title"),
        _C("publication_year", _year, "publication year"),
        _C("publication_date", pa.date32(), "publication date"),
        _C("type", _str, "OpenAlex work type (article, preprint, …)"),
        _C("cited_by_count", _int, "citations to date"),
        _C("counts_by_year", COUNTS_BY_YEAR, "citations received per year (last ten years)"),
        _C("primary_topic_id", _str, "primary topic (T…)"),
        _C("subfield_id", _str, "subfield of the primary topic (1702 = AI)"),
        _C("field_id", _str, "field of the primary topic (17 = Computer Science)"),
        _C("is_retracted", pa.bool_(), "whether the work is retracted"),
        _C("is_paratext", pa.bool_(), "whether the work is paratext (front matter, index, …)"),
        _C("updated_date", pa.timestamp("us"), "when OpenAlex last updated the record"),
        _C(
            "selections",
            pa.large_list(_str),
            "the dataset's definitions of AI work that the work meets (e.g. subfield:1702)",
        ),
    ),
    "authorships": _spec(
        "One row per authorship of a selected work.",
        _C("work_id", _str, "the work (W…)", nullable=False),
        _C("author_index", _year, "0-based order of the authorship in the work", nullable=False),
        _C("author_position", _str, "first, middle or last"),
        _C("author_id", _str, "OpenAlex author id (A…); may be null"),
        _C("is_corresponding", pa.bool_(), "whether the authorship is flagged corresponding"),
        _C("institution_ids", pa.large_list(_str), "institutions (I…) as listed, duplicates kept"),
        _C("countries", pa.large_list(_str), "ISO 3166-1 alpha-2 countries as OpenAlex gives them"),
    ),
    "institutions": _spec(
        "One row per institution the authorships name, and per ancestor in their lineages.",
        _C("institution_id", _str, "OpenAlex institution id (I…)", nullable=False),
        _C("ror", _str, "ROR id"),
        _C("display_name", _str, "institution name as OpenAlex gives it"),
        _C("country_code", _str, "ISO 3166-1 alpha-2 country; null when unknown"),
        _C("type", _str, "OpenAlex institution type (education, company, …)"),
        _C("lineage", pa.large_list(_str), "itself and every ancestor, NOT in hierarchy order"),
    ),
}

# -- outputs -----------------------------------------------------------------------------------
_UNIT = _C("unit", _str, "country (ISO 3166-1 alpha-2) or group of countries (EU27, EU, AFRICA, …)")
_SOURCE = _C("source", _str, "unit whose works are counted")
_PARTNER = _C("partner", _str, "co-author unit (a union is written A+B+C)")
_YEAR = _C("year", _int, "publication year")


def _share(name: str, doc: str) -> Column:
    return _C(name, _float, doc, share=True)


OUTPUT_SPECS: dict[str, TableSpec] = {
    "output": _spec(
        "AI works per unit and year, full and fractional counting (METRICS.md §1).",
        _UNIT,
        _YEAR,
        _C("works_full", _int, "works with at least one authorship in the unit"),
        _C("works_frac", _float, "sum of the unit's authorship fractions"),
        _share("share_full", "works_full / attributed works of the year"),
        _share("share_frac", "works_frac / attributed works of the year"),
        key=("unit", "year"),
    ),
    "citation_shares": _spec(
        "Citation shares per unit, year and window (received / published) (§2).",
        _UNIT,
        _C("year", _int, "publication year (citing year for the received window)"),
        _C(
            "window",
            _str,
            "received: citations made in the year; published: citations to date of the "
            "year's works",
        ),
        _C("citations_full", _int, "citations to works of the unit"),
        _C("citations_frac", _float, "citations weighted by the unit's fraction of each work"),
        _share("share_full", "citations_full / citations to attributed works"),
        _share("share_frac", "citations_frac / citations to attributed works"),
        key=("unit", "year", "window"),
    ),
    "flows": _spec(
        "Co-authorship flows: share of the source's works with a co-author in the partner (§3).",
        _SOURCE,
        _PARTNER,
        _YEAR,
        _C("coauthored", _int, "works with authors in both units"),
        _C("source_works", _int, "works of the source (full counting)"),
        _share("flow_share", "coauthored / source_works"),
        _C("led_by_source", _int, "co-authored works whose lead authorship is in the source"),
        key=("source", "partner", "year"),
    ),
    "asymmetry": _spec(
        "Flow asymmetry beside Salton's cosine, affinity and leadership asymmetry (§4).",
        _SOURCE,
        _PARTNER,
        _YEAR,
        _share("flow_source_to_partner", "F(source→partner)"),
        _share("flow_partner_to_source", "F(partner→source)"),
        _C("asymmetry", _float, "F(source→partner) / F(partner→source)"),
        _C("salton", _float, "coauthored / sqrt(works(source)·works(partner))"),
        _C("affinity", _float, "coauthored·N / (works(source)·works(partner))"),
        _C("led_by_source", _int, "co-authored works whose lead authorship is in the source"),
        _C("led_by_partner", _int, "co-authored works whose lead authorship is in the partner"),
        _C("leadership_asymmetry", _float, "led_by_source / led_by_partner"),
        key=("source", "partner", "year"),
    ),
    "network_nodes": _spec(
        "Country co-authorship network: node measures per unit and year (§5).",
        _C("unit", _str, "country (ISO 3166-1 alpha-2)"),
        _YEAR,
        _C("works_full", _int, "works with at least one authorship in the country"),
        _C("partners", _int, "number of partner countries (degree)"),
        _C("strength", _int, "co-authored works summed over partners"),
        _share("eigenvector", "weighted eigenvector centrality, maximum 1"),
        _C("betweenness", _float, "weighted betweenness, distance 1/weight"),
        _C("pagerank", _float, "weighted PageRank, damping 0.85"),
        _C("community", _int, "Leiden community (modularity, fixed seed)"),
        _C("top_partner", _str, "partner with the most co-authored works"),
        _share("intl_rate", "share of the unit's works with a country outside it"),
        key=("unit", "year"),
    ),
    "network_edges": _spec(
        "Country co-authorship network: co-authored works per pair and year (§5).",
        _C("source", _str, "country, the alphabetically first of the pair"),
        _C("partner", _str, "country, the alphabetically second of the pair"),
        _YEAR,
        _C("coauthored", _int, "works with authors in both countries"),
        key=("source", "partner", "year"),
    ),
    "institutions_above": _spec(
        "Institutions with more works than the threshold, per unit (§6).",
        _UNIT,
        _YEAR,
        _C("threshold", _int, "T: institutions need more than T works"),
        _C("institutions_above", _int, "institutions with more than T works"),
        _C("institutions_total", _int, "institutions with at least one work"),
        key=("unit", "year"),
    ),
    "institution_output": _spec(
        "AI works per (rolled-up) institution and year (§6).",
        _C("institution_id", _str, "OpenAlex institution id (after roll-up)"),
        _C("display_name", _str, "institution name as OpenAlex gives it"),
        _C("country_code", _str, "institution's country; empty when unknown"),
        _YEAR,
        _C("works", _int, "works in the year"),
        key=("institution_id", "year"),
    ),
    "researchers": _spec(
        "Active AI researchers per unit and year (§7).",
        _UNIT,
        _YEAR,
        _C("min_works", _int, "k: minimum works in the window"),
        _C("window_years", _int, "m: window length in years"),
        _C("researchers_full", _int, "active authors with a country in the unit"),
        _C(
            "researchers_frac",
            _float,
            "active authors split over the countries of their latest work",
        ),
        key=("unit", "year"),
    ),
    "coverage": _spec(
        "Coverage per year: works and authorships with and without country (§8).",
        _YEAR,
        _C("works", _int, "works of the year"),
        _C("attributed", _int, "works with at least one country"),
        _C("unattributed", _int, "works with no country"),
        _C("authorships", _int, "authorships of the year's works"),
        _C("authorships_with_country", _int, "authorships with at least one country"),
        _C("authors_with_id", _int, "distinct non-null author ids"),
        _C(
            "institutions_missing_country", _int, "listed institutions with no record or no country"
        ),
        key=("year",),
    ),
    # Beyond METRICS.md, defined in docs/metrics.md: the report's citation trend with a fixed
    # window, and the works with very many authors that a finding may rest on.
    "citation_trend": _spec(
        "Citations made in the year to the works of the last k = 3 publication years "
        "(a fixed window; docs/metrics.md).",
        _UNIT,
        _YEAR,
        _C("cited_years", _int, "publication years in the window the dataset holds (k or fewer)"),
        _C("citations_full", _int, "citations to works of the unit"),
        _C("citations_frac", _float, "citations weighted by the unit's fraction of each work"),
        _share("share_full", "citations_full / citations to the window's attributed works"),
        _share("share_frac", "citations_frac / citations to the window's attributed works"),
        key=("unit", "year"),
    ),
    "large_works": _spec(
        "Attributed works with more than 100 authorships, one row per country of the work "
        "(docs/metrics.md).",
        _C("work_id", _str, "OpenAlex work id (W…)"),
        _YEAR,
        _C("authorship_threshold", _int, "the authorship count a work must exceed (100)"),
        _C("work_authorships", _int, "authorships of the work"),
        _C("country", _str, "one of the work's countries (ISO 3166-1 alpha-2)"),
        key=("work_id", "country"),
    ),
}

INPUT_TABLES: dict[str, pa.Schema] = {name: spec.schema for name, spec in INPUT_SPECS.items()}
OUTPUT_TABLES: dict[str, pa.Schema] = {name: spec.schema for name, spec in OUTPUT_SPECS.items()}
WORKS = INPUT_TABLES["works"]
AUTHORSHIPS = INPUT_TABLES["authorships"]
INSTITUTIONS = INPUT_TABLES["institutions"]


def empty_table(schema: pa.Schema) -> pa.Table:
    """A table of no rows with exactly ``schema``.

    Unlike ``schema.empty_table()``, which imports pandas (about 0.3 s) on its first call.

    >>> empty_table(pa.schema([("a", pa.int32())])).num_rows
    0
    """
    return pa.Table.from_batches([], schema=schema)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Return ``table`` with exactly the columns of ``schema``, in its order and types.

    Raises ``KeyError`` naming the first missing column; the caller turns it into a SchemaError
    that names the file.

    >>> t = pa.table({"b": [1], "a": ["x"]})
    >>> conform(t, pa.schema([("a", pa.large_string()), ("b", pa.int64())])).column_names
    ['a', 'b']
    """
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise KeyError(missing[0])
    return table.select(schema.names).cast(schema)
