"""Fuzzed options: ``--years``, ``--units``, ``--pairs`` and ``--groups`` files, through the CLI.

Whatever the text, ``biblio metrics`` either runs (exit 0, nothing on stderr) or refuses it
with exit 2 and one line: never an unexpected error, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from biblio.cli import _parser, main
from tests.contract import build_dataset
from tests.reliability.cases import Case, case, cases, uses

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@pytest.fixture(scope="module")
def micro(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset("micro", tmp_path_factory.mktemp("options"))


def _metrics(micro: Path, out: Path, *argv: str) -> tuple[int, str]:
    """``biblio metrics`` in this process: (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["metrics", str(micro), "--out", str(out), *argv])
        except SystemExit as exit_:  # argparse's usage errors
            code = int(exit_.code or 0)
    return code, err.getvalue()


def _ran(code: int, err: str) -> bool:
    """True when the run went through; else it must be one ``biblio: error:`` line, exit 2."""
    if code == 0:
        assert err == ""
        return True
    return False


YEARS = case(
    "options",
    "`--years` any text: `2024-2015`, `20x4`, `-5`, 5,000 digits, Unicode digits, spaces…",
    sees="usage: biblio …\n…\nbiblio…: error: argument --years: … is not a …",
    note="`--years=--` included, which argparse would let through unchecked",
    exit=2,
)


@cases(YEARS)
@settings(max_examples=150, deadline=None)
@given(value=st.one_of(text, st.from_regex(r"-?[0-9]{0,6}(-[0-9]{0,6})?", fullmatch=True)))
@example(value="2024-2015")
@example(value="9" * 5000)
@example(value="٢٠٢٤")
@example(value="--")
def test_years_parse_or_are_refused(case: Case, value: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(["metrics", "x", "--out", "o", f"--years={value}"])
        except SystemExit as exit_:
            case.check(int(exit_.code or 0), err.getvalue())
            return
    assert code == 2  # parsed, then no dataset x
    first, last = _parser().parse_args(["metrics", "x", "--out", "o", f"--years={value}"]).years
    assert 1800 <= first <= last


NO_WORKS = case(
    "options",
    "`--years` the dataset has no work in (`3000`, `1800-1801`)",
    sees="biblio: error: --years …: no works in those years (the dataset has 2019-2024)",
    exit=2,
)


@cases(NO_WORKS)
@FUZZ
@given(first=st.integers(1800, 5000), span=st.integers(0, 30))
@example(first=3000, span=0)
def test_years_run_or_say_there_is_nothing(
    case: Case, micro: Path, tmp_path: Path, first: int, span: int
) -> None:
    code, err = _metrics(micro, tmp_path / "out", "--years", f"{first}-{first + span}")
    if not _ran(code, err):
        case.check(code, err)
    else:
        assert first <= 2024
        assert first + span >= 2019


UNITS = case(
    "options",
    "`--units` any list: unknown codes, lower case, empty items, `+` unions, overlapping units",
    sees="biblio: error: …",
    exit=2,
    note="e.g. `unknown unit 'cn': use an ISO 3166-1 alpha-2 code …`",
)
NO_UNIT = case(
    "options",
    "`--units` with no unit in it (`,`, spaces)",
    sees="usage: biblio metrics …\n…\nbiblio metrics: error: argument --units: --units needs at "
    "least one unit, e.g. CN,US,EU27",
    exit=2,
)
unit = st.one_of(
    st.sampled_from(["CN", "US", "GB", "EU27", "EU", "AFRICA", "cn", "XX", "TW", "CN+US", "US+"]),
    text,
)


@cases(UNITS)
@uses(NO_UNIT)
@FUZZ
@given(units=st.lists(unit, min_size=1, max_size=4))
@example(units=["cn"])
@example(units=[" ", ""])
def test_units_run_or_are_refused(
    case: Case, micro: Path, tmp_path: Path, units: list[str]
) -> None:
    code, err = _metrics(micro, tmp_path / "out", f"--units={','.join(units)}")
    if not _ran(code, err):
        (NO_UNIT if err.startswith("usage:") else case).check(code, err)


PAIRS = case(
    "options",
    "`--pairs` any text: `CN`, `CN:`, `:US`, `CN:XX`, `CN:CN`…",
    sees="biblio: error: …",
    exit=2,
)
NOT_A_PAIR = case(
    "options",
    "`--pairs` with an item that is not `SOURCE:PARTNER`",
    sees="usage: biblio metrics …\n…\nbiblio metrics: error: argument --pairs: … is not "
    "SOURCE:PARTNER, e.g. US:CN",
    exit=2,
)


@cases(PAIRS)
@uses(NOT_A_PAIR)
@FUZZ
@given(pairs=st.lists(st.tuples(unit, unit), max_size=3), extra=text)
@example(pairs=[("CN", "XX")], extra="")
@example(pairs=[], extra="CN")
def test_pairs_run_or_are_refused(
    case: Case, micro: Path, tmp_path: Path, pairs: list[tuple[str, str]], extra: str
) -> None:
    value = ",".join(f"{a}:{b}" for a, b in pairs) + (f",{extra}" if extra else "")
    code, err = _metrics(micro, tmp_path / "out", f"--pairs={value}")
    if not _ran(code, err):
        (NOT_A_PAIR if err.startswith("usage:") else case).check(code, err)


def _toml(value: Any) -> str:
    """A TOML value: strings and keys as JSON strings (TOML's basic strings), tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


code_ = st.sampled_from(["CN", "US", "GB", "FR", "DE", "XX", "cn", ""]) | text
years_ = st.lists(st.integers(1900, 2100) | st.booleans() | text | st.floats(-1e6, 1e6), max_size=3)
members_ = st.one_of(
    st.lists(code_ | st.integers(), max_size=5),
    st.dictionaries(code_, years_, max_size=4),
    text,
    st.integers(),
)
group_ = st.fixed_dictionaries({}, optional={"members": members_, "name": text | st.integers()})
name_ = st.sampled_from(["MINE", "EU27", "A+B", "unknown", "CN", ""]) | text
document_ = st.fixed_dictionaries(
    {}, optional={"groups": st.dictionaries(name_, group_, max_size=3) | text | st.integers()}
)

GROUPS = case(
    "options",
    "`--groups FILE.toml` with any content: not TOML, no `[groups]`, `members` of the wrong "
    "type, years that are text or booleans, names with `+`…",
    sees="biblio: error: --groups …",
    exit=2,
)
GROUPS_RULES = case(
    "options",
    "`--groups` that is TOML of the right shape but whose groups overlap, or whose units the "
    "metrics then refuse",
    sees="biblio: error: …",
    exit=2,
)


@cases(GROUPS)
@uses(GROUPS_RULES)
@FUZZ
@given(document=document_, garbage=st.one_of(st.none(), text))
@example(
    document={"groups": {"MINE": {"members": ["CN"]}, "CN": {"members": ["CN"]}}}, garbage=None
)
@example(document={"groups": {"MINE": {"members": {"CN": ["2020"]}}}}, garbage=None)
@example(document={"groups": {"MINE": {"members": {"CN": [True]}}}}, garbage=None)
@example(document={"groups": {"MINE": {"members": {"CN": ["abc"]}}}}, garbage=None)
@example(document={}, garbage="[groups\nnot toml")
@example(document={"groups": {"MINE": {"members": {"CN": [2020.5]}}}}, garbage=None)
@example(document={"groups": {"MINE": {"members": {"CN": [[2020]]}}}}, garbage=None)
@example(document={"groups": {"MINE": {"members": [1, 2]}}}, garbage=None)
def test_groups_files_run_or_are_refused(
    case: Case, micro: Path, tmp_path: Path, document: dict[str, Any], garbage: str | None
) -> None:
    path = tmp_path / "groups.toml"
    body = (
        garbage
        if garbage is not None
        else "\n".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in document.items())
    )
    path.write_text(body, encoding="utf-8")
    groups = document.get("groups")
    names = [n for n in groups if n.strip()][:2] if isinstance(groups, dict) else []
    units = ["--units", ",".join(names)] if names and garbage is None else []
    code, err = _metrics(micro, tmp_path / "out", "--groups", str(path), *units)
    if not _ran(code, err):
        (case if err.startswith("biblio: error: --groups") else GROUPS_RULES).check(code, err)
