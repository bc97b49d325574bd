"""House yardsticks for the metrics benchmark: independent re-implementations of METRICS.md.

Both compute the same subset for country units, written from METRICS.md alone (they import
nothing from ``biblio.metrics`` or ``biblio.tables``):

- ``output``: ``unit, year, works_full, works_frac``;
- ``citation_shares``: ``unit, year, window, citations_full, citations_frac, share_full,
  share_frac`` for the ``received`` and ``published`` windows;
- ``coauthorship``: ``source, partner, year, coauthored`` with ``source < partner``;
- ``institutions_above``: ``unit, year, threshold, institutions_above, institutions_total``
  (roll-up to the root, ``unknown`` for no record or no country);
- ``researchers``: ``unit, year, researchers_full, researchers_frac`` (k = 1, m = 1).

:mod:`yardsticks.duckdb_sql` is hand-written DuckDB SQL; :mod:`yardsticks.pandas_script` is
plain pandas the way an analyst writes it (explode, groupby, merge).
"""

from __future__ import annotations

FIGURES = ("output", "citation_shares", "coauthorship", "institutions_above", "researchers")
