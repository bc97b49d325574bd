"""A tiny hand-checkable corpus for doctests and examples.

Two works of 2024: W1 by a US author and an author in both CN and US (each authorship carries
1/2, the second split over CN and US: frac(W1, US) = 0.75, frac(W1, CN) = 0.25), and W2 by a US
author alone.

>>> tiny_corpus().years
[2024]
"""

from __future__ import annotations

import polars as pl

from biblio.corpus import Corpus, prepare


def tiny_corpus() -> Corpus:
    """W1 (authorships [US], [CN, US]; 10 citations) and W2 ([US]; 2 citations), both 2024."""
    works = pl.LazyFrame(
        {
            "work_id": ["W1", "W2"],
            "publication_year": [2024, 2024],
            "publication_date": [None, None],
            "cited_by_count": [10, 2],
            "counts_by_year": [[{"year": 2024, "cited_by_count": 4}], []],
            "is_paratext": [False, False],
            "is_retracted": [False, False],
            "type": ["article", "article"],
        },
        schema_overrides={"publication_date": pl.Date},
    )
    authorships = pl.LazyFrame(
        {
            "work_id": ["W1", "W1", "W2"],
            "author_index": [0, 1, 0],
            "author_id": ["A1", "A2", "A1"],
            "is_corresponding": [True, False, None],
            "institution_ids": [["I1"], ["I2"], ["I1"]],
            "countries": [["US"], ["CN", "US"], ["US"]],
        }
    )
    institutions = pl.LazyFrame(
        {
            "institution_id": ["I1", "I2"],
            "display_name": ["One", "Two"],
            "country_code": ["US", "CN"],
            "lineage": [["I1"], ["I2"]],
        }
    )
    return prepare(works, authorships, institutions)
