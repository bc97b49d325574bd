"""Verified reads: every data file of a dataset checked against its manifest's SHA-256.

:func:`verify_files` hashes each file (streamed) and compares it with the digest the manifest
recorded when the dataset was written. A file that differs, is missing, or is not listed raises
:class:`~biblio.errors.DatasetChanged` naming it, before any table is read.

Hashing a large dataset on every open would cost seconds, so a file already verified is
remembered in ``.verified.json`` inside the dataset folder: its identity on disk (size,
``mtime_ns``, ``ctime_ns``, inode, device) and the digest it had. A later open trusts that digest
only while the identity is unchanged. The cache cannot hide a change:

- any write to a file, and any ``touch`` or ``utime`` that resets its mtime, moves its
  ``ctime``, which no user can set back; a replaced file has another inode;
- a file is remembered only when its timestamps are at least :data:`SETTLE_NS` older than the
  moment hashing began, so a write that lands in the same timestamp tick as the one hashed (file
  systems store times in ticks of up to 2 s) cannot leave the identity unchanged;
- the remembered digest must still be the manifest's, so an edited manifest is hashed again;
- a cache that is unreadable, of another version or not JSON is ignored, and one that cannot be
  written (a read-only dataset) is skipped: both only cost a full hash.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "works.arrow").write_bytes(b"rows")
>>> listed = {"works.arrow": hashlib.sha256(b"rows").hexdigest()}
>>> verify_files(folder, listed, on_disk=["works.arrow"])
>>> _ = (folder / "works.arrow").write_bytes(b"ROWS")
>>> verify_files(folder, listed, on_disk=["works.arrow"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
biblio.errors.DatasetChanged: .../works.arrow: changed since it was written (its SHA-256 is ...
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from biblio.errors import DatasetChanged

__all__ = ["SETTLE_NS", "VERIFIED", "verify_files"]

log = logging.getLogger(__name__)

#: The cache of verified files, inside the dataset folder (hidden: not a data file).
VERIFIED = ".verified.json"
#: A file is remembered only when its timestamps are this much older than its hashing.
SETTLE_NS = 2_000_000_000
_VERSION = 1
_REBUILD = "rebuild the dataset (`biblio fetch` or `biblio ingest` with --refresh)"


def _identity(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def _load(folder: Path) -> dict[str, Any]:
    try:
        saved = json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or saved.get("version") != _VERSION:
        return {}
    files = saved.get("files")
    return files if isinstance(files, dict) else {}


def _save(folder: Path, files: Mapping[str, Any]) -> None:
    text = json.dumps({"version": _VERSION, "files": files}, indent=1, sort_keys=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{VERIFIED}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            Path(tmp).replace(folder / VERIFIED)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:  # a read-only dataset: verified again next time, nothing lost
        log.debug("%s: cannot remember the verified files (%s)", folder, exc)


def _hash(path: Path, settle_ns: int) -> tuple[str, list[int] | None]:
    """The file's SHA-256 and, when it may be remembered, its identity on disk."""
    started = time.time_ns()
    with path.open("rb") as fh:
        before = os.fstat(fh.fileno())
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        after = os.fstat(fh.fileno())
    identity = _identity(after)
    settled = max(after.st_mtime_ns, after.st_ctime_ns) < started - settle_ns
    return digest, identity if settled and _identity(before) == identity else None


def verify_files(
    folder: Path,
    listed: Mapping[str, str],
    *,
    on_disk: Collection[str],
    settle_ns: int = SETTLE_NS,
) -> None:
    """Check that the data files ``on_disk`` are exactly those ``listed``, with those digests.

    Parameters
    ----------
    folder
        The dataset folder; ``listed`` and ``on_disk`` hold paths relative to it.
    listed
        The manifest's ``sha256``: relative path → hex SHA-256.
    on_disk
        The data files found in ``folder``.
    settle_ns
        How much older than its hashing a file must be to be remembered (tests use 0).

    Raises
    ------
    DatasetChanged
        Naming the first file that is missing, not listed, or whose digest differs.
    """
    missing = sorted(set(listed) - set(on_disk))
    if missing:
        raise DatasetChanged(
            f"{folder / missing[0]}: missing, but the manifest lists it; the dataset changed "
            f"since it was written; {_REBUILD}"
        )
    extra = sorted(set(on_disk) - set(listed))
    if extra:
        raise DatasetChanged(
            f"{folder / extra[0]}: not in the manifest; it was added since the dataset was "
            f"written: remove it or {_REBUILD}"
        )
    cache = _load(folder)
    remembered: dict[str, Any] = {}
    to_hash = []
    for name in sorted(listed):
        entry = cache.get(name)
        if isinstance(entry, dict) and entry.get("sha256") == listed[name]:
            try:
                if entry.get("identity") == _identity((folder / name).stat()):
                    remembered[name] = entry
                    continue
            except OSError:
                pass
        to_hash.append(name)
    # One file a thread: hashlib lets go of the GIL, so the files are hashed on every core.
    workers = max(1, min(len(to_hash), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hashed = list(pool.map(lambda name: _try_hash(folder / name, settle_ns), to_hash))
    for name, (digest, identity) in zip(to_hash, hashed, strict=True):
        path = folder / name
        if isinstance(digest, OSError):
            raise DatasetChanged(f"{path}: unreadable ({digest.strerror}); {_REBUILD}") from digest
        if digest != listed[name]:
            raise DatasetChanged(
                f"{path}: changed since it was written (its SHA-256 is {digest[:12]}…, the "
                f"manifest's {str(listed[name])[:12]}…); {_REBUILD}"
            )
        if identity is not None:
            remembered[name] = {"identity": identity, "sha256": digest}
    if remembered != cache:
        _save(folder, remembered)


def _try_hash(path: Path, settle_ns: int) -> tuple[str | OSError, list[int] | None]:
    try:
        return _hash(path, settle_ns)
    except OSError as exc:
        return exc, None
