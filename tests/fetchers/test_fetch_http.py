"""The query builder and the HTTP client against a real local OpenAlex server."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from biblio.dataset.normalise import SELECT_FIELDS, normalise_works, read_works
from biblio.errors import BudgetExhausted, FetchError, RequestRejected, UsageError
from fetchers.http import OpenAlexClient, RateLimiter, RetryPolicy
from fetchers.query import Query
from tests.openalex_server import OpenAlexServer

AI = "primary_topic.subfield.id:1702"


def _subfield(work: dict[str, Any]) -> str:
    return str(((work.get("primary_topic") or {}).get("subfield") or {}).get("id", "")).rsplit(
        "/", 1
    )[-1]


def _all_pages(client: OpenAlexClient, query: Query) -> list[bytes]:
    pages, cursor = [], "*"
    while cursor is not None:
        page = client.get(query.cursor(cursor))
        pages.append(page.results)
        cursor = page.next_cursor
    return pages


def test_query_is_immutable_and_builds_the_url() -> None:
    base = Query("http://127.0.0.1:9/")
    ai = base.filter(AI)
    assert base.filters == ()
    assert ai.filters == (AI,)
    q = ai.filter(publication_year="2015-2024").select("id", "doi").per_page(100).cursor("*")
    assert q.url == (
        "http://127.0.0.1:9/works?filter=primary_topic.subfield.id:1702,"
        "publication_year:2015-2024&select=id,doi&per_page=100&cursor=*"
    )
    assert "api_key" not in q.url
    with pytest.raises(UsageError):
        base.per_page(201)
    with pytest.raises(UsageError):
        base.filter("no-colon")


def test_cursor_paging_returns_every_selected_work_once(server: OpenAlexServer) -> None:
    client = OpenAlexClient(rate=100)
    query = (
        Query(server.url)
        .filter(AI, publication_year="2015-2024")
        .select(*SELECT_FIELDS)
        .per_page(100)
    )
    pages = _all_pages(client, query)
    works, _ = normalise_works(read_works(b"\n".join(p for p in pages if p)))
    expected = [
        w
        for w in server.tables["works"].records
        if _subfield(w) == "1702" and 2015 <= w["publication_year"] <= 2024
    ]
    assert works["work_id"].n_unique() == works.height == len(expected)
    assert len(pages) == 4  # 100 + 100 + 43, then OpenAlex's empty page with a null cursor
    sent = server.requests[0]
    assert sent["per_page"] == "100"
    assert sent["cursor"] == "*"
    assert sent["select"] == ",".join(SELECT_FIELDS)
    assert sent["filter"] == f"{AI},publication_year:2015-2024"


def test_throttling_waits_retry_after_then_goes_on(server: OpenAlexServer) -> None:
    server.add_fault("throttle", times=2, retry_after=0.3)
    client = OpenAlexClient(rate=100, retry=RetryPolicy(backoff=0.01))
    start = time.monotonic()
    page = client.get(Query(server.url).per_page(5))
    assert page.size == 5
    assert time.monotonic() - start >= 0.6
    assert client.calls == server.calls() == 3


@pytest.mark.parametrize("kind", ["error", "truncate", "short", "reset", "stall"])
def test_faults_are_retried(server: OpenAlexServer, quick: RetryPolicy, kind: str) -> None:
    server.add_fault(kind, times=2, seconds=3.0)
    retry = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, read_timeout=0.5)
    client = OpenAlexClient(rate=100, retry=retry)
    page = client.get(Query(server.url).filter(AI).per_page(7))
    assert page.size == 7
    assert page.count > 7
    assert client.calls == 3


def test_a_server_that_keeps_failing_gives_one_clear_error(
    server: OpenAlexServer, quick: RetryPolicy
) -> None:
    server.add_fault("error", times=-1, status=502)
    client = OpenAlexClient(rate=100, retry=quick)
    with pytest.raises(FetchError, match=r"4 tries .* HTTP 502 .* rerun later") as info:
        client.get(Query(server.url).per_page(5))
    assert not isinstance(info.value, (BudgetExhausted, RequestRejected))
    assert server.calls() == 4
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "message", "hint"),
    [(401, "API key not found", "check the API key"), (403, "Forbidden", "check the API key")],
)
def test_bad_keys_are_not_retried(
    server: OpenAlexServer, status: int, message: str, hint: str
) -> None:
    server.add_fault("reject", status=status, message=message, times=-1)
    client = OpenAlexClient(rate=100)
    with pytest.raises(RequestRejected, match=f"HTTP {status}.*{message}.*{hint}"):
        client.get(Query(server.url))
    assert server.calls() == 1


def test_bad_filter_and_select_quote_the_server(server: OpenAlexServer) -> None:
    client = OpenAlexClient(rate=100)
    with pytest.raises(RequestRejected, match="DOESNTEXIST is not a valid field"):
        client.get(Query(server.url).filter("DOESNTEXIST:1"))
    with pytest.raises(RequestRejected, match="nope is not a valid select field"):
        client.get(Query(server.url).select("id", "nope"))
    assert server.calls() == 2


def test_budget_exhausted_is_told_apart_from_throttling(server: OpenAlexServer) -> None:
    server.add_fault("budget")
    client = OpenAlexClient(rate=100)
    with pytest.raises(BudgetExhausted, match=r"budget is spent; rerun .* after \d{4}-\d\d-\d\d"):
        client.get(Query(server.url))
    # A long Retry-After without x-ratelimit headers means the same.
    server.add_fault("throttle", retry_after=3600)
    with pytest.raises(BudgetExhausted):
        client.get(Query(server.url))


def test_rate_limiter_is_shared_by_threads() -> None:
    limiter = RateLimiter(50.0)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 20 slots at 50/s over 4 threads: the last starts no earlier than 19/50 s after the first.
    assert len(stamps) == 20
    assert max(stamps) - start >= 19 / 50 - 0.01


def test_the_key_is_scrubbed_from_errors_and_debug_logs(
    server: OpenAlexServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "SECRETKEY123"
    client = OpenAlexClient(
        rate=100, api_key=secret, retry=RetryPolicy(attempts=2, backoff=0.01, read_timeout=0.3)
    )
    server.add_fault("stall", times=-1, seconds=1.0)
    with pytest.raises(FetchError) as info:
        client.get(Query(server.url))
    assert secret not in str(info.value)
    assert "ReadTimeout" in str(info.value)
    server.reset()
    client.get(Query(server.url).per_page(1))
    assert server.requests[-1]["api_key"] == secret
    assert caplog.records
    assert all(secret not in r.getMessage() for r in caplog.records)
    assert any("api_key=***" in r.getMessage() for r in caplog.records)


def test_server_clamping_per_page_still_pages_to_the_end(
    c400: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    with OpenAlexServer(*c400, max_per_page=7) as small:
        client = OpenAlexClient(rate=100)
        pages = _all_pages(client, Query(small.url).filter(AI).select("id").per_page(100))
    assert sum(p.count(b'"id"') for p in pages) == len(
        [w for w in c400[0] if _subfield(w) == "1702"]
    )
