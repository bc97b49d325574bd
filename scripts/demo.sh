#!/usr/bin/env bash
# The main job on the bundled demo dataset, from a fresh machine: install, then report 2024.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e .
biblio report demo --year 2024 --out reports/2024
