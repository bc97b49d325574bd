"""Tiny corpora written out by hand for the metric tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl

from biblio.corpus import Corpus, prepare
from biblio.io import empty_frame
from biblio.schema import AUTHORSHIPS, INSTITUTIONS, WORKS


def _frame(rows: list[dict[str, Any]], schema: Any) -> pl.LazyFrame:
    empty = empty_frame(schema)
    if not rows:
        return empty.lazy()
    frame = pl.DataFrame(rows)
    for name in empty.columns:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(name))
    return frame.select(empty.columns).cast(dict(empty.schema)).lazy()  # type: ignore[arg-type]


def work(
    work_id: str,
    year: int,
    *,
    cites: int = 0,
    received: dict[int, int] | None = None,
    date: str | None = None,
    paratext: bool = False,
    retracted: bool = False,
) -> dict[str, Any]:
    """One work row; ``received`` maps citing year → citations (``counts_by_year``)."""
    return {
        "work_id": work_id,
        "publication_year": year,
        "publication_date": dt.date.fromisoformat(date) if date else dt.date(year, 6, 1),
        "cited_by_count": cites,
        "counts_by_year": [{"year": y, "cited_by_count": c} for y, c in (received or {}).items()],
        "is_paratext": paratext,
        "is_retracted": retracted,
        "type": "article",
    }


def author(
    work_id: str,
    index: int,
    countries: Sequence[str],
    *,
    author_id: str | None = None,
    corresponding: bool = False,
    institutions: Sequence[str] = (),
) -> dict[str, Any]:
    """One authorship row."""
    return {
        "work_id": work_id,
        "author_index": index,
        "author_id": author_id,
        "is_corresponding": corresponding,
        "institution_ids": list(institutions),
        "countries": list(countries),
    }


def institution(
    institution_id: str, country: str | None, lineage: Sequence[str] | None = None
) -> dict[str, Any]:
    """One institution record; ``lineage`` defaults to the institution alone."""
    return {
        "institution_id": institution_id,
        "display_name": f"Institution {institution_id}",
        "country_code": country,
        "lineage": list(lineage) if lineage is not None else [institution_id],
    }


def corpus(
    works: list[dict[str, Any]],
    authorships: list[dict[str, Any]],
    institutions: list[dict[str, Any]] | None = None,
    **options: Any,
) -> Corpus:
    """A prepared Corpus of these rows (``options`` go to :func:`biblio.corpus.prepare`)."""
    return prepare(
        _frame(works, WORKS),
        _frame(authorships, AUTHORSHIPS),
        _frame(institutions or [], INSTITUTIONS),
        **options,
    )


def frames(
    works: list[dict[str, Any]],
    authorships: list[dict[str, Any]],
    institutions: list[dict[str, Any]] | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """The three input tables of these rows, typed as the schema says."""
    return (
        _frame(works, WORKS),
        _frame(authorships, AUTHORSHIPS),
        _frame(institutions or [], INSTITUTIONS),
    )
