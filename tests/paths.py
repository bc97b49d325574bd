"""Where the test data is: copies in ``tests/data``, so that a bare clone passes its tests.

``tests/data/SOURCES.md`` names the origin and licence of every file; ``tests/test_data_copies.py``
checks them against the originals when the shared specs folder is beside the repository.
"""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder.
REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
#: The worked examples of the metric contract (``micro/``, ``c400/``) with their expected tables.
CONTRACT_EXAMPLES = DATA / "contract-examples"
#: Real OpenAlex responses saved in public repositories (snapshot parts, vcr cassettes).
OPENALEX_SAMPLES = DATA / "openalex-samples"
#: Real OpenAlex records of the current (2024–2026) schema, a chosen subset.
OPENALEX_CURRENT = DATA / "openalex-current"
#: The published figures our reports set beside their own (the project's specification).
PUBLISHED_FIGURES = DATA / "PUBLISHED_FIGURES.md"
