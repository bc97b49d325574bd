"""Yardstick A: hand-written DuckDB SQL over a dataset's Arrow files.

The Arrow IPC files are memory-mapped with pyarrow and handed to DuckDB as Arrow tables (DuckDB
scans them without a copy); everything else is SQL. :func:`compute` includes that read, so its
time is "files on disk → result frames in memory". Written from METRICS.md alone.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

__all__ = ["SQL", "compute"]

#: The statements, in order; ``$lo``/``$hi`` are the first and last year, ``$t`` the threshold.
SQL: dict[str, str] = {
    # W: works kept by the corpus filters, up to the last year (the received window looks back).
    "sel": """
CREATE TEMP TABLE sel AS
SELECT work_id, publication_year AS year, publication_date AS d, cited_by_count, counts_by_year
FROM works
WHERE NOT coalesce(is_paratext, false) AND NOT coalesce(is_retracted, false)
  AND publication_year <= $hi
""",
    # frac(w, c) for every attributed work: authorships with >= 1 distinct code carry 1/n_w,
    # split equally over their distinct codes.
    "wc": """
CREATE TEMP TABLE wc AS
WITH a AS (
    SELECT work_id, list_distinct(countries) AS cs
    FROM authorships SEMI JOIN sel USING (work_id)
    WHERE len(list_distinct(countries)) > 0
), n AS (
    SELECT work_id, count(*) AS n FROM a GROUP BY work_id
), parts AS (
    SELECT work_id, unnest(cs) AS country, 1.0 / (n * len(cs)) AS part
    FROM a JOIN n USING (work_id)
)
SELECT p.work_id, s.year, p.country, sum(p.part) AS frac
FROM parts p JOIN sel s USING (work_id)
GROUP BY ALL
""",
    "output": """
SELECT country AS unit, year, count(*) AS works_full, sum(frac) AS works_frac
FROM wc WHERE year BETWEEN $lo AND $hi
GROUP BY ALL
""",
    "citation_shares": """
WITH entries AS (
    SELECT work_id, year AS pub_year, unnest(counts_by_year) AS e FROM sel
), received AS (
    SELECT work_id, e.year AS cy, sum(e.cited_by_count) AS cites
    FROM entries WHERE e.year BETWEEN $lo AND $hi AND pub_year <= e.year
    GROUP BY ALL
), published AS (
    SELECT work_id, year AS cy, cited_by_count AS cites FROM sel
    WHERE year BETWEEN $lo AND $hi
), c AS (
    SELECT 'received' AS "window", * FROM received
    UNION ALL
    SELECT 'published' AS "window", * FROM published
), per_unit AS (
    SELECT wc.country AS unit, c.cy AS year, c."window",
           sum(c.cites) AS citations_full, sum(wc.frac * c.cites) AS citations_frac
    FROM c JOIN wc USING (work_id)
    GROUP BY ALL
), total AS (
    SELECT cy AS year, "window", sum(cites) AS total
    FROM c SEMI JOIN (SELECT DISTINCT work_id FROM wc) USING (work_id)
    GROUP BY ALL
)
SELECT unit, year, "window", citations_full, citations_frac,
       citations_full / nullif(total, 0) AS share_full,
       citations_frac / nullif(total, 0) AS share_frac
FROM per_unit JOIN total USING (year, "window")
""",
    "coauthorship": """
SELECT a.country AS source, b.country AS partner, a.year, count(*) AS coauthored
FROM wc a JOIN wc b ON a.work_id = b.work_id AND a.country < b.country
WHERE a.year BETWEEN $lo AND $hi
GROUP BY ALL
""",
    # Roll-up: among lineage members with a record, the shortest lineage, ties by smallest id.
    "roots": """
CREATE TEMP TABLE roots AS
WITH m AS (SELECT institution_id, unnest(lineage) AS member FROM institutions)
SELECT m.institution_id,
       first(r.institution_id ORDER BY len(r.lineage), r.institution_id) AS root
FROM m JOIN institutions r ON r.institution_id = m.member
GROUP BY m.institution_id
""",
    "institutions_above": """
WITH listed AS (
    SELECT work_id, unnest(institution_ids) AS inst
    FROM authorships SEMI JOIN (SELECT work_id FROM sel WHERE year BETWEEN $lo AND $hi)
         USING (work_id)
), rolled AS (
    SELECT DISTINCT l.work_id, coalesce(r.root, l.inst) AS inst
    FROM listed l LEFT JOIN roots r ON r.institution_id = l.inst
    WHERE l.inst IS NOT NULL
), p AS (
    SELECT s.year, r.inst, count(*) AS works
    FROM rolled r JOIN sel s USING (work_id)
    GROUP BY ALL
)
SELECT coalesce(i.country_code, 'unknown') AS unit, p.year, $t AS threshold,
       count_if(p.works > $t) AS institutions_above, count(*) AS institutions_total
FROM p LEFT JOIN institutions i ON i.institution_id = p.inst
GROUP BY ALL
""",
    # Active (k = 1, m = 1): the countries of the author's authorships on their latest works.
    "researchers": """
WITH ad AS (
    SELECT a.author_id, s.year, s.d, a.countries
    FROM authorships a JOIN sel s USING (work_id)
    WHERE a.author_id IS NOT NULL AND s.year BETWEEN $lo AND $hi
), latest AS (
    SELECT author_id, year, max(d) AS d FROM ad GROUP BY ALL
), ac AS (
    SELECT DISTINCT author_id, year, country FROM (
        SELECT ad.author_id, ad.year, unnest(ad.countries) AS country
        FROM ad JOIN latest USING (author_id, year, d)
    ) WHERE country IS NOT NULL
), k AS (
    SELECT author_id, year, count(*) AS k FROM ac GROUP BY ALL
)
SELECT country AS unit, year, count(*) AS researchers_full, sum(1.0 / k) AS researchers_frac
FROM ac JOIN k USING (author_id, year)
GROUP BY ALL
""",
}


def _arrow(folder: Path, name: str) -> pa.Table:
    single = folder / f"{name}.arrow"
    parts = [single] if single.exists() else sorted((folder / name).glob("*.arrow"))
    return pa.concat_tables(ipc.open_file(pa.memory_map(str(p))).read_all() for p in parts)


def compute(
    folder: Path, years: tuple[int, int], *, threshold: int = 50, threads: int | None = None
) -> dict[str, pl.DataFrame]:
    """Every yardstick figure for ``years`` (inclusive), as polars frames."""
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.register("works", _arrow(folder, "works"))
    con.register("authorships", _arrow(folder, "authorships"))
    con.register("institutions", _arrow(folder, "institutions"))
    params = {"lo": years[0], "hi": years[1], "t": threshold}
    results: dict[str, pl.DataFrame] = {}
    for name, sql in SQL.items():
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        if sql.lstrip().startswith("CREATE"):
            con.execute(sql, used)
        else:
            table = con.sql(sql, params=used).to_arrow_table()
            results[name] = pl.DataFrame(pl.from_arrow(table))
    con.close()
    return results
