"""Reading datasets that other tools wrote: lossless Arrow types are cast, others refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pytest
from polars.testing import assert_frame_equal

from biblio.cli import main
from biblio.io import open_dataset, write_manifest
from biblio.schema import INPUT_TABLES, OUTPUT_TABLES
from biblio.summary import Summary
from tests.contract import build_dataset
from tests.paths import REPO

Convert = Callable[[str, pa.DataType], pa.DataType]


def pyarrow_defaults(name: str, dtype: pa.DataType) -> pa.DataType:
    """What a writer that does not ask for large types produces: ``string`` (a dictionary for
    the repetitive columns), ``list``, ``int32`` counts, struct fields in another order."""
    if pa.types.is_large_string(dtype):
        repetitive = name in {"type", "author_position", "country_code"}
        return pa.dictionary(pa.int32(), pa.string()) if repetitive else pa.string()
    if pa.types.is_large_list(dtype):
        return pa.list_(pyarrow_defaults(name, dtype.value_type))
    if pa.types.is_struct(dtype):
        fields = [dtype.field(i) for i in reversed(range(dtype.num_fields))]
        return pa.struct([(f.name, pyarrow_defaults(f.name, f.type)) for f in fields])
    if dtype == pa.int64():
        return pa.int32()
    return dtype


def other_writer(name: str, dtype: pa.DataType) -> pa.DataType:
    """Another writer's choices: unsigned counts, int64 years, dictionaries of large strings."""
    if pa.types.is_large_string(dtype):
        return pa.dictionary(pa.uint8(), pa.large_string()) if name == "type" else dtype
    if pa.types.is_large_list(dtype):
        return pa.list_(other_writer(name, dtype.value_type))
    if pa.types.is_struct(dtype):
        return pa.struct([(f.name, other_writer(f.name, f.type)) for f in dtype])
    return {pa.int64(): pa.uint32(), pa.int32(): pa.int64()}.get(dtype, dtype)


def write(table: pa.Table, path: Path, convert: Convert, compression: str | None) -> None:
    schema = pa.schema([(f.name, convert(f.name, f.type)) for f in table.schema])
    path.parent.mkdir(parents=True, exist_ok=True)
    options = ipc.IpcWriteOptions(compression=compression)
    with ipc.new_file(path, schema, options=options) as writer:
        writer.write_table(table.cast(schema))


def rewrite(source: Path, target: Path) -> None:
    """``source`` again: works in two parts (zstd with pyarrow's defaults, lz4 with another
    writer's types), authorships through pandas and feather (lz4), institutions uncompressed
    with pyarrow's defaults."""
    tables = {name: ipc.open_file(source / f"{name}.arrow").read_all() for name in INPUT_TABLES}
    works = tables["works"]
    half = works.num_rows // 2
    write(works.slice(0, half), target / "works" / "part-0.arrow", pyarrow_defaults, "zstd")
    write(works.slice(half), target / "works" / "part-1.arrow", other_writer, "lz4")
    feather.write_feather(
        pa.Table.from_pandas(tables["authorships"].to_pandas(), preserve_index=False),
        target / "authorships.arrow",
    )
    write(tables["institutions"], target / "institutions.arrow", pyarrow_defaults, None)
    write_manifest(target, {"source": "rewritten"})


@pytest.fixture(scope="module")
def c400(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cache = tmp_path_factory.mktemp("cache")
    original = build_dataset("c400", cache)
    rewrite(original, cache / "foreign")
    return original, cache / "foreign"


def test_the_rewritten_files_really_are_foreign(c400: tuple[Path, Path]) -> None:
    part = ipc.open_file(c400[1] / "works" / "part-0.arrow")
    assert part.schema.field("work_id").type == pa.string()
    assert pa.types.is_dictionary(part.schema.field("type").type)
    assert part.schema.field("cited_by_count").type == pa.int32()
    assert part.schema.field("counts_by_year").type.value_type.field(0).name == "cited_by_count"
    other = ipc.open_file(c400[1] / "works" / "part-1.arrow").schema
    assert other.field("publication_year").type == pa.int64()
    assert other.field("cited_by_count").type == pa.uint32()
    authorships = ipc.open_file(c400[1] / "authorships.arrow").schema
    assert authorships.field("countries").type == pa.list_(pa.string())


def test_a_dataset_in_foreign_types_reads_as_the_original(c400: tuple[Path, Path]) -> None:
    original, foreign = open_dataset(c400[0]), open_dataset(c400[1])
    for name in INPUT_TABLES:
        ours, theirs = getattr(original, name), getattr(foreign, name)
        assert theirs.collect_schema() == ours.collect_schema(), name
        assert_frame_equal(theirs.collect(), ours.collect())
    assert foreign.manifest["records"] == original.manifest["records"]


def test_a_dataset_in_foreign_types_gives_the_same_tables(
    c400: tuple[Path, Path], tmp_path: Path
) -> None:
    """The same table files, byte for byte. Each run is its own process: igraph's eigenvector
    centrality on a graph with two equal components depends on earlier calls in the process."""
    for dataset, out in zip(c400, ("ours", "theirs"), strict=True):
        done = subprocess.run(
            [sys.executable, "-m", "biblio.cli", "metrics", str(dataset), "--out", out],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=tmp_path,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for name in OUTPUT_TABLES:
        for file in (f"{name}.parquet", f"{name}.csv"):
            assert (theirs / file).read_bytes() == (ours / file).read_bytes(), file
    summaries = [Summary.loads((d / "summary.json").read_text()) for d in (ours, theirs)]
    assert summaries[0].years == summaries[1].years


@pytest.mark.parametrize(
    ("column", "to", "message"),
    [
        (
            "countries",
            pa.string(),
            "column 'countries' is string, expected large_list<item: large_string>; write it",
        ),
        ("author_index", pa.float64(), "column 'author_index' is double, expected int32; write"),
        ("countries", None, "column 'countries' is missing; the authorships table needs"),
    ],
)
def test_an_incompatible_column_is_one_line_and_nothing_is_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    column: str,
    to: pa.DataType | None,
    message: str,
) -> None:
    dataset = build_dataset("micro", tmp_path)
    path = dataset / "authorships.arrow"
    table = ipc.open_file(path).read_all()
    index = table.schema.get_field_index(column)
    if to is None:
        table = table.remove_column(index)
    elif pa.types.is_string(to):
        joined = [",".join(v) if v is not None else None for v in table[column].to_pylist()]
        table = table.set_column(index, column, pa.array(joined, to))
    else:
        table = table.set_column(index, column, table[column].cast(to))
    with ipc.new_file(path, table.schema) as writer:
        writer.write_table(table)
    out = tmp_path / "out"
    code = main(["metrics", str(dataset), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"biblio: error: {path}: {message}")
    assert err.count("\n") == 1
    assert not out.exists()


def test_an_integer_that_does_not_fit_stops_rather_than_wraps(tmp_path: Path) -> None:
    dataset = build_dataset("micro", tmp_path)
    path = dataset / "authorships.arrow"
    table = ipc.open_file(path).read_all()
    index = table.schema.get_field_index("author_index")
    wide = pa.array([2**40, *table["author_index"].to_pylist()[1:]], pa.int64())
    feather.write_feather(table.set_column(index, "author_index", wide), path)
    write_manifest(dataset, {"source": "another writer"})  # its digests, as a writer would
    authorships = open_dataset(dataset).authorships  # the type converts: opening succeeds
    with pytest.raises(pl.exceptions.InvalidOperationError, match="author_index"):
        authorships.collect()
