"""An immutable OpenAlex list query: every builder method returns a new query.

The query knows the entity (``works``, ``institutions``), the ``filter`` clauses (AND-ed with
commas, OR-ed values with ``|``), the ``select`` fields, the ``sort``, a ``group_by``,
``per_page`` and the ``cursor``; :meth:`Query.single` turns it into the request for one entity by
id (``/works/W…``, never cut, whatever the list endpoint does). Its :attr:`Query.url` is built
from the base URL it was given; no host is written into this module.
An API key is never part of a query: :class:`fetchers.http.OpenAlexClient` adds it when sending,
so URLs that end up in logs, manifests or error messages cannot carry it.

Examples
--------
>>> q = Query("http://127.0.0.1:8000").filter("primary_topic.subfield.id:1702")
>>> q = q.filter(publication_year=2024, type=["article", "preprint"]).select("id", "doi")
>>> q.params["filter"]
'primary_topic.subfield.id:1702,publication_year:2024,type:article|preprint'
>>> q.per_page(100).cursor("*").url
'http://127.0.0.1:8000/works?filter=primary_topic.subfield.id:1702,publication_year:2024,type:article|preprint&select=id,doi&per_page=100&cursor=*'
>>> q.entity_query("institutions").params.get("filter") is None
True
>>> q.single("https://openalex.org/W42").url
'http://127.0.0.1:8000/works/W42?select=id,doi'
>>> q.sort("publication_date").group_by("authorships.countries").params["group_by"]
'authorships.countries'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import quote

from biblio.errors import UsageError

__all__ = ["MAX_PER_PAGE", "Query"]

#: OpenAlex serves at most this many records a page.
MAX_PER_PAGE = 200


def _value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return "|".join(_value(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Query:
    """A list request to one OpenAlex entity endpoint.

    Parameters
    ----------
    base_url
        Where the API lives, e.g. the public OpenAlex API or a local test server.
    entity
        The endpoint: ``works`` or ``institutions``.
    filters
        ``key:value`` clauses, AND-ed.
    fields
        The ``select`` fields (root fields only, as OpenAlex allows).
    page_size
        ``per_page``; ``None`` leaves the server's default.
    cursor_value
        ``cursor``: ``*`` to start cursor paging, then the previous page's ``meta.next_cursor``.
    mailto
        An e-mail address sent as ``mailto`` (OpenAlex's polite pool).
    sort_by
        ``sort``: comma-separated keys, ``:desc`` for descending (OpenAlex's default when absent
        is by citation counts, which change every day).
    group_by_field
        ``group_by``: count the matching entities per value of this field instead of listing them.
    entity_id
        The id of one entity: the request is ``/<entity>/<id>`` (see :meth:`single`).
    """

    base_url: str
    entity: str = "works"
    filters: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    page_size: int | None = None
    cursor_value: str | None = None
    mailto: str | None = None
    sort_by: str | None = None
    group_by_field: str | None = None
    entity_id: str | None = None

    def filter(self, *clauses: str, **values: object) -> Query:
        """A new query with more AND-ed filter clauses.

        Positional clauses are written as given (``"primary_topic.subfield.id:1702"``); keyword
        values become ``key:value``, and a list of values is OR-ed with ``|``.

        >>> Query("http://x").filter("a.b:1", c=[2, 3]).filters
        ('a.b:1', 'c:2|3')
        """
        for clause in clauses:
            key, sep, value = clause.partition(":")
            if not sep or not key or not value:
                raise UsageError(f"filter clause {clause!r} is not key:value")
        extra = tuple(f"{key}:{_value(value)}" for key, value in values.items())
        return replace(self, filters=self.filters + tuple(clauses) + extra)

    def select(self, *fields: str) -> Query:
        """A new query returning only these root fields."""
        return replace(self, fields=tuple(fields))

    def per_page(self, n: int) -> Query:
        """A new query asking for ``n`` records a page (1 to 200)."""
        if not 1 <= n <= MAX_PER_PAGE:
            raise UsageError(f"per_page {n}: OpenAlex allows 1 to {MAX_PER_PAGE}")
        return replace(self, page_size=n)

    def cursor(self, cursor: str | None) -> Query:
        """A new query for the page at ``cursor`` (``*`` for the first)."""
        return replace(self, cursor_value=cursor)

    def sort(self, keys: str | None) -> Query:
        """A new query sorted by ``keys`` (``publication_date``, ``cited_by_count:desc``, …)."""
        return replace(self, sort_by=keys)

    def group_by(self, field: str | None) -> Query:
        """A new query counting the matches per value of ``field`` (OpenAlex ``group_by``)."""
        return replace(self, group_by_field=field)

    def single(self, entity_id: str) -> Query:
        """The request for one entity by id (``/works/W…``), with this query's ``select``.

        Filters, sort, paging and grouping do not apply to a single entity and are dropped.
        """
        short = entity_id.rstrip("/").rsplit("/", 1)[-1]
        return Query(
            self.base_url, self.entity, fields=self.fields, mailto=self.mailto, entity_id=short
        )

    @property
    def is_single(self) -> bool:
        """Whether this is the request for one entity rather than a list."""
        return self.entity_id is not None

    def entity_query(self, entity: str) -> Query:
        """A fresh query on another endpoint of the same API (same base URL and mailto)."""
        return Query(self.base_url, entity, mailto=self.mailto)

    @property
    def endpoint(self) -> str:
        """The endpoint URL without parameters."""
        root = f"{self.base_url.rstrip('/')}/{self.entity}"
        return f"{root}/{quote(self.entity_id, safe='')}" if self.entity_id else root

    @property
    def filter_string(self) -> str:
        """The ``filter`` parameter: the clauses joined with commas."""
        return ",".join(self.filters)

    @property
    def params(self) -> dict[str, str]:
        """The query-string parameters, in a stable order."""
        params: dict[str, str] = {}
        if self.filters:
            params["filter"] = self.filter_string
        if self.fields:
            params["select"] = ",".join(self.fields)
        if self.sort_by:
            params["sort"] = self.sort_by
        if self.group_by_field:
            params["group_by"] = self.group_by_field
        if self.page_size is not None:
            params["per_page"] = str(self.page_size)
        if self.cursor_value is not None:
            params["cursor"] = self.cursor_value
        if self.mailto:
            params["mailto"] = self.mailto
        return params

    @property
    def url(self) -> str:
        """The full URL (without any API key), readable: ``:``, ``|``, ``,``, ``*`` unescaped."""
        if not self.params:
            return self.endpoint
        query = "&".join(f"{k}={quote(v, safe=':|,*@.')}" for k, v in self.params.items())
        return f"{self.endpoint}?{query}"

    def __str__(self) -> str:
        return self.url
