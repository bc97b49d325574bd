"""Recorded OpenAlex answers, replayed byte for byte, through the client and the normaliser.

The vcr cassettes of ``tests/data/openalex-samples/smierz__diophila`` hold real API answers of
2022: status, every response header as sent (``Content-Encoding: gzip``, ``Content-Length`` of the
compressed body, ``X-Api-Pool``, …) and the body. A local server answers the n-th request with the
n-th recorded answer, whatever was asked, so the client meets the real wire format; the test then
checks what the client asked for (the cursor chain) and what it made of the answers.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from biblio.dataset.normalise import SELECT_FIELDS, normalise_works, read_works
from fetchers.http import OpenAlexClient
from fetchers.query import Query
from tests.paths import OPENALEX_SAMPLES

yaml = pytest.importorskip("yaml")  # dev extra: the vcr cassettes are YAML

CASSETTES = OPENALEX_SAMPLES / "smierz__diophila" / "tests" / "cassettes" / "test_list_entities"


def _responses(cassette: Path) -> list[dict[str, Any]]:
    with cassette.open(encoding="utf-8") as fh:
        recorded = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return [interaction["response"] for interaction in recorded["interactions"]]


def _body(response: dict[str, Any]) -> bytes:
    body = response["body"]["string"]
    return body if isinstance(body, bytes) else body.encode()


def _page(response: dict[str, Any]) -> dict[str, Any]:
    """The recorded page as JSON (decompressed if it was sent gzipped)."""
    body = _body(response)
    return json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)


@contextmanager
def replay(responses: list[dict[str, Any]]) -> Iterator[tuple[str, list[str]]]:
    """A local server sending ``responses`` in order; yields its URL and the paths it was asked."""
    asked: list[str] = []
    answers = iter(responses)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            response = next(answers)
            self.send_response(response["status"]["code"], response["status"]["message"])
            for name, values in response["headers"].items():
                for value in values:
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(_body(response))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_recorded_cursor_chain_ends_on_an_empty_page() -> None:
    responses = _responses(CASSETTES / "test_list_of_entities_cursor_ends.yaml")
    first, last = (_page(r) for r in responses)
    assert responses[0]["headers"]["Content-Encoding"] == ["gzip"]
    with replay(responses) as (url, asked), OpenAlexClient(rate=100) as client:
        query = Query(url, "works").select(*SELECT_FIELDS).per_page(25)
        pages = [client.get(query.cursor("*"))]
        pages.append(client.get(query.cursor(pages[0].next_cursor or "")))
    cursors = [parse_qs(urlsplit(path).query)["cursor"] for path in asked]
    assert cursors == [["*"], [first["meta"]["next_cursor"]]]
    assert [(p.count, p.size, p.next_cursor) for p in pages] == [
        (2, 2, first["meta"]["next_cursor"]),
        (2, 0, None),
    ]
    assert last["results"] == []
    assert pages[1].results == b""
    assert [json.loads(line) for line in pages[0].results.splitlines()] == first["results"]
    assert pages[0].headers["X-Api-Pool"] == "common"  # the recorded headers reach the page


def test_a_recorded_page_is_normalised_like_any_other() -> None:
    [response] = _responses(CASSETTES / "test_list_of_works_by_api_url.yaml")
    recorded = _page(response)["results"]
    with replay([response]) as (url, _), OpenAlexClient(rate=100) as client:
        page = client.get(Query(url, "works").per_page(25).cursor("*"))
    works, authorships = normalise_works(read_works(page.results))
    assert works["work_id"].to_list() == [w["id"].rsplit("/", 1)[1] for w in recorded]
    assert works["cited_by_count"].to_list() == [w["cited_by_count"] for w in recorded]
    assert authorships.height == sum(len(w["authorships"]) for w in recorded)
