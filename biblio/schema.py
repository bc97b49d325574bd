"""The Arrow schemas of biblio, defined once.

Inputs (a dataset's ``works``, ``authorships`` and ``institutions`` tables) follow the inputs
section of METRICS.md; outputs are the metric tables. Readers validate against these schemas and
writers write with them. This module imports nothing of ours.

Examples
--------
>>> WORKS.field("work_id").type
DataType(large_string)
>>> [name for name in AUTHORSHIPS.names][:3]
['work_id', 'author_index', 'author_position']
>>> OUTPUT_TABLES["output"].names
['unit', 'year', 'works_full', 'works_frac', 'share_full', 'share_frac']
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "AUTHORSHIPS",
    "INPUT_TABLES",
    "INSTITUTIONS",
    "OUTPUT_TABLES",
    "WORKS",
    "conform",
]

_str = pa.large_string()
_int = pa.int64()
_float = pa.float64()
_year = pa.int32()

COUNTS_BY_YEAR = pa.large_list(pa.struct([("year", _year), ("cited_by_count", _int)]))

WORKS = pa.schema(
    [
        pa.field("work_id", _str, nullable=False),  # "W…", the OpenAlex id without its URL
        ("doi", _str),
        ("title", _str),
        ("publication_year", _year),
        ("publication_date", pa.date32()),
        ("type", _str),
        ("cited_by_count", _int),
        ("counts_by_year", COUNTS_BY_YEAR),
        ("primary_topic_id", _str),  # "T…"
        ("subfield_id", _str),  # "1702"
        ("field_id", _str),  # "17"
        ("is_retracted", pa.bool_()),
        ("is_paratext", pa.bool_()),
        ("updated_date", pa.timestamp("us")),
        ("selections", pa.large_list(_str)),  # the dataset's definitions of AI work it meets
    ]
)

AUTHORSHIPS = pa.schema(
    [
        pa.field("work_id", _str, nullable=False),
        pa.field("author_index", _year, nullable=False),  # 0-based order in the work
        ("author_position", _str),  # first / middle / last
        ("author_id", _str),  # "A…", may be null
        ("is_corresponding", pa.bool_()),
        ("institution_ids", pa.large_list(_str)),  # "I…", as listed (duplicates kept)
        ("countries", pa.large_list(_str)),  # ISO 3166-1 alpha-2 as OpenAlex gives them
    ]
)

INSTITUTIONS = pa.schema(
    [
        pa.field("institution_id", _str, nullable=False),  # "I…"
        ("ror", _str),
        ("display_name", _str),
        ("country_code", _str),
        ("type", _str),
        ("lineage", pa.large_list(_str)),  # itself and every ancestor, NOT in hierarchy order
    ]
)

INPUT_TABLES: dict[str, pa.Schema] = {
    "works": WORKS,
    "authorships": AUTHORSHIPS,
    "institutions": INSTITUTIONS,
}


def _table(*columns: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, dtype) for name, dtype in columns])


OUTPUT_TABLES: dict[str, pa.Schema] = {
    "output": _table(
        ("unit", _str),
        ("year", _int),
        ("works_full", _int),
        ("works_frac", _float),
        ("share_full", _float),
        ("share_frac", _float),
    ),
    "citation_shares": _table(
        ("unit", _str),
        ("year", _int),
        ("window", _str),
        ("citations_full", _int),
        ("citations_frac", _float),
        ("share_full", _float),
        ("share_frac", _float),
    ),
    "flows": _table(
        ("source", _str),
        ("partner", _str),
        ("year", _int),
        ("coauthored", _int),
        ("source_works", _int),
        ("flow_share", _float),
        ("led_by_source", _int),
    ),
    "asymmetry": _table(
        ("source", _str),
        ("partner", _str),
        ("year", _int),
        ("flow_source_to_partner", _float),
        ("flow_partner_to_source", _float),
        ("asymmetry", _float),
        ("salton", _float),
        ("affinity", _float),
        ("led_by_source", _int),
        ("led_by_partner", _int),
        ("leadership_asymmetry", _float),
    ),
    "network_nodes": _table(
        ("unit", _str),
        ("year", _int),
        ("works_full", _int),
        ("partners", _int),
        ("strength", _int),
        ("eigenvector", _float),
        ("betweenness", _float),
        ("pagerank", _float),
        ("community", _int),
        ("top_partner", _str),
        ("intl_rate", _float),
    ),
    "network_edges": _table(
        ("source", _str),
        ("partner", _str),
        ("year", _int),
        ("coauthored", _int),
    ),
    "institutions_above": _table(
        ("unit", _str),
        ("year", _int),
        ("threshold", _int),
        ("institutions_above", _int),
        ("institutions_total", _int),
    ),
    "institution_output": _table(
        ("institution_id", _str),
        ("display_name", _str),
        ("country_code", _str),
        ("year", _int),
        ("works", _int),
    ),
    "researchers": _table(
        ("unit", _str),
        ("year", _int),
        ("min_works", _int),
        ("window_years", _int),
        ("researchers_full", _int),
        ("researchers_frac", _float),
    ),
    "coverage": _table(
        ("year", _int),
        ("works", _int),
        ("attributed", _int),
        ("unattributed", _int),
        ("authorships", _int),
        ("authorships_with_country", _int),
        ("authors_with_id", _int),
        ("institutions_missing_country", _int),
    ),
    # Beyond METRICS.md, defined in docs/metrics.md: the report's citation trend with a fixed
    # window, and the works with very many authors that a finding may rest on.
    "citation_trend": _table(
        ("unit", _str),
        ("year", _int),
        ("cited_years", _int),
        ("citations_full", _int),
        ("citations_frac", _float),
        ("share_full", _float),
        ("share_frac", _float),
    ),
    "large_works": _table(
        ("work_id", _str),
        ("year", _int),
        ("authorship_threshold", _int),
        ("work_authorships", _int),
        ("country", _str),
    ),
}


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
