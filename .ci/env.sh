# shellcheck shell=bash
# The Python that scripts/demo.sh and .ci/run install biblio into, in $PY (sourced by both).
#
# Inside a virtual environment or an active conda env: that environment, as is. Otherwise the
# project's own .venv (git-ignored), created on first use: a distribution's Python refuses
# `pip install` outside one (PEP 668, "externally-managed-environment"). $PYTHON names the Python
# to start from (default: python3). Run from the repository root; the .venv's bin/ goes first on
# PATH, so the `biblio` command and the tests' subprocesses use it.

_biblio_say() { echo "${0##*/}: $*" >&2; }

_biblio_new_enough() {  # $1: a Python; true if 3.11 or newer, else one line on stderr
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' && return 0
    _biblio_say "$("$1" -V 2>&1) ($1) is too old: biblio needs Python 3.11 or newer;" \
        "set PYTHON=/path/to/python3.11"
    return 1
}

_biblio_activate() {  # what .venv/bin/activate does, for this script: its commands come first
    export VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH"
    PY="$PWD/.venv/bin/python"
}

# PY := the active environment's Python, else .venv/bin/python. Returns 2 if there is neither.
find_project_python() {
    local base="${PYTHON:-python3}"
    if command -v "$base" >/dev/null 2>&1 && "$base" -c 'import os, sys
conda = os.environ.get("CONDA_PREFIX")
in_conda = bool(conda) and os.path.realpath(conda) == os.path.realpath(sys.prefix)
sys.exit(not (sys.prefix != sys.base_prefix or in_conda))' 2>/dev/null; then
        PY="$base"
    elif [ -x .venv/bin/python ]; then
        _biblio_activate
    else
        return 2
    fi
    _biblio_new_enough "$PY"
}

# PY := find_project_python, else a new .venv made by $PYTHON; one line on stderr if impossible.
use_project_python() {
    local base="${PYTHON:-python3}" status=0
    find_project_python || status=$?
    [ "$status" -eq 2 ] || return "$status"
    if ! command -v "$base" >/dev/null 2>&1; then
        _biblio_say "$base not found: install Python 3.11 or newer, or set PYTHON=/path/to/python3"
        return 1
    fi
    _biblio_new_enough "$base" || return 1
    if ! "$base" -c 'import ensurepip, venv' 2>/dev/null; then
        _biblio_say "$base cannot create a virtual environment: install its venv module" \
            "(e.g. apt install python3-venv) or activate an environment, then rerun"
        return 1
    fi
    _biblio_say "creating .venv with $("$base" -V 2>&1) ($(command -v "$base"))"
    "$base" -m venv .venv
    _biblio_activate
}
