"""One HTTP session to OpenAlex: a shared rate limit, bounded retries, status → exception.

:class:`OpenAlexClient` sends :class:`fetchers.query.Query` objects and returns decoded
:class:`Page` objects: a list page (records, ``meta.count``, the next cursor), a ``group_by``
page (the groups and their counts) or one entity asked for by id. Every request first takes a
slot from one thread-safe token bucket (:class:`RateLimiter`), so any number of worker threads
together stay under the rate. The client counts list calls (charged against the daily budget)
apart from single-entity calls (free), and keeps the last ``x-ratelimit-*`` headers it saw
(:class:`RateLimit`).

What each answer becomes:

=====================================  ======================================================
timeout, connection reset, 5xx,        retried with exponential backoff and jitter, at most
a body cut off or not JSON             ``RetryPolicy.attempts`` tries; then :class:`FetchError`
429 while throttling                   every worker waits ``Retry-After``, then goes on
429 with the budget spent              :class:`BudgetExhausted` (``x-ratelimit-remaining`` 0,
                                       or ``Retry-After`` above ``RetryPolicy.budget_wait``)
400/403 naming the cursor              :class:`CursorRejected`: the fetcher restarts the
                                       partition from the last position it reached
404 for one entity by id               :class:`NotFound`
400, 401, 403 (and other 4xx)          :class:`RequestRejected` quoting the server's message
=====================================  ======================================================

The API key goes in the ``api_key`` parameter and nowhere else: exception texts (requests puts
the URL in them) and urllib3's debug log lines are scrubbed with :func:`scrub`.

Examples
--------
>>> scrub("GET /works?api_key=SECRET&per_page=1 failed", "SECRET")
'GET /works?api_key=***&per_page=1 failed'
>>> limiter = RateLimiter(1000.0)
>>> limiter.acquire(); limiter.acquire()
>>> RetryPolicy().delay(3, rng=lambda a, b: b)  # the upper end of the jittered third backoff
4.0
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_plus

import msgspec
import requests
from requests.adapters import HTTPAdapter

from biblio.errors import BudgetExhausted, FetchError, RequestRejected
from fetchers.query import MAX_PER_PAGE, Query

__all__ = [
    "CursorRejected",
    "NotFound",
    "OpenAlexClient",
    "Page",
    "RateLimit",
    "RateLimiter",
    "RetryPolicy",
    "scrub",
]

log = logging.getLogger(__name__)

_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]*", re.IGNORECASE)
_WORD = r"\w"  # a key is masked only where it is not part of a longer word


def scrub(text: str, secret: str | None = None) -> str:
    """``text`` with the API key removed: every ``api_key=…`` value and the key itself.

    The key is masked where it stands whole, not where its letters happen to be part of a
    longer word, so a short key does not garble the rest of a message.

    >>> scrub("key K1 in https://h/w?api_key=K1", "K1")
    'key *** in https://h/w?api_key=***'
    >>> scrub("Max retries exceeded: bad key x", "x")
    'Max retries exceeded: bad key ***'
    """
    text = _KEY_PARAM.sub(r"\1***", text)
    if secret:
        forms = sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True)
        whole = "|".join(re.escape(form) for form in forms)
        text = re.sub(rf"(?<!{_WORD})(?:{whole})(?!{_WORD})", "***", text)
    return text


class _ScrubFilter(logging.Filter):
    """Redacts ``api_key=…`` in records of the loggers that print URLs (urllib3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg, record.args = scrub(message), None
        return True


_SCRUB = _ScrubFilter()
for _name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
    logging.getLogger(_name).addFilter(_SCRUB)


class RateLimiter:
    """A thread-safe token bucket: on average ``rate`` acquisitions a second, bursts of ``burst``.

    Slots are reserved under a lock and slept for outside it, so waiting threads queue fairly.
    :meth:`pause` pushes every later slot back (a 429's ``Retry-After`` holds all workers).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        self._burst = max(1.0, burst) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = clock()  # the earliest time the next slot may start

    def acquire(self) -> None:
        """Wait for the next free slot."""
        with self._lock:
            now = self._clock()
            start = max(self._next, now - self._burst + self._interval)
            self._next = start + self._interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """No slot starts for ``seconds`` from now."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per request, backoff, timeouts and the budget threshold.

    ``delay(n)`` for the n-th retry is jittered in ``[d/2, d]`` with ``d = min(max_backoff,
    backoff·2**(n-1))``. A 429 whose ``Retry-After`` exceeds ``budget_wait`` seconds is taken as
    the daily budget spent. ``max_throttle_waits`` bounds the 429 waits of one request.
    """

    attempts: int = 6
    backoff: float = 1.0
    max_backoff: float = 60.0
    budget_wait: float = 60.0
    max_throttle_waits: int = 50
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def delay(self, retry: int, *, rng: Callable[[float, float], float] = random.uniform) -> float:
        """Seconds to wait before the ``retry``-th retry (1-based)."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (retry - 1))
        return rng(ceiling / 2.0, ceiling)


class CursorRejected(RequestRejected):
    """The server refused a saved cursor (400/403 "Invalid cursor value"); not fatal.

    Raised to the fetcher, which restarts the partition from the last position it reached.
    """


class NotFound(RequestRejected):
    """No entity with the id asked for (404); the fetcher keeps what it had."""


@dataclass(frozen=True)
class Page:
    """One decoded answer: a list page, a ``group_by`` page, or one entity.

    ``results`` holds the page's records as JSON Lines, exactly the bytes the server sent for
    each record (ready for :func:`biblio.dataset.normalise.read_works`); ``size`` is their number.
    A ``group_by`` page has ``groups`` (key, count) instead, and ``groups_count`` when the server
    says how many groups there are in all. A single entity is a page of one record.
    """

    count: int
    next_cursor: str | None
    results: bytes
    size: int
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    groups: tuple[tuple[str, int], ...] = ()
    groups_count: int | None = None


@dataclass(frozen=True)
class RateLimit:
    """The daily budget as the last answer's ``x-ratelimit-*`` headers told it.

    ``limit`` and ``remaining`` are list calls (OpenAlex's credits; a single entity costs none),
    ``resets_at`` the time the budget is renewed. Fields are None when the server did not say.

    >>> RateLimit.from_headers({"x-ratelimit-limit": "10000", "x-ratelimit-remaining": "9655"},
    ...                        now=datetime(2026, 3, 2, tzinfo=UTC)).remaining
    9655
    """

    limit: int | None = None
    remaining: int | None = None
    resets_at: datetime | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], *, now: datetime | None = None) -> RateLimit:
        """Read ``x-ratelimit-limit``, ``-remaining`` and ``-reset`` (seconds from now)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        limit = _float(lowered.get("x-ratelimit-limit"))
        remaining = _float(lowered.get("x-ratelimit-remaining"))
        reset = _float(lowered.get("x-ratelimit-reset"))
        when = None
        if reset is not None:
            when = (now or datetime.now(UTC)) + timedelta(seconds=reset)
        return cls(
            None if limit is None else int(limit),
            None if remaining is None else int(remaining),
            when,
        )


class _Meta(msgspec.Struct):
    count: int | None = None
    next_cursor: str | None = None
    groups_count: int | None = None


class _Group(msgspec.Struct):
    key: str | int | None = None
    count: int = 0


class _Envelope(msgspec.Struct):
    meta: _Meta
    results: list[msgspec.Raw] = msgspec.field(default_factory=list)
    group_by: list[_Group] | None = None


class _Entity(msgspec.Struct):
    id: str | None = None


_DECODER = msgspec.json.Decoder(_Envelope)
_ENTITY = msgspec.json.Decoder(_Entity)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def local_time(when: datetime) -> str:
    """``when`` as this machine's local time to the minute, with the zone's name.

    >>> local_time(datetime(2026, 3, 2, 12, 54, tzinfo=UTC))[:10]
    '2026-03-02'
    """
    return when.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def _decode(query: Query, body: bytes, headers: dict[str, str]) -> Page:
    if query.is_single:
        _ENTITY.decode(body)  # one JSON object, or a DecodeError (retried like a cut page)
        record = msgspec.json.format(body, indent=0)  # one line: JSON Lines for read_works
        return Page(count=1, next_cursor=None, results=record, size=1, headers=headers)
    envelope = _DECODER.decode(body)
    groups = tuple((str(g.key), g.count) for g in envelope.group_by or () if g.key is not None)
    return Page(
        count=envelope.meta.count or 0,
        next_cursor=envelope.meta.next_cursor,
        results=b"\n".join(envelope.results),
        size=len(envelope.results),
        headers=headers,
        groups=groups,
        groups_count=envelope.meta.groups_count,
    )


def _cursor_refused(query: Query, status: int, message: str) -> bool:
    """A 400/403 that names the cursor, for a request that sent a saved one."""
    sent = query.cursor_value not in (None, "*")
    return sent and status in (400, 403) and "cursor" in message.lower()


def _server_message(response: requests.Response) -> str:
    """The ``message`` (else ``error``) of an OpenAlex error body, shortened to one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = ""
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("error") or "")
    if not text:
        text = response.text.strip() or response.reason or ""
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


class OpenAlexClient:
    """Sends queries to OpenAlex through one ``requests.Session`` shared by every thread.

    Parameters
    ----------
    api_key
        Sent as the ``api_key`` parameter; never logged nor put into an exception.
    rate
        Requests per second over all threads (OpenAlex allows 100 at most).
    retry
        Retry, backoff and timeout settings.
    pool
        Connections kept open (at least the number of worker threads).

    Examples
    --------
    >>> client = OpenAlexClient(rate=5.0)
    >>> client.calls
    0
    >>> client.close()
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        rate: float = 10.0,
        retry: RetryPolicy | None = None,
        pool: int = 16,
        user_agent: str | None = None,
    ) -> None:
        from biblio import __version__

        self._api_key = api_key or None
        self.retry = retry or RetryPolicy()
        self.limiter = RateLimiter(rate)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(pool, 2), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = user_agent or f"biblio/{__version__}"
        self.session.headers["Accept"] = "application/json"
        self._calls = 0
        self._single_calls = 0
        self._lock = threading.Lock()
        self.rate_limit = RateLimit()

    @property
    def calls(self) -> int:
        """HTTP requests sent so far (every try counts)."""
        return self._calls

    @property
    def single_calls(self) -> int:
        """Requests for one entity by id (free against the daily budget); every try counts."""
        return self._single_calls

    @property
    def list_calls(self) -> int:
        """List and ``group_by`` requests (charged against the daily budget); every try counts."""
        return self._calls - self._single_calls

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    def __enter__(self) -> OpenAlexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scrub(self, text: str) -> str:
        return scrub(text, self._api_key)

    def get(self, query: Query) -> Page:
        """Fetch one page (or one entity), retrying faults; raise a :class:`FetchError` subclass.

        Raises
        ------
        BudgetExhausted
            The daily budget is spent.
        CursorRejected
            The server refused the query's cursor.
        NotFound
            A single entity that does not exist.
        RequestRejected
            Any other 4xx answer.
        FetchError
            The server kept failing.
        """
        params = dict(query.params)
        if self._api_key:
            params["api_key"] = self._api_key
        policy = self.retry
        failures = 0
        throttles = 0
        last = "no answer"
        while True:
            self.limiter.acquire()
            with self._lock:
                self._calls += 1
                self._single_calls += query.is_single
            wait: float | None = None
            try:
                response = self.session.get(
                    query.endpoint,
                    params=params,
                    timeout=(policy.connect_timeout, policy.read_timeout),
                )
                body = response.content  # a body cut short raises here
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {self._scrub(str(exc))}"
            else:
                status = response.status_code
                if "x-ratelimit-remaining" in response.headers:
                    self.rate_limit = RateLimit.from_headers(response.headers)
                if status == 200:
                    try:
                        return _decode(query, body, dict(response.headers))
                    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                        last = f"a malformed or truncated page ({exc})"
                elif status == 429:
                    retry_after = _float(response.headers.get("Retry-After"))
                    if self._budget_spent(response, retry_after):
                        raise BudgetExhausted(self._budget_message(response, retry_after))
                    throttles += 1
                    if throttles > policy.max_throttle_waits:
                        raise FetchError(
                            f"OpenAlex kept throttling {query.entity} requests "
                            f"({throttles - 1} waits); lower --rate and rerun to resume"
                        )
                    pause = retry_after if retry_after is not None else policy.delay(throttles)
                    log.info("throttled by OpenAlex: waiting %.1f s", pause)
                    self.limiter.pause(pause)
                    continue
                elif status >= 500:
                    last = f"HTTP {status} {self._scrub(_server_message(response))}"
                    wait = _float(response.headers.get("Retry-After"))
                else:
                    message = self._rejected_message(query, response)
                    if status == 404 and query.is_single:
                        raise NotFound(message)
                    if _cursor_refused(query, status, message):
                        raise CursorRejected(message)
                    raise RequestRejected(message)
            failures += 1
            if failures >= policy.attempts:
                raise FetchError(
                    f"OpenAlex kept failing: {failures} tries of a {query.entity} page, "
                    f"the last with {last}; progress is kept, rerun later to resume"
                )
            delay = max(policy.delay(failures), wait or 0.0)
            log.info("retrying a %s page in %.2f s after %s", query.entity, delay, last)
            time.sleep(delay)

    def groups(self, query: Query) -> dict[str, int]:
        """Every group of a ``group_by`` query, key → count.

        The first call asks for the top 200 groups without a cursor; only when the server says
        there are more (``meta.groups_count``, or a full page when it does not say) are the
        groups paged again with a cursor, in key order, to the end.
        """
        query = query.per_page(MAX_PER_PAGE)
        first = self.get(query.cursor(None))
        total = first.groups_count

        def complete(found: int, page: int) -> bool:
            # All the server has: its count reached, or (when it gives none) a short page.
            return found >= total if total is not None else page < MAX_PER_PAGE

        if complete(len(first.groups), len(first.groups)):
            return dict(first.groups)
        found: dict[str, int] = {}
        cursor: str | None = "*"
        while cursor is not None:
            page = self.get(query.cursor(cursor))
            found.update(page.groups)
            if not page.groups or complete(len(found), len(page.groups)):
                break
            cursor = page.next_cursor
        return found

    def _budget_spent(self, response: requests.Response, retry_after: float | None) -> bool:
        headers = response.headers
        for name in ("x-ratelimit-remaining", "x-ratelimit-remaining-usd"):
            remaining = _float(headers.get(name))
            if remaining is not None and remaining <= 0:
                return True
        return retry_after is not None and retry_after > self.retry.budget_wait

    def _budget_message(self, response: requests.Response, retry_after: float | None) -> str:
        reset = _float(response.headers.get("x-ratelimit-reset"))
        seconds = reset if reset is not None else retry_after
        if seconds is not None:
            when = datetime.now(UTC) + timedelta(seconds=seconds + 59)  # round up a minute
            after = f"after {local_time(when)}"
        else:
            after = "after midnight UTC"
        return f"the OpenAlex daily budget is spent; rerun the same command {after} to resume"

    def _rejected_message(self, query: Query, response: requests.Response) -> str:
        status = response.status_code
        message = self._scrub(_server_message(response))
        hint = {
            400: "check the selection, years and types",
            401: "check the API key (--api-key or OPENALEX_API_KEY)",
            403: "check the API key (--api-key or OPENALEX_API_KEY) and its plan",
        }.get(status, "check the request")
        return f"OpenAlex refused the {query.entity} request (HTTP {status}): {message}; {hint}"
