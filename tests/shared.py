"""Where the shared specs folder is: the contract corpora and real OpenAlex samples.

CI clones the repo with ``shared/`` beside it. A clone elsewhere (``git clone . /tmp/x``) finds
it beside the clone's origin; ``BIBLIO_SHARED`` overrides both. A missing folder is an error,
not a reason to skip: these corpora are what the contract is checked on.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _origin() -> Path | None:
    try:
        url = subprocess.run(
            ["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    return Path(url) if url and Path(url).is_dir() else None


def _find() -> Path:
    candidates = [Path(p) for p in [os.environ.get("BIBLIO_SHARED")] if p]
    candidates.append(REPO.parent / "shared")
    origin = _origin()
    if origin is not None:
        candidates.append(origin.resolve().parent / "shared")
    for candidate in candidates:
        if (candidate / "contract-examples").is_dir():
            return candidate
    raise RuntimeError(
        "the shared specs folder (contract-examples, openalex-samples) was not found beside the "
        f"repo; looked in {', '.join(map(str, candidates))}. Set BIBLIO_SHARED to its path."
    )


SHARED = _find()
CONTRACT_EXAMPLES = SHARED / "contract-examples"
OPENALEX_SAMPLES = SHARED / "openalex-samples"
