"""OpenAlex snapshot files → a dataset: what ``biblio ingest`` runs.

::

    layout    which layout a folder holds (2026: parquet/ and jsonl/ with one manifest.json
              each; legacy: works/ with its manifest) and the parts its manifests list
    jsonl     a JSON Lines part: gunzip, blocks of whole lines, the pre-filter, the normaliser
    parquet   a Parquet part: column-projected record batches conformed to the raw schema
    merged    merged ids: works left out, institutions remapped to their survivor
    prefetch  one step of read-ahead on a thread of its own
    ingest    the run: plan, parts on threads, resume markers, finish (ingest_snapshot)
    write     writing snapshot folders in either layout (tests, benchmarks, subsets)
"""

from fetchers.snapshot.ingest import BLOCK_BYTES, FLUSH_ROWS, ingest_snapshot
from fetchers.snapshot.jsonl import prefilter_block
from fetchers.snapshot.layout import ENTITIES, SnapshotLayout, SnapshotPart, find_layout, plan_parts
from fetchers.snapshot.write import write_entity, write_manifest, write_snapshot

__all__ = [
    "BLOCK_BYTES",
    "ENTITIES",
    "FLUSH_ROWS",
    "SnapshotLayout",
    "SnapshotPart",
    "find_layout",
    "ingest_snapshot",
    "plan_parts",
    "prefilter_block",
    "write_entity",
    "write_manifest",
    "write_snapshot",
]
