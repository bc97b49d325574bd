"""The exceptions biblio raises, one small tree.

::

    BiblioError                 anything biblio refuses to do; the CLI prints it on one line
    ├── UsageError              a bad option or unit (exit 2)
    ├── InputError              a missing dataset, an unreadable or malformed file (exit 2)
    │   └── SchemaError         a table whose columns or types differ from biblio.schema
    └── FetchError              the server keeps failing or refuses the request (exit 1)
        ├── BudgetExhausted     the daily API budget is spent; progress is kept, rerun later
        │                       (exit 75: stopped for now, resumable)
        └── RequestRejected     400/401/403: a bad filter or a bad key; never retried

Every message says what is wrong and what to do next.

Examples
--------
>>> issubclass(SchemaError, InputError) and issubclass(BudgetExhausted, FetchError)
True
>>> UsageError("unknown unit 'XX'").exit_code
2
>>> BudgetExhausted("the daily budget is spent").exit_code  # EX_TEMPFAIL: rerun later
75
"""

from __future__ import annotations

__all__ = [
    "BiblioError",
    "BudgetExhausted",
    "FetchError",
    "InputError",
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


class FetchError(BiblioError):
    """The server kept failing after the bounded retries; progress so far is kept."""

    exit_code = 1


class BudgetExhausted(FetchError):
    """OpenAlex answered 429 because the daily budget is spent; rerun after the reset."""

    exit_code = 75


class RequestRejected(FetchError):
    """OpenAlex refused the request (400/401/403): a bad filter, select or API key."""
