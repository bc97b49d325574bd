r"""Reading a JSON Lines part: ISA-L gunzip as a stream, blocks of whole lines, the pre-filter.

A part is read as blocks of whole lines (:func:`blocks`); each block goes through the pre-filter
(:func:`prefilter_block`), which drops lines that cannot meet the selections without parsing
them, and what is left is parsed by the one shared normaliser
(:func:`biblio.dataset.normalise.read_works`, the API fetcher's code). :func:`read_part` yields
the raw frames and the number of records each block held. Errors name the file and the line.

Examples
--------
>>> block = b'{"id": 1, "s": "subfields/1702"}\n{"id": 2, "s": "subfields/17021"}\n'
>>> prefilter_block(block + b'{"id": 3}\n' * 4, [b'1702"'])
b'{"id": 1, "s": "subfields/1702"}\n'
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator, Sequence
from typing import cast

import numpy as np
import polars as pl
import pyarrow as pa
from isal import igzip, isal_zlib

from biblio.dataset.normalise import read_institutions, read_works
from biblio.dataset.selection import WorkFilter
from biblio.errors import InputError
from fetchers.snapshot.layout import SnapshotPart
from fetchers.snapshot.prefetch import prefetch

__all__ = ["Needles", "blocks", "needles", "prefilter_block", "read_part"]

_ZLIB_ERRORS = cast(tuple[type[Exception], ...], (EOFError, OSError, isal_zlib.error))
_SAMPLE = 1 << 20  # bytes of a block the pre-filter looks at to guess the share of matches

#: The byte strings every line that can match holds (at least one of them), and the ``\\uXXXX``
#: escapes that may hide them.
Needles = tuple[tuple[bytes, ...], tuple[bytes, ...]]


def one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split())


# --- the pre-filter ----------------------------------------------------------------------------


def needles(filters: WorkFilter) -> Needles | None:
    """One needle per selection, and the escapes that may hide them.

    A needle is the selection's value + ``"`` (see :func:`prefilter_block`). ``None`` where the
    pre-filter does not apply (the server selected already, or a value that is not plain letters
    and digits).

    >>> from biblio.dataset.selection import Selection
    >>> two = WorkFilter(selections=(Selection(), Selection.parse("concept:C154945302")))
    >>> needles(two)[0]
    (b'1702"', b'C154945302"')
    """
    values = list(dict.fromkeys(s.value for s in filters.selections))
    if not filters.apply_selection or not all(re.fullmatch(r"[A-Za-z0-9_.-]+", v) for v in values):
        return None
    escapes = {f"\\u{ord(c):04x}".encode() for v in values for c in v}
    escapes |= {f"\\u{ord(c):04X}".encode() for v in values for c in v}
    return tuple(v.encode() + b'"' for v in values), tuple(sorted(escapes))


def prefilter_block(block: bytes, wanted: Sequence[bytes], escapes: Sequence[bytes] = ()) -> bytes:
    r"""The lines of ``block`` that can match a selection, given one needle per selection.

    Each needle is a selection's value + ``"``.

    Every selection compares the last path segment of an id string (``…/subfields/1702``,
    ``…/C154945302``) with the selection's value, so the decoded string of a matching line ends
    with the value, and its raw bytes hold the value followed by the closing quote: literally, or
    with some of its characters written as ``\uXXXX`` escapes (the only escapes JSON allows for
    letters and digits; ``escapes`` lists them). A line without any needle, in a block without
    such an escape, therefore cannot match and is not parsed: the pre-filter cannot drop a
    matching record. The block is returned whole (so the normaliser parses and checks every
    line) when it has such an escape, when its lines are not all ``{…}`` (blank lines,
    ``\r\n``, text that is not JSON), or when a sample of it says most lines match anyway.

    Lines skipped here are checked for shape only (each starts with ``{`` and ends with ``}``),
    not parsed; gzip's CRC and the manifest's record count guard them.

    >>> prefilter_block(b"not json\n", [b'1702"'])
    b'not json\n'
    """
    return bytes(_prefilter(block, len(block), (tuple(wanted), tuple(escapes)))[0])


def _prefilter(data: bytes, end: int, found: Needles) -> tuple[bytes | memoryview, int | None]:
    """:func:`prefilter_block` on the lines ``data[:end]`` (not copied), plus a line count.

    The line count is given when it skipped lines.
    """
    wanted, escapes = found
    sample = data[: min(end, _SAMPLE)]
    if sum(_lines_holding(sample, n) for n in wanted) * 2 > sample.count(b"\n"):
        return _view(data, end), None  # mostly matching: skipping lines would only cost time
    array = np.frombuffer(data, dtype=np.uint8, count=end)
    ends = np.flatnonzero(array == 10)  # "\n"
    if (
        not len(ends)
        or ends[-1] != end - 1
        or array[0] != 123  # "{"
        or not (array[ends - 1] == 125).all()  # "}" ends every line
        or not (array[ends[:-1] + 1] == 123).all()  # "{" starts every line
    ):
        return _view(data, end), None
    starts = np.concatenate(([0], ends + 1))
    lines = pl.from_arrow(
        pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), len(ends), [None, pa.py_buffer(starts), pa.py_buffer(data)]
        )
    )
    assert isinstance(lines, pl.Series)
    if _escaped(lines, escapes):  # an escape may hide a needle: rare in OpenAlex
        return _view(data, end), None
    matching = lines.to_frame().select(
        pl.any_horizontal(*(pl.col(lines.name).bin.contains(n) for n in wanted))
    )
    kept = cast(pa.Array, lines.filter(matching.to_series()).to_arrow()).cast(pa.large_binary())
    if not len(kept):
        return b"", len(ends)
    offsets = np.frombuffer(kept.buffers()[1], dtype=np.int64, count=len(kept) + 1)
    body = cast(pa.Buffer, kept.buffers()[2])
    return memoryview(body)[int(offsets[0]) : int(offsets[-1])], len(ends)


def _escaped(lines: pl.Series, escapes: Sequence[bytes]) -> bool:
    r"""Whether a line holds one of ``escapes``, looking first for their common prefix (``\\u00``).

    >>> _escaped(pl.Series([b"a", b"\\u0031"]), [b"\\u0031", b"\\u0037"])
    True
    """
    if not escapes:
        return False
    prefix = os.path.commonprefix(list(escapes))  # noqa: RUF071 (bytes, not paths)
    suspects = lines.filter(lines.bin.contains(prefix))
    return bool(suspects.len()) and bool(
        suspects.to_frame()
        .select(pl.any_horizontal(*(pl.col(lines.name).bin.contains(e) for e in escapes)).any())
        .item()
    )


def _view(data: bytes, end: int) -> bytes | memoryview:
    return data if end == len(data) else memoryview(data)[:end]


def _lines_holding(data: bytes, needle: bytes) -> int:
    count, pos = 0, data.find(needle)
    while pos >= 0:
        count += 1
        end = data.find(b"\n", pos)
        if end < 0:
            break
        pos = data.find(needle, end)
    return count


# --- reading a part ----------------------------------------------------------------------------


def _open(part: SnapshotPart) -> io.BufferedIOBase:
    if part.path.suffix == ".gz":
        return cast(io.BufferedIOBase, igzip.open(part.path, "rb"))
    return part.path.open("rb")


def blocks(part: SnapshotPart, block_bytes: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(offset, data, end)``: ``data[:end]`` are the part's next whole lines, uncompressed.

    Each read is handed on as it is (not copied); the line a read cuts in two is completed from
    the stream and handed on alone, right after.
    """
    offset = 0
    with _open(part) as fh:
        while True:
            try:
                chunk = fh.read(block_bytes)
                rest = fh.readline() if chunk and not chunk.endswith(b"\n") else b""
            except _ZLIB_ERRORS as exc:
                raise _broken(part, exc) from exc
            if not chunk:
                return
            cut = chunk.rfind(b"\n") + 1
            if cut:
                yield offset, chunk, cut
                offset += cut
            line = chunk[cut:] + rest
            if line.strip():
                line += b"" if line.endswith(b"\n") else b"\n"
                yield offset, line, len(line)
            offset += len(line)


def _broken(part: SnapshotPart, exc: Exception) -> InputError:
    """The error for a gzip stream that ends early or is damaged, naming the line it breaks in."""
    line = 1
    with part.path.open("rb") as fh:  # error path only: decode again, as far as it goes
        inflate = isal_zlib.decompressobj(31)
        try:
            while chunk := fh.read(1 << 20):
                while chunk:  # a gzip file may hold several members
                    line += inflate.decompress(chunk).count(b"\n")
                    chunk = inflate.unused_data if inflate.eof else b""
                    if inflate.eof:
                        inflate = isal_zlib.decompressobj(31)
        except _ZLIB_ERRORS:
            pass
    listed = f", the manifest lists {part.content_length}" if part.content_length else ""
    return InputError(
        f"{part.path}, line {line}: the gzip stream breaks inside this line ({one_line(exc)}; "
        f"{part.path.stat().st_size} bytes on disk{listed}); download the part again"
    )


def _first_line(part: SnapshotPart, offset: int) -> int:
    """The number of the line at uncompressed ``offset`` (error path only: reads again)."""
    line, seen = 1, 0
    with _open(part) as fh:
        while seen < offset and (chunk := fh.read(min(1 << 22, offset - seen))):
            line += chunk.count(b"\n")
            seen += len(chunk)
    return line


def _locate(block: bytes, offset: int, part: SnapshotPart, error: InputError) -> InputError:
    """The error of the first bad line of a block that failed to parse, naming file and line."""
    read = read_works if part.entity == "works" else read_institutions
    first_line = _first_line(part, offset)
    for number, line in enumerate(block.split(b"\n"), start=first_line):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError as exc:
            return InputError(
                f"{part.path}, line {number}: not JSON ({one_line(exc)}); the part is damaged, "
                "download it again"
            )
        try:
            read(line, source=f"{part.path}, line {number}")
        except InputError as exc:
            return InputError(one_line(exc))
    return InputError(one_line(error))


def read_part(
    part: SnapshotPart, filters: WorkFilter, block_bytes: int
) -> Iterator[tuple[pl.DataFrame, int, int]]:
    """Yield ``(raw, records, uncompressed bytes)`` for each block of a JSON Lines part.

    ``raw`` holds the block's records that can meet the selections (the pre-filter's lines,
    parsed), not yet filtered; ``records`` counts every record of the block, without a second
    parse: rows when the block was parsed whole, lines when the pre-filter skipped some (it only
    does so when every line is one ``{…}``).
    """
    works = part.entity == "works"
    found = needles(filters) if works else None
    for offset, data, end in prefetch(blocks(part, block_bytes)):
        text, lines = (_view(data, end), None) if found is None else _prefilter(data, end, found)
        source = f"{part.path}, bytes {offset}-{offset + end} uncompressed"
        try:
            if not text:  # the pre-filter found no line that can match
                raw = pl.DataFrame()
            elif works:  # pyarrow reads any buffer: a view of the read block is not copied
                raw = read_works(cast(bytes, text), selections=filters.selections, source=source)
            else:
                raw = read_institutions(cast(bytes, text), source=source)
        except InputError as exc:
            raise _locate(data[:end], offset, part, exc) from None
        yield raw, raw.height if lines is None else lines, end
