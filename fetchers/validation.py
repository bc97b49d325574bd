"""OpenAlex's own counts beside the dataset's: works per country and year, ``validation.csv``.

After a fetch, for each year, one ``group_by=authorships.countries`` query with the filter of the
fetch (the dataset's first selection, its types, that year; cursor-paged past 200 countries)
gives OpenAlex's number of works per country. The dataset's number is that of its works of the
same selection and year with at least one authorship whose ``countries`` name the country.
:func:`compare` sets them side by side, one row per country and year present on either side (0
on the side that lacks it). Disagreement is information, not an error: OpenAlex changes between
calls, and the two are counted on different days.

Examples
--------
>>> ours = pl.DataFrame({"year": [2024, 2024], "country": ["CN", "US"],
...                      "works_dataset": [10, 7]})
>>> theirs = pl.DataFrame({"year": [2024, 2024], "country": ["CN", "GB"],
...                        "works_openalex": [12, 1]})
>>> table = compare(ours, theirs)
>>> table.rows()
[(2024, 'CN', 10, 12), (2024, 'GB', 0, 1), (2024, 'US', 7, 0)]
>>> summary_line(summarise(table))
"validation: 0 of 3 country-years agree with OpenAlex's own counts; largest differences: \
US 2024 +7, CN 2024 -2, GB 2024 -1"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

from biblio.dataset.keys import WORK_KEY, repeated
from biblio.io import atomic_path
from fetchers.http import OpenAlexClient
from fetchers.query import Query

__all__ = [
    "VALIDATION_FILE",
    "compare",
    "dataset_counts",
    "openalex_counts",
    "summarise",
    "summary_line",
    "write_validation",
]

VALIDATION_FILE = "validation.csv"
_SCHEMA = {"year": pl.Int64, "country": pl.String}
_SHOWN = 3


def openalex_counts(client: OpenAlexClient, query: Query, years: Sequence[int]) -> pl.DataFrame:
    """OpenAlex's works per country of ``query`` in each of ``years`` (``group_by`` calls)."""
    rows: list[tuple[int, str, int]] = []
    for year in years:
        groups = client.groups(
            query.filter(f"publication_year:{year}").group_by("authorships.countries")
        )
        rows += [(year, key.rsplit("/", 1)[-1].upper(), n) for key, n in groups.items()]
    return pl.DataFrame(rows, schema={**_SCHEMA, "works_openalex": pl.Int64}, orient="row").sort(
        "year", "country"
    )


def dataset_counts(
    works: Path,
    authorships: Path,
    *,
    years: Sequence[int],
    selection: str | None = None,
) -> pl.DataFrame:
    """The dataset's works per country and year: works with an authorship naming the country.

    ``works`` and ``authorships`` are the dataset's Arrow files; ``selection`` keeps the works
    tagged with that definition (a dataset holding several). The files are read one record
    batch at a time, only the columns counted, and works are keyed by a 64-bit hash of their
    id. Each authorships batch is counted on its own (its distinct work-country pairs, by year
    and country); a work whose authorships fall in several batches (at most one per batch
    boundary in a dataset written work by work) is counted again, exactly, in a second pass over
    those works alone. Memory thus holds 24 bytes a work and one batch, not the tables (a hash
    collision between two of a year's works naming one country would count them once: about one
    chance in 10^8 in a year of a million works).
    """
    kept = pl.col("publication_year").is_in(list(years))
    if selection is not None:
        kept &= pl.col("selections").list.contains(selection).fill_null(False)
    columns = ["work_id", "publication_year", *(["selections"] if selection else [])]
    years_of = pl.concat(
        [
            pl.DataFrame(schema={"work": pl.UInt64, "year": pl.Int64}),
            *(
                frame.filter(kept).select(
                    WORK_KEY, pl.col("publication_year").cast(pl.Int64).alias("year")
                )
                for frame in _batches(works, columns)
            ),
        ]
    )
    counts, seen = [], []
    for frame in _batches(authorships, ["work_id", "countries"]):
        pairs = _pairs(frame).join(years_of, on="work")
        counts.append(_per_year_country(pairs))
        seen.append(pairs.get_column("work").unique())
    split = repeated(pl.concat([pl.Series("work", [], pl.UInt64), *seen])).to_frame()
    if split.height:  # replace their per-batch counts with their counts over all batches
        parts = [
            _pairs(frame).join(split, on="work", how="semi")
            for frame in _batches(authorships, ["work_id", "countries"])
        ]
        over_batches = pl.concat(parts).join(years_of, on="work")
        counts += [
            _per_year_country(over_batches.unique()),
            *(
                _per_year_country(part.join(years_of, on="work")).with_columns(-pl.col("n"))
                for part in parts
            ),
        ]
    return (
        pl.concat([pl.DataFrame(schema={**_SCHEMA, "n": pl.Int64}), *counts])
        .group_by("year", "country")
        .agg(pl.col("n").sum().alias("works_dataset"))
        .filter(pl.col("works_dataset") > 0)
        .sort("year", "country")
    )


def _pairs(frame: pl.DataFrame) -> pl.DataFrame:
    """The distinct (work key, country) pairs of a frame of authorships."""
    return (
        frame.select(WORK_KEY, pl.col("countries").alias("country"))
        .explode("country")
        .drop_nulls("country")
        .unique()
    )


def _per_year_country(pairs: pl.DataFrame) -> pl.DataFrame:
    """``year, country, n``: the number of (work, country) pairs of each year and country."""
    return pairs.group_by("year", "country").agg(pl.len().cast(pl.Int64).alias("n"))


def _batches(path: Path, columns: Sequence[str]) -> Iterator[pl.DataFrame]:
    """The ``columns`` of an Arrow IPC file, one record batch at a time, read (not mapped)."""
    with pa.OSFile(str(path)) as source:
        names = ipc.open_file(source).schema.names
        options = ipc.IpcReadOptions(included_fields=[names.index(c) for c in columns])
        reader = ipc.open_file(source, options=options)
        for index in range(reader.num_record_batches):
            frame = pl.from_arrow(reader.get_batch(index))
            assert isinstance(frame, pl.DataFrame)
            yield frame


def compare(ours: pl.DataFrame, theirs: pl.DataFrame) -> pl.DataFrame:
    """``year, country, works_dataset, works_openalex``: every country-year of either side."""
    return (
        ours.join(theirs, on=["year", "country"], how="full", coalesce=True)
        .select(
            "year",
            "country",
            pl.col("works_dataset").fill_null(0),
            pl.col("works_openalex").fill_null(0),
        )
        .sort("year", "country")
    )


def _largest(table: pl.DataFrame, n: int) -> list[dict[str, Any]]:
    diff = (pl.col("works_dataset") - pl.col("works_openalex")).alias("difference")
    rows = (
        table.select("country", "year", diff)
        .filter(pl.col("difference") != 0)
        .sort(pl.col("difference").abs(), "year", "country", descending=[True, False, False])
        .head(n)
    )
    return rows.to_dicts()


def summarise(table: pl.DataFrame) -> dict[str, Any]:
    """How many country-years agree, in all and per year, and the largest differences."""
    agree = table.filter(pl.col("works_dataset") == pl.col("works_openalex"))
    years = {}
    for (year,), part in table.group_by("year", maintain_order=True):
        same = part.filter(pl.col("works_dataset") == pl.col("works_openalex")).height
        years[str(year)] = {
            "country_years": part.height,
            "agree": same,
            "largest": _largest(part, _SHOWN),
        }
    return {
        "file": VALIDATION_FILE,
        "country_years": table.height,
        "agree": agree.height,
        "largest": _largest(table, _SHOWN),
        "years": years,
    }


def summary_line(summary: Mapping[str, Any]) -> str:
    """One line: the country-years that agree and the largest differences (country, year)."""
    total, agree = summary["country_years"], summary["agree"]
    head = f"validation: {agree:,} of {total:,} country-years agree with OpenAlex's own counts"
    if not summary["largest"]:
        return head
    shown = ", ".join(
        f"{d['country']} {d['year']} {d['difference']:+,}" for d in summary["largest"]
    )
    return f"{head}; largest differences: {shown}"


def write_validation(
    folder: Path, theirs: pl.DataFrame, *, years: Sequence[int], selection: str | None
) -> dict[str, Any]:
    """Write ``folder/validation.csv`` from a finished dataset's tables; return the summary."""
    ours = dataset_counts(
        folder / "works.arrow",
        folder / "authorships.arrow",
        years=years,
        selection=selection,
    )
    table = compare(ours, theirs)
    with atomic_path(folder / VALIDATION_FILE) as tmp:
        table.write_csv(tmp)
    return summarise(table)
