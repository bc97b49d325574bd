"""The API key reaches the server and nothing else: no output, log record, exception or file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from biblio.cli import main
from biblio.dataset.selection import WorkFilter
from biblio.errors import FetchError
from fetchers.api import fetch_dataset
from fetchers.http import RetryPolicy
from tests.fetchers.conftest import fetch_argv
from tests.openalex_server import OpenAlexServer

SECRET = "SECRETKEY123"


def test_the_api_key_appears_nowhere(
    server: OpenAlexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs every URL at DEBUG
    cache = tmp_path / "cache"
    fetch = ["-v", *fetch_argv(server.url, cache)]
    errors: list[str] = []

    # A bad key, after some progress was saved: exit 1, one line quoting the server.
    server.add_fault("reject", status=401, message="API key not found", skip=12, times=-1)
    assert main([*fetch, "--api-key", SECRET]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err
    assert "API key not found" in err

    # 5xx and timeouts until giving up (quick retries), the key given to the library.
    server.reset()
    server.add_fault("error", status=500, times=3)
    server.add_fault("stall", seconds=1.0, times=-1)
    retry = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.02, read_timeout=0.2)
    with pytest.raises(FetchError) as info:
        fetch_dataset(
            cache / "ai",
            filters=WorkFilter(years=(2015, 2024)),
            base_url=server.url,
            api_key=SECRET,
            rate=100,
            workers=2,
            progress=print,
            retry=retry,
        )
    errors.append(str(info.value))
    errors.append(repr(info.value))
    assert "ReadTimeout" in str(info.value)

    # The budget spent, then a finished fetch, with the key from the environment.
    server.reset()
    server.budget = 3
    monkeypatch.setenv("OPENALEX_API_KEY", SECRET)
    assert main(fetch) == 75
    server.budget = None
    server.reset()
    assert main(fetch) == 0
    assert (cache / "ai" / "manifest.json").exists()
    assert server.requests
    assert all(r.get("api_key") == SECRET for r in server.requests)

    out = capsys.readouterr()
    texts = [out.out, out.err, *errors, *(r.getMessage() for r in caplog.records)]
    assert any("api_key=***" in t for t in texts)  # urllib3's debug lines were scrubbed
    assert all(SECRET not in t for t in texts)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    assert all(SECRET.encode() not in p.read_bytes() for p in files)
