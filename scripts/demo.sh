#!/usr/bin/env bash
# The main job on the bundled demo dataset, from a fresh machine: install, then report 2024.
# Installs into the active virtual environment (or conda env), else into the project's .venv
# (.ci/env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/env.sh
use_project_python
"$PY" -m pip install --quiet --disable-pip-version-check -e .
"$PY" -m biblio report demo --year 2024 --out reports/2024
