"""Which OpenAlex works a dataset holds: the definition of "AI work", years and work types.

A :class:`Selection` is one definition of "AI work" (an OpenAlex filter clause and the same test
as a polars predicate over raw records); a :class:`WorkFilter` adds publication years and types.
Both are written into a dataset's manifest and are part of its identity.

Examples
--------
>>> legacy = WorkFilter(selections=(Selection.parse("concept:C154945302"),), years=(2020, 2024))
>>> legacy.describe()["selections"], legacy.describe()["years"], legacy.selection.api_filter
(['concept:C154945302'], [2020, 2024], 'concepts.id:C154945302')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from biblio.errors import UsageError

__all__ = ["Selection", "WorkFilter", "short_id_expr"]


def short_id_expr(expr: pl.Expr) -> pl.Expr:
    """The last path segment of OpenAlex id URLs, as a polars expression.

    >>> pl.select(short_id_expr(pl.lit("https://openalex.org/subfields/1702"))).item()
    '1702'
    """
    return expr.str.split("/").list.last()


_API_FIELD = {
    "subfield": "primary_topic.subfield.id",
    "topic-subfield": "topics.subfield.id",
    "concept": "concepts.id",
}


@dataclass(frozen=True)
class Selection:
    """Which works are "AI works": the selection written into a dataset's manifest.

    ``kind`` is ``subfield`` (primary topic's subfield, the default), ``topic-subfield`` (any of
    the work's topics) or ``concept`` (legacy concept id).

    >>> Selection.parse("subfield:1702").api_filter
    'primary_topic.subfield.id:1702'
    >>> Selection.parse("concept:C154945302").api_filter
    'concepts.id:C154945302'
    >>> str(Selection.parse("topic-subfield:1702"))
    'topic-subfield:1702'
    """

    kind: str = "subfield"
    value: str = "1702"

    @classmethod
    def parse(cls, text: str) -> Selection:
        """The selection written ``kind:value`` (``subfield:1702``); ``UsageError`` otherwise."""
        kind, sep, value = text.partition(":")
        if not sep or kind not in _API_FIELD or not value.strip():
            raise UsageError(
                f"--selection {text!r}: use subfield:1702, topic-subfield:1702 or "
                "concept:C154945302"
            )
        return cls(kind, value.strip())

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def api_filter(self) -> str:
        """The OpenAlex ``filter`` clause for this selection."""
        return f"{_API_FIELD[self.kind]}:{self.value}"

    @property
    def raw_fields(self) -> tuple[str, ...]:
        """Raw record fields, beyond ``SELECT_FIELDS``, that :meth:`expr` reads."""
        return {"subfield": (), "topic-subfield": ("topics",), "concept": ("concepts",)}[self.kind]

    def expr(self) -> pl.Expr:
        """A polars predicate over raw records (as :func:`read_works` returns them)."""
        if self.kind == "subfield":
            return short_id_expr(
                pl.col("primary_topic").struct.field("subfield").struct.field("id")
            ).eq(self.value)
        if self.kind == "topic-subfield":
            ids = pl.col("topics").list.eval(
                short_id_expr(pl.element().struct.field("subfield").struct.field("id"))
            )
            return ids.list.contains(self.value).fill_null(False)
        ids = pl.col("concepts").list.eval(short_id_expr(pl.element().struct.field("id")))
        return ids.list.contains(self.value).fill_null(False)


@dataclass(frozen=True, kw_only=True)
class WorkFilter:
    """Which raw work records enter a dataset: the selections, publication years and types.

    A dataset may hold several definitions of "AI work" at once: it keeps the works that meet
    any of ``selections`` and records, per work, which ones it meets (:meth:`tags`). The first
    selection is the dataset's default definition.

    >>> two = WorkFilter(selections=(Selection(), Selection.parse("concept:C154945302")))
    >>> two.describe()["selections"], str(two.selection)
    (['subfield:1702', 'concept:C154945302'], 'subfield:1702')
    >>> raw = pl.DataFrame({"primary_topic": [{"subfield": {"id": "x/1702"}}, None],
    ...                     "concepts": [[], [{"id": "x/C154945302"}]]})
    >>> raw.select(two.tags())["selections"].to_list()
    [['subfield:1702'], ['concept:C154945302']]
    """

    selections: tuple[Selection, ...] = (Selection(),)
    years: tuple[int, int] | None = None
    types: tuple[str, ...] = ()
    apply_selection: bool = True  # False where the server already applied it (the API)

    def __post_init__(self) -> None:
        if not self.selections:
            raise UsageError("give at least one --selection, e.g. subfield:1702")
        names = [str(s) for s in self.selections]
        if len(set(names)) < len(names):
            raise UsageError(f"--selection given twice: {', '.join(names)}")

    @property
    def selection(self) -> Selection:
        """The first selection: the dataset's default definition of "AI work"."""
        return self.selections[0]

    @property
    def raw_fields(self) -> tuple[str, ...]:
        """Raw record fields, beyond the schema's, that the selections' predicates read."""
        return tuple(dict.fromkeys(f for s in self.selections for f in s.raw_fields))

    def expr(self) -> pl.Expr:
        """A polars predicate over raw records (see :func:`biblio.dataset.normalise.read_works`)."""
        keep = pl.lit(True)
        if self.apply_selection:
            keep = keep & pl.any_horizontal(s.expr().fill_null(False) for s in self.selections)
        if self.years is not None:
            keep = keep & pl.col("publication_year").is_between(*self.years).fill_null(False)
        if self.types:
            keep = keep & pl.col("type").is_in(list(self.types)).fill_null(False)
        return keep

    def tags(self) -> pl.Expr:
        """The column ``selections``: which of the selections each raw record meets.

        Where the server applied the only selection (the API), every record meets it.
        """
        if len(self.selections) == 1 and not self.apply_selection:
            tags = pl.lit([str(self.selection)], dtype=pl.List(pl.String))
        else:
            tags = pl.concat_list(
                [
                    pl.when(s.expr().fill_null(False)).then(pl.lit(str(s))).otherwise(None)
                    for s in self.selections
                ]
            ).list.drop_nulls()
        return tags.alias("selections")

    def describe(self) -> dict[str, Any]:
        """The filter as written into the manifest (``selection`` is the default one)."""
        return {
            "selection": str(self.selection),
            "selections": [str(s) for s in self.selections],
            "years": list(self.years) if self.years else None,
            "types": list(self.types),
        }
