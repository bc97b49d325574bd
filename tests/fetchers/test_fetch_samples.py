"""Every real OpenAlex record in ``tests/data`` goes through the fetcher unharmed.

The samples are real API responses, JSON Lines and snapshot parts from several years of OpenAlex:
recorded HTTP cassettes of 2022 (vcr YAML, some bodies gzip-compressed), a 2023 snapshot sample
(records from before topics existed) and records of the current schema (``openalex-current``:
authorships cut at 100, lineages out of hierarchy order and holding duplicates, authorships with
countries but no institutions, empty ``counts_by_year``). Each is served by the local OpenAlex and
must come back through the client and the normaliser without error.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from biblio.dataset.normalise import (
    SELECT_FIELDS,
    Selection,
    normalise_institutions,
    normalise_works,
    read_institutions,
    read_works,
)
from biblio.dataset.selection import WorkFilter
from fetchers.api import fetch_dataset
from fetchers.http import OpenAlexClient
from fetchers.query import Query
from tests.openalex_server import OpenAlexServer
from tests.paths import OPENALEX_CURRENT, OPENALEX_SAMPLES

yaml = pytest.importorskip("yaml")  # dev extra: the vcr cassettes are YAML


def _records(obj: Any) -> Iterator[dict[str, Any]]:
    if isinstance(obj, dict):
        if isinstance(obj.get("results"), list):
            for item in obj["results"]:
                yield from _records(item)
        elif isinstance(obj.get("id"), str):
            yield obj


def _json_documents(data: bytes) -> Iterator[Any]:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode("utf-8").strip()
    if not text or text[0] not in "{[":
        return
    try:
        yield json.loads(text)
    except json.JSONDecodeError:
        # JSON Lines. One jq-written sample splits a record at a raw newline inside a string;
        # such a line is not JSON (that record's intact copy is in the page it came from).
        for line in text.splitlines():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def _cassette_bodies(path: Path) -> Iterator[bytes]:
    with path.open(encoding="utf-8") as fh:
        cassette = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for interaction in cassette.get("http_interactions") or cassette.get("interactions") or []:
        body = interaction["response"]["body"].get("string")
        if body:
            yield body if isinstance(body, bytes) else body.encode()


def load_samples() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every distinct work and institution record in the samples (the fullest copy of each)."""
    found: dict[str, dict[str, Any]] = {}
    paths = sorted(OPENALEX_SAMPLES.rglob("*")) + sorted(OPENALEX_CURRENT.rglob("*"))
    for path in paths:
        if not path.is_file() or path.suffix in (".md", ".csv") or path.name == "LICENSE":
            continue
        bodies = _cassette_bodies(path) if path.suffix in (".yml", ".yaml") else [path.read_bytes()]
        for body in bodies:
            for document in _json_documents(body):
                for record in _records(document):
                    key = record["id"]
                    if len(json.dumps(record)) > len(json.dumps(found.get(key, {}))):
                        found[key] = record
    works = [r for k, r in found.items() if k.startswith("https://openalex.org/W")]
    institutions = [r for k, r in found.items() if k.startswith("https://openalex.org/I")]
    return works, institutions


@pytest.fixture(scope="module")
def samples() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return load_samples()


def _fetch_all(server: OpenAlexServer, entity: str, fields: tuple[str, ...]) -> bytes:
    client = OpenAlexClient(rate=100)
    query = Query(server.url, entity).select(*fields).per_page(200)
    pages, cursor = [], "*"
    while cursor is not None:
        page = client.get(query.cursor(cursor))
        pages.append(page.results)
        cursor = page.next_cursor
    return b"\n".join(p for p in pages if p)


def test_every_real_record_is_served_and_normalised(
    samples: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    works, institutions = samples
    assert len(works) > 150
    assert len(institutions) > 700
    with OpenAlexServer(works, institutions) as server:
        raw_works = _fetch_all(server, "works", SELECT_FIELDS)
        raw_institutions = _fetch_all(
            server, "institutions", ("id", "ror", "display_name", "country_code", "type", "lineage")
        )
    table, authorships = normalise_works(read_works(raw_works))
    assert table.height == len(works)
    assert table["work_id"].is_unique().all()
    inst = normalise_institutions(read_institutions(raw_institutions))
    assert inst.height == len(institutions)

    by_id = {w["id"].rsplit("/", 1)[1]: w for w in works}
    rows = {r["work_id"]: r for r in table.iter_rows(named=True)}
    for work_id, row in rows.items():
        record = by_id[work_id]
        assert row["publication_year"] == record["publication_year"]
        assert row["cited_by_count"] == record["cited_by_count"]
        assert row["doi"] == record.get("doi")
        assert len(row["counts_by_year"] or []) == len(record.get("counts_by_year") or [])
    counts = authorships.group_by("work_id").len()
    assert dict(counts.iter_rows()) == {
        k: len(w["authorships"]) for k, w in by_id.items() if w.get("authorships")
    }
    # The odd shapes are there and came through: no institutions, no country, no citations.
    assert (authorships["institution_ids"].list.len() == 0).any()
    assert (authorships["countries"].list.len() == 0).any()
    assert (table["counts_by_year"].list.len() == 0).any()
    assert table["primary_topic_id"].is_null().any()
    assert table["subfield_id"].is_not_null().any()
    # Current-schema shapes: authorships cut at 100 keep all 100; countries without institutions.
    truncated = [k for k, w in by_id.items() if w.get("is_authors_truncated")]
    assert truncated
    assert {dict(counts.iter_rows())[k] for k in truncated} == {100}
    no_institution = authorships.filter(pl.col("institution_ids").list.len() == 0)
    assert (no_institution["countries"].list.len() > 0).any()

    # Lineages come through as listed: not in hierarchy order, the institution not always first.
    def short(url: str) -> str:
        return url.rsplit("/", 1)[1]

    lineages = {
        short(i["id"]): None if i.get("lineage") is None else [short(a) for a in i["lineage"]]
        for i in institutions
    }
    assert dict(inst.select("institution_id", "lineage").iter_rows()) == lineages
    assert any(lineage and lineage[0] != k for k, lineage in lineages.items())
    michigan = inst.filter(pl.col("institution_id") == "I27837315").row(0, named=True)
    assert (michigan["country_code"], michigan["type"], michigan["lineage"]) == (
        "US",
        "education",
        ["I27837315"],
    )
    peerj = table.filter(pl.col("work_id") == "W2741809807").row(0, named=True)
    assert (peerj["doi"], peerj["publication_year"]) == ("https://doi.org/10.7717/peerj.4375", 2018)
    assert authorships.filter(pl.col("work_id") == "W2741809807").height == 9


def test_a_concept_selection_over_real_records(
    samples: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    works, institutions = samples
    wanted = {
        w["id"]
        for w in works
        if any(str(c.get("id", "")).endswith("/C154945302") for c in w.get("concepts") or [])
    }
    with OpenAlexServer(works, institutions) as server:
        manifest = fetch_dataset(
            tmp_path / "real",
            filters=WorkFilter(selections=(Selection.parse("concept:C154945302"),)),
            base_url=server.url,
            rate=100,
            workers=2,
            progress=None,
        )
    assert manifest is not None
    assert manifest["records"]["works"] == len(wanted) > 10
