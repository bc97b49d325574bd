"""The exceptions biblio raises, one small tree.

::

    BiblioError                 anything biblio refuses to do; the CLI prints it on one line
    ├── UsageError              a bad option, unit or dataset name (exit 2)
    ├── InputError              a missing dataset, an unreadable or malformed file (exit 2)
    │   ├── SchemaError         a table whose columns or types differ from biblio.schema
    │   ├── DatasetChanged      a data file whose SHA-256 is not the manifest's: it changed
    │   │                       since it was written
    │   └── RecordError         an OpenAlex record that does not fit: names its id and field
    ├── DatasetBusy             another process is writing the dataset (exit 2)
    ├── OutputError             the output could not be written: disk full, file too large
    │                           (exit 1); what was there before is left as it was
    └── FetchError              the server keeps failing or refuses the request (exit 1)
        ├── BudgetExhausted     the daily API budget is spent; progress is kept, rerun later
        │                       (exit 75, EX_TEMPFAIL: stopped for now, nothing is wrong)
        └── RequestRejected     400/401/403: a bad filter or a bad key; never retried

Every message says what is wrong and what to do next.

Examples
--------
>>> issubclass(SchemaError, InputError) and issubclass(BudgetExhausted, FetchError)
True
>>> UsageError("unknown unit 'XX'").exit_code, BudgetExhausted("spent").exit_code
(2, 75)
"""

from __future__ import annotations

__all__ = [
    "BiblioError",
    "BudgetExhausted",
    "DatasetBusy",
    "DatasetChanged",
    "FetchError",
    "InputError",
    "OutputError",
    "RecordError",
    "RequestRejected",
    "SchemaError",
    "UsageError",
]


class BiblioError(Exception):
    """Base of every error biblio raises on purpose."""

    exit_code = 1


class UsageError(BiblioError):
    """A bad option value, an unknown or overlapping unit, a year absent from the dataset."""

    exit_code = 2


class InputError(BiblioError):
    """A missing dataset or an unreadable, malformed input file."""

    exit_code = 2


class SchemaError(InputError):
    """A table whose columns or types differ from the one schema in :mod:`biblio.schema`."""


class DatasetChanged(InputError):
    """A data file whose SHA-256 differs from the manifest's: it changed since it was written."""


class RecordError(InputError):
    """An OpenAlex record that does not fit the schema; ``record_id`` and ``field`` name it.

    >>> RecordError("works, line 3: ...", record_id="W1", field="publication_year").field
    'publication_year'
    """

    def __init__(self, message: str, *, record_id: str | None, field: str) -> None:
        super().__init__(message)
        self.record_id = record_id
        self.field = field


class DatasetBusy(BiblioError):
    """Another process holds the dataset's writer lock (a fetch, an ingest or a refresh)."""

    exit_code = 2


class OutputError(BiblioError):
    """Output that could not be written (no space left, file too large, read-only disk)."""

    exit_code = 1


class FetchError(BiblioError):
    """The server kept failing after the bounded retries; progress so far is kept."""

    exit_code = 1


class BudgetExhausted(FetchError):
    """OpenAlex answered 429 because the daily budget is spent; rerun after the reset."""

    exit_code = 75


class RequestRejected(FetchError):
    """OpenAlex refused the request (400/401/403): a bad filter, select or API key."""
