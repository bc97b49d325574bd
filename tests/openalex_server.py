"""A local OpenAlex: a real HTTP server on 127.0.0.1 that speaks the REST protocol biblio uses.

It serves ``/works`` and ``/institutions`` from JSON records held in memory and implements what
the fetcher relies on, the way OpenAlex does it (its API code, ``ourresearch/openalex-elastic-api``,
and recorded answers in ``shared/openalex-samples`` are the reference):

- ``filter``: comma-AND-ed ``key:value`` clauses, ``|``-OR-ed values, ``!`` negation; ids compare
  by their last path segment (``1702`` matches ``https://openalex.org/subfields/1702``), through
  lists (``topics.subfield.id``); ``publication_year`` takes ``2019``, ``2015-2024``, ``<2016``,
  ``>2015``; ``from_/to_publication_date``; ``openalex_id``/``openalex``/``ids.openalex``. An
  unknown filter key is a 400 with OpenAlex's error body.
- ``select`` of root fields (400 for an unknown one), ``per_page`` (1 to 200; ``max_per_page``
  can clamp it lower, as a misbehaving server might), ``meta.count``.
- ``sort`` (``publication_date``, ``cited_by_count``, ``works_count``, ``:desc``) and stateless
  ``cursor`` paging as Elasticsearch's ``search_after``: the cursor holds the sort values of the
  page's last record, and with a cursor OpenAlex appends its default sort (works:
  ``-cited_by_count, id``) to the one asked for. So a cursor stays valid across changes of the
  data, and skips or repeats records whose sort values changed in between, as OpenAlex's does.
  Like OpenAlex, the last page with results still has a cursor and the page after it is empty
  with ``next_cursor: null``. :meth:`OpenAlexServer.expire_cursors` makes every cursor given out
  so far a 400 "Invalid cursor value".
- List records are cut at ``authors_cut`` authorships (100, as OpenAlex does) and flagged
  ``is_authors_truncated: true``; ``/works/W…`` serves one record whole (and free).
- ``group_by`` (``publication_year``, ``authorships.countries``, …): the top groups by count
  without a cursor (``meta.groups_count`` says how many there are), every group in key order with
  cursor paging; ``group_skew`` shifts the counts of chosen keys.
- ``x-ratelimit-*`` headers: list and ``group_by`` calls cost one credit of ``budget`` (default
  10,000 a day); a single entity costs none, but is refused too once the budget is spent.
- Faults scripted per test with :meth:`OpenAlexServer.add_fault`: 429 throttling with
  ``Retry-After``, 429 with the budget spent, 5xx, a body cut off mid-JSON, a connection reset,
  a stall, 400/401/403 bodies, and a saved cursor refused; plus ``latency`` per page.

Every request's parameters are recorded in :attr:`OpenAlexServer.requests`.

Examples
--------
>>> with OpenAlexServer(works=[{"id": "https://openalex.org/W1", "publication_year": 2024}]) as s:
...     import requests
...     page = requests.get(f"{s.url}/works", params={"filter": "publication_year:2024"}).json()
>>> page["meta"]["count"], page["results"][0]["id"]
(1, 'https://openalex.org/W1')
"""

from __future__ import annotations

import base64
import bisect
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Fault", "OpenAlexServer", "short"]

WORKS_SELECT = [
    "id",
    "doi",
    "title",
    "display_name",
    "relevance_score",
    "publication_year",
    "publication_date",
    "ids",
    "language",
    "primary_location",
    "sources",
    "type",
    "type_crossref",
    "indexed_in",
    "open_access",
    "authorships",
    "institution_assertions",
    "institutions",
    "countries_distinct_count",
    "institutions_distinct_count",
    "corresponding_author_ids",
    "corresponding_institution_ids",
    "apc_list",
    "apc_paid",
    "fwci",
    "is_authors_truncated",
    "has_fulltext",
    "fulltext_origin",
    "cited_by_count",
    "citation_normalized_percentile",
    "cited_by_percentile_year",
    "biblio",
    "is_retracted",
    "is_paratext",
    "is_xpac",
    "primary_topic",
    "topics",
    "keywords",
    "concepts",
    "mesh",
    "locations_count",
    "locations",
    "best_oa_location",
    "sustainable_development_goals",
    "awards",
    "funders",
    "datasets",
    "versions",
    "has_content",
    "content_urls",
    "referenced_works_count",
    "referenced_works",
    "related_works",
    "abstract_inverted_index",
    "cited_by_api_url",
    "counts_by_year",
    "updated_date",
    "created_date",
]
INSTITUTIONS_SELECT = [
    "id",
    "ror",
    "display_name",
    "country_code",
    "type",
    "type_id",
    "lineage",
    "homepage_url",
    "image_url",
    "image_thumbnail_url",
    "display_name_acronyms",
    "display_name_alternatives",
    "repositories",
    "works_count",
    "cited_by_count",
    "summary_stats",
    "ids",
    "geo",
    "international",
    "associated_institutions",
    "counts_by_year",
    "roles",
    "topics",
    "topic_share",
    "x_concepts",
    "is_super_system",
    "works_api_url",
    "updated_date",
    "created_date",
]
_FILTERS = {
    "works": [
        "authorships.countries",
        "authorships.institutions.country_code",
        "authorships.institutions.id",
        "concepts.id",
        "doi",
        "from_publication_date",
        "ids.openalex",
        "is_paratext",
        "is_retracted",
        "openalex",
        "openalex_id",
        "primary_topic.field.id",
        "primary_topic.id",
        "primary_topic.subfield.id",
        "publication_date",
        "publication_year",
        "to_publication_date",
        "topics.field.id",
        "topics.id",
        "topics.subfield.id",
        "type",
    ],
    "institutions": [
        "country_code",
        "ids.openalex",
        "ids.ror",
        "lineage",
        "openalex",
        "openalex_id",
        "ror",
        "type",
    ],
}
_SELECT = {"works": WORKS_SELECT, "institutions": INSTITUTIONS_SELECT}
_ID_KEYS = {"openalex", "openalex_id", "ids.openalex"}
#: OpenAlex's default sort, appended to the asked one when paging with a cursor.
_DEFAULT_SORT = {"works": ("-cited_by_count", "id"), "institutions": ("-works_count", "id")}
_SORTABLE = {"publication_date", "cited_by_count", "works_count", "id", "publication_year"}
_DAILY = 10_000


def short(value: object) -> str:
    """An id or value as compared in filters: the last path segment, lower case.

    >>> short("https://openalex.org/subfields/1702"), short("I27837315"), short(True)
    ('1702', 'i27837315', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).rstrip("/").rsplit("/", 1)[-1].lower()


def _leaves(record: Any, path: Sequence[str]) -> Iterable[Any]:
    if isinstance(record, list):
        for item in record:
            yield from _leaves(item, path)
        return
    if not path:
        if record is not None:
            yield record
        return
    if isinstance(record, dict):
        yield from _leaves(record.get(path[0]), path[1:])


@dataclass
class Fault:
    """A scripted misbehaviour: after ``skip`` normal answers, the next ``times`` are ``kind``.

    ``kind`` is ``throttle`` (429 + ``Retry-After``), ``budget`` (429, budget spent), ``error``
    (``status``, default 503), ``truncate`` (a 200 cut mid-JSON), ``short`` (a 200 whose
    connection closes before ``Content-Length`` bytes), ``reset`` (the connection is reset),
    ``stall`` (wait ``seconds`` before answering), ``reject`` (``status`` 400/401/403 with an
    OpenAlex error body) or ``cursor`` (a 400 "Invalid cursor value"; counts only requests that
    send a saved cursor). ``times=-1`` repeats it forever. ``path`` limits it to an endpoint.
    """

    kind: str
    times: int = 1
    skip: int = 0
    status: int = 503
    retry_after: float = 0.0
    seconds: float = 0.0
    message: str = ""
    path: str | None = None


@dataclass
class _Table:
    records: list[dict[str, Any]]
    years: dict[int, list[int]] = field(default_factory=dict)
    matches: dict[str, list[int]] = field(default_factory=dict)
    clauses: dict[str, frozenset[int]] = field(default_factory=dict)
    encoded: dict[tuple[tuple[str, ...], bool], dict[int, bytes]] = field(default_factory=dict)
    ordered: dict[tuple[str, tuple[str, ...]], tuple[list[Any], list[int]]] = field(
        default_factory=dict
    )
    by_id: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, record in enumerate(self.records):
            self.by_id.setdefault(short(record.get("id", "")), i)
            year = record.get("publication_year")
            if isinstance(year, int):
                self.years.setdefault(year, []).append(i)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) or a reset we injected: not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _BadRequest(Exception):
    def __init__(self, message: str, error: str = "Invalid query parameters error.") -> None:
        super().__init__(message)
        self.message = message
        self.error = error


def _invalid_cursor() -> _BadRequest:
    return _BadRequest("Invalid cursor value", error="Pagination error.")


def _sort_value(record: dict[str, Any], name: str, descending: bool) -> tuple[int, Any]:
    """One sort key of a record: present values first (in order), missing ones last."""
    value = record.get(name)
    if name == "publication_date" and isinstance(value, str):
        try:
            value = date.fromisoformat(value).toordinal()
        except ValueError:
            value = None
    # A value of another type than the field's (fuzzed records) sorts as missing.
    if value is None or isinstance(value, dict | list | bool):
        return (1, 0)
    if descending:
        return (0, -value) if isinstance(value, int | float) else (1, 0)
    return (0, value) if isinstance(value, str if name == "id" else int | float) else (1, 0)


def _encode_cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _decode_cursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise _invalid_cursor() from exc


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


class OpenAlexServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving OpenAlex records.

    Parameters
    ----------
    works, institutions
        OpenAlex records (dicts), served in this order.
    latency
        Seconds each answer is delayed (a page's round trip at the real API is 0.2–1 s).
    max_per_page
        Serve at most this many records a page whatever ``per_page`` asks (default: 200).
    budget
        List calls allowed before every answer is a budget-spent 429 (``None``: the 10,000 of a
        free key, never enforced).
    authors_cut
        List records keep at most this many authorships and say ``is_authors_truncated: true``
        (``None``: never cut). Single works are never cut.
    cut_flag
        Whether a cut list record carries the flag (False: a server that leaves it out).
    group_skew
        Added to the ``group_by`` count of every group whose key ends in one of these keys
        (e.g. ``{"CN": 5}``): a server whose own counts disagree with its records.
    """

    def __init__(
        self,
        works: Iterable[dict[str, Any]] = (),
        institutions: Iterable[dict[str, Any]] = (),
        *,
        latency: float = 0.0,
        max_per_page: int = 200,
        budget: int | None = None,
        authors_cut: int | None = 100,
        cut_flag: bool = True,
        group_skew: Mapping[str, int] | None = None,
    ) -> None:
        self.tables = {"works": _Table(list(works)), "institutions": _Table(list(institutions))}
        self.latency = latency
        self.max_per_page = max_per_page
        self.budget = budget
        self.authors_cut = authors_cut
        self.cut_flag = cut_flag
        self.group_skew = dict(group_skew or {})
        self.requests: list[dict[str, str]] = []
        self.faults: list[Fault] = []
        self.generation = 0
        self._list_calls = 0
        self._lock = threading.Lock()
        self._matching_lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give the fetcher, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OpenAlexServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> OpenAlexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ----------------------------------------------------------------------
    def add_fault(self, kind: str, **options: Any) -> None:
        """Script a fault (see :class:`Fault`); faults play one after another."""
        with self._lock:
            self.faults.append(Fault(kind, **options))

    def reset(self) -> None:
        """Forget recorded requests and pending faults; a new day: the budget is whole again."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self._list_calls = 0

    def expire_cursors(self) -> None:
        """Every cursor given out so far is refused from now on (400 "Invalid cursor value")."""
        with self._lock:
            self.generation += 1

    def replace_works(self, works: Iterable[dict[str, Any]]) -> None:
        """Serve these work records from now on (OpenAlex changed overnight)."""
        table = _Table(list(works))
        with self._matching_lock, self._lock:
            self.tables["works"] = table

    def prepare(self, entity: str, fields: Sequence[str] | None = None) -> None:
        """Encode every record for this ``select`` now rather than on first request."""
        for i in range(len(self.tables[entity].records)):
            self._encode(entity, i, tuple(fields) if fields else None)

    def calls(self, path: str | None = None) -> int:
        """Requests received (to ``/works``, ``/institutions``, or all)."""
        with self._lock:
            return sum(1 for r in self.requests if path is None or r["_path"] == path)

    def list_calls(self) -> int:
        """List and ``group_by`` requests received since the last :meth:`reset` (the charged)."""
        with self._lock:
            return self._list_calls

    def single_calls(self) -> int:
        """Requests for one entity by id (``/works/W…``), which cost nothing."""
        with self._lock:
            return sum(1 for r in self.requests if r["_path"].count("/") > 1)

    def _next_fault(self, path: str, saved_cursor: bool) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path is not None and fault.path != path:
                    continue
                if fault.kind == "cursor" and not saved_cursor:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None

    # -- the protocol -----------------------------------------------------------------------
    def _rate_headers(self, remaining: int, cost: int) -> dict[str, str]:
        now = datetime.now(UTC)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        limit = _DAILY if self.budget is None else self.budget
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(remaining, 0)),
            "x-ratelimit-limit-usd": f"{limit / 10000:g}",
            "x-ratelimit-remaining-usd": f"{max(remaining, 0) / 10000:.4f}",
            "x-ratelimit-cost-usd": f"{cost / 10000:g}",
            "x-ratelimit-credits-used": str(cost),
            "x-ratelimit-reset": str(int((midnight - now).total_seconds())),
        }

    def _select(self, entity: str, params: dict[str, str]) -> tuple[str, ...] | None:
        raw = params.get("select")
        if not raw:
            return None
        fields = tuple(f.strip() for f in raw.split(",") if f.strip())
        for name in fields:
            if name not in _SELECT[entity]:
                raise _BadRequest(
                    f"{name} is not a valid select field. Valid fields for select are: "
                    f"{', '.join(_SELECT[entity])}."
                )
        return fields

    def _matching(self, entity: str, filter_text: str) -> list[int]:
        table = self.tables[entity]
        cached = table.matches.get(filter_text)
        if cached is not None:
            return cached
        with self._matching_lock:  # one thread computes a filter; the others then reuse it
            table = self.tables[entity]
            cached = table.matches.get(filter_text)
            if cached is None:
                cached = self._compute_matching(table, entity, filter_text)
        return cached

    def _compute_matching(self, table: _Table, entity: str, filter_text: str) -> list[int]:
        tests: list[Callable[[dict[str, Any]], bool]] = []
        sets: list[frozenset[int]] = []
        candidates: Iterable[int] = range(len(table.records))
        for clause in filter(None, filter_text.split(",")):
            key, sep, value = clause.partition(":")
            key = key.strip().replace("-", "_")
            if not sep or key not in _FILTERS[entity]:
                raise _BadRequest(
                    f"{key} is not a valid field. Valid fields are underscore or hyphenated "
                    f"versions of: {', '.join(sorted(_FILTERS[entity]))}"
                )
            if key == "publication_year" and value.isdigit():
                candidates = table.years.get(int(value), [])
            elif key in ("publication_year", "from_publication_date", "to_publication_date"):
                tests.append(self._clause(key, value))  # cheap: tested on the candidates
            else:
                sets.append(self._clause_set(table, key, value))  # once over every record
        found = [
            i
            for i in candidates
            if all(i in s for s in sets) and all(t(table.records[i]) for t in tests)
        ]
        with self._lock:
            table.matches[filter_text] = found
        return found

    def _clause_set(self, table: _Table, key: str, value: str) -> frozenset[int]:
        cached = table.clauses.get(f"{key}:{value}")
        if cached is None and key in _ID_KEYS and not value.startswith("!"):
            wanted = (table.by_id.get(short(v)) for v in value.split("|"))
            cached = frozenset(i for i in wanted if i is not None)
        if cached is None:
            test = self._clause(key, value)
            cached = frozenset(i for i, r in enumerate(table.records) if test(r))
            with self._lock:
                table.clauses[f"{key}:{value}"] = cached
        return cached

    @staticmethod
    def _clause(key: str, value: str) -> Callable[[dict[str, Any]], bool]:
        negate = value.startswith("!")
        value = value.lstrip("!")
        if key == "publication_year":
            ranges = []
            for v in value.split("|"):
                if v.startswith("<"):
                    ranges.append((-(10**9), int(v[1:]) - 1))
                elif v.startswith(">"):
                    ranges.append((int(v[1:]) + 1, 10**9))
                else:
                    a, _, b = v.partition("-")
                    ranges.append((int(a), int(b or a)))

            def test(r: dict[str, Any]) -> bool:
                y = r.get("publication_year")
                return isinstance(y, int) and any(a <= y <= b for a, b in ranges)

        elif key in ("from_publication_date", "to_publication_date"):
            bound = value

            def test(r: dict[str, Any]) -> bool:
                d = r.get("publication_date")
                if not isinstance(d, str):
                    return False
                return d >= bound if key.startswith("from") else d <= bound

        else:
            path = ["id"] if key in _ID_KEYS else key.split(".")
            wanted = {short(v) for v in value.split("|")}

            def test(r: dict[str, Any]) -> bool:
                return any(short(leaf) in wanted for leaf in _leaves(r, path))

        if negate:
            return lambda r: not test(r)
        return test

    def _encode(
        self, entity: str, index: int, fields: tuple[str, ...] | None, *, whole: bool = False
    ) -> bytes:
        table = self.tables[entity]
        cut = self.authors_cut if entity == "works" and not whole else None
        key = (fields or (), cut is not None)
        cache = table.encoded.setdefault(key, {})
        data = cache.get(index)
        if data is None:
            record = table.records[index]
            authorships = record.get("authorships")
            if cut is not None and isinstance(authorships, list) and len(authorships) > cut:
                record = {**record, "authorships": authorships[:cut]}
                if self.cut_flag:
                    record["is_authors_truncated"] = True
            if fields:
                record = {f: record.get(f) for f in fields}
            data = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
            cache[index] = data
        return data

    def _sort_spec(self, entity: str, params: dict[str, str]) -> tuple[str, ...]:
        """The sort as ``name`` / ``-name`` keys; with a cursor, OpenAlex's default appended."""
        spec: tuple[str, ...] = ()
        for key in (k.strip() for k in (params.get("sort") or "").split(",") if k.strip()):
            name, _, direction = key.partition(":")
            if name not in _SORTABLE or direction not in ("", "asc", "desc"):
                raise _BadRequest(f"{key} is not a valid sort field")
            spec += (f"-{name}" if direction == "desc" else name,)
        if "cursor" in params or not spec:
            spec += _DEFAULT_SORT[entity]
        return spec

    def _ordered(
        self, entity: str, filter_text: str, spec: tuple[str, ...]
    ) -> tuple[list[Any], list[int]]:
        table = self.tables[entity]
        cached = table.ordered.get((filter_text, spec))
        if cached is not None:
            return cached
        found = self._matching(entity, filter_text)
        parsed = [(name.lstrip("-"), name.startswith("-")) for name in spec]
        keyed = sorted(
            (tuple(_sort_value(table.records[i], n, d) for n, d in parsed), i) for i in found
        )
        result = ([k for k, _ in keyed], [i for _, i in keyed])
        with self._lock:
            table.ordered[(filter_text, spec)] = result
        return result

    def _page(self, entity: str, params: dict[str, str]) -> bytes:
        fields = self._select(entity, params)
        group_by = params.get("group_by") or params.get("group-by")
        default = "200" if group_by else "25"
        per_page_text = params.get("per_page", params.get("per-page", default))
        if not per_page_text.isdigit() or not 1 <= int(per_page_text) <= 200:
            raise _BadRequest(f"per-page parameter must be between 1 and 200; got {per_page_text}")
        per_page = min(int(per_page_text), self.max_per_page)
        if group_by:
            return self._groups(entity, params, group_by, per_page)
        filter_text = params.get("filter", "")
        spec = self._sort_spec(entity, params)
        keys, order = self._ordered(entity, filter_text, spec)
        cursor = params.get("cursor")
        if cursor is None:
            page_no = int(params.get("page", "1"))
            start = (page_no - 1) * per_page
        elif cursor == "*":
            start = 0
        else:
            payload = _decode_cursor(cursor)
            if not isinstance(payload, dict) or payload.get("g") != self.generation:
                raise _invalid_cursor()
            after = _frozen(payload.get("after"))
            if not isinstance(after, tuple) or len(after) != len(spec):
                raise _invalid_cursor()
            try:
                start = bisect.bisect_right(keys, after)
            except TypeError as exc:
                raise _invalid_cursor() from exc
        chosen = order[start : start + per_page]
        next_cursor = None
        if cursor is not None and chosen:
            last = keys[start + len(chosen) - 1]
            next_cursor = _encode_cursor({"g": self.generation, "after": last})
        meta = {
            "count": len(order),
            "db_response_time_ms": 3,
            "page": None if cursor is not None else int(params.get("page", "1")),
            "per_page": per_page,
            "next_cursor": next_cursor,
            "groups_count": None,
            "cost_usd": 0.0001,
        }
        results = b",".join(self._encode(entity, i, fields) for i in chosen)
        return (
            b'{"meta":'
            + json.dumps(meta).encode()
            + b',"results":['
            + results
            + b'],"group_by":[]}'
        )

    def _groups(self, entity: str, params: dict[str, str], field_name: str, per_page: int) -> bytes:
        name = field_name.split(":")[0].replace("-", "_")
        if name not in _FILTERS[entity] or name.endswith("_date"):
            raise _BadRequest(f"{field_name} is not a valid group_by field")
        table = self.tables[entity]
        found = self._matching(entity, params.get("filter", ""))
        counts: dict[str, int] = {}
        for i in found:
            values = {str(v) for v in _leaves(table.records[i], name.split("."))}
            for value in values:
                counts[value] = counts.get(value, 0) + 1
        groups = []
        for value, n in counts.items():
            key = f"https://openalex.org/countries/{value}" if name.endswith("countries") else value
            n += self.group_skew.get(value.rsplit("/", 1)[-1], 0)
            groups.append({"key": key, "key_display_name": value, "count": n})
        cursor = params.get("cursor")
        next_cursor = None
        if cursor is None:
            groups.sort(key=lambda g: (-g["count"], g["key"]))
            page = groups[:per_page]
        else:
            groups.sort(key=lambda g: g["key"])
            after = None if cursor == "*" else _decode_cursor(cursor)
            if after is not None and not isinstance(after, str):
                raise _invalid_cursor()
            page = [g for g in groups if after is None or g["key"] > after][:per_page]
            if page:
                next_cursor = _encode_cursor(page[-1]["key"])
        meta = {
            "count": len(found),
            "db_response_time_ms": 3,
            "page": None if cursor is not None else 1,
            "per_page": per_page,
            "next_cursor": next_cursor,
            "groups_count": len(groups),
            "cost_usd": 0.0001,
        }
        return json.dumps({"meta": meta, "results": [], "group_by": page}).encode()

    def _single(self, entity: str, entity_id: str, params: dict[str, str]) -> bytes | None:
        fields = self._select(entity, params)
        index = self.tables[entity].by_id.get(short(entity_id))
        if index is None:
            return None
        return self._encode(entity, index, fields, whole=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(
                self, status: int, body: bytes, headers: dict[str, str], length: int | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) if length is None else length))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _error(
                self, status: int, error: str, message: str, headers: dict[str, str]
            ) -> None:
                body = json.dumps({"error": error, "message": message}).encode()
                self._send(status, body, headers)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path.rstrip("/")
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                entity, _, entity_id = path.lstrip("/").partition("/")
                single = bool(entity_id)
                with server._lock:
                    server.requests.append({"_path": path, **params})
                    spent = server.budget is not None and server._list_calls >= server.budget
                    if not single and not spent:
                        server._list_calls += 1
                    used = server._list_calls
                limit = _DAILY if server.budget is None else server.budget
                headers = server._rate_headers(limit - used, 0 if single else 1)
                if server.latency:
                    time.sleep(server.latency)
                if entity not in server.tables:
                    self._error(404, "Not found", f"{path} is not an endpoint", headers)
                    return
                saved_cursor = params.get("cursor") not in (None, "*")
                fault = Fault("budget") if spent else server._next_fault(path, saved_cursor)
                kind = fault.kind if fault else None
                if fault is not None and kind == "stall":
                    time.sleep(fault.seconds)
                if fault is not None and kind == "reset":
                    # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                if fault is not None and kind == "throttle":
                    self._error(
                        429,
                        "Too Many Requests",
                        "Rate limit exceeded; slow down.",
                        {**headers, "Retry-After": f"{fault.retry_after:g}"},
                    )
                    return
                if fault is not None and kind == "budget":
                    spent_headers = {
                        **headers,
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-remaining-usd": "0",
                        "Retry-After": headers["x-ratelimit-reset"],
                    }
                    self._error(
                        429,
                        "Rate limit exceeded",
                        "Daily budget exhausted. Resets at midnight UTC.",
                        spent_headers,
                    )
                    return
                if fault is not None and kind == "error":
                    self._error(
                        fault.status,
                        "Internal Server Error",
                        fault.message or "upstream timed out",
                        headers,
                    )
                    return
                if fault is not None and kind == "reject":
                    error = {
                        400: "Invalid query parameters error.",
                        401: "Invalid or missing API key",
                        403: "Forbidden",
                    }.get(fault.status, "Error")
                    self._error(fault.status, error, fault.message or error, headers)
                    return
                if fault is not None and kind == "cursor":
                    self._error(400, "Pagination error.", "Invalid cursor value", headers)
                    return
                try:
                    if single:
                        found = server._single(entity, entity_id, params)
                        if found is None:
                            self._error(404, "Not found", f"{entity_id} was not found", headers)
                            return
                        body = found
                    else:
                        body = server._page(entity, params)
                except _BadRequest as exc:
                    self._error(400, exc.error, exc.message, headers)
                    return
                if fault is not None and kind == "truncate":
                    self._send(200, body[: len(body) // 2], headers)
                    return
                if fault is not None and kind == "short":
                    self._send(200, body[: len(body) // 2], headers, length=len(body))
                    self.close_connection = True
                    return
                self._send(200, body, headers)

        return Handler
