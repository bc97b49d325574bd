"""Dataset names are plain names: anything else is refused before any file is touched."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from biblio.errors import UsageError
from biblio.io import check_name
from tests.reliability.cases import Case, case, cases
from tests.reliability.conftest import Run

PLAIN = (
    "use a plain name of letters, digits, '.', '_' and '-' (not starting with '.', at most 200 "
    "characters), e.g. ai-2024"
)


def _refused(name: str, what: str | None = None) -> Case:
    quoted = shlex.quote(name)
    return case(
        "names",
        what or f"`biblio fetch --name {quoted}`",
        sees=f"biblio: error: dataset name {'…' if what else repr(name)}: {PLAIN}",
        exit=2,
        note="nothing is created, not even the cache folder",
    )


BAD_NAMES = {
    _refused("../../etc/evil"): "../../etc/evil",
    _refused("/tmp/abs"): "/tmp/abs",
    _refused("a/b"): "a/b",
    _refused(".hidden"): ".hidden",
    _refused(".."): "..",
    _refused(""): "",
    _refused("two words"): "two words",
    _refused("données"): "données",
    _refused("x" * 201, "`biblio fetch --name xxxx…` (201 characters)"): "x" * 201,
}


@cases(*BAD_NAMES)
def test_fetch_refuses_a_name_that_is_not_plain(
    case: Case, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    cache = tmp_path / "deep" / "cache"
    run = cli(
        "fetch", "--name", BAD_NAMES[case], "--cache", cache, "--base-url", "http://x.invalid"
    )
    case.check(run.code, run.err)
    assert list(tmp_path.iterdir()) == []


INGEST = case(
    "names",
    "`biblio ingest SNAPSHOT --name ../x` (the snapshot folder does not even exist)",
    sees=f"biblio: error: dataset name '../x': {PLAIN}",
    exit=2,
    note="refused before the snapshot is looked at",
)


@cases(INGEST)
def test_ingest_refuses_a_path_as_name(case: Case, tmp_path: Path, cli: Callable[..., Run]) -> None:
    run = cli("ingest", tmp_path / "nothing", "--name", "../x", "--cache", tmp_path / "cache")
    case.check(run.code, run.err)
    assert list(tmp_path.iterdir()) == []


NOT_A_FOLDER = case(
    "names",
    "`biblio metrics ../nowhere` (neither a folder nor a plain name)",
    sees="biblio: error: dataset '../nowhere': no such folder, and not a plain name (letters, "
    "digits, '.', '_', '-') of a dataset under --cache",
    exit=2,
)


@cases(NOT_A_FOLDER)
def test_metrics_refuses_a_dataset_that_is_neither(
    case: Case, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    run = cli("--cache", tmp_path / "cache", "metrics", "../nowhere", "--out", tmp_path / "out")
    case.check(run.code, run.err)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=210), st.from_regex(r"[A-Za-z0-9._-]{1,205}", fullmatch=True)))
def test_an_accepted_name_is_a_folder_right_under_the_cache(name: str) -> None:
    cache = Path("/srv/cache")
    try:
        check_name(name)
    except UsageError as exc:
        refused = str(exc)
    else:
        refused = ""
    if refused:
        assert refused.startswith(f"dataset name {name!r}: use a plain name")
        return
    assert (cache / name).parent == cache
    assert (cache / name).name == name
    assert not name.startswith(".")
    assert len(name) <= 200
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
