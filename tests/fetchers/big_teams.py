"""A corpus with big-team works: c400 plus AI works of 100 to 400 authorships.

OpenAlex's list endpoint cuts author lists at 100; the snapshot and ``/works/W…`` do not. Some
authorships beyond the 100th name institutions (and a country, ``IS``) that no earlier
authorship names, so a fetch that kept the cut lists would miss them.
"""

from __future__ import annotations

import random
from typing import Any

Records = list[dict[str, Any]]
OA = "https://openalex.org/"
#: Authorships of the big-team works: one exactly at the cut (not cut, fetched whole anyway).
SIZES = (101, 150, 250, 400, 100, 333)
#: The country named only beyond the 100th authorship.
FAR_COUNTRY = "IS"


def _institution(i: int) -> dict[str, Any]:
    iid = f"I88000{i:03d}"
    return {
        "id": OA + iid,
        "ror": f"https://ror.org/088{i:06d}",
        "display_name": f"Far Institute {i}",
        "country_code": FAR_COUNTRY,
        "type": "facility",
        "lineage": [OA + iid],
    }


def _authorship(k: int, i: int, size: int, inst: dict[str, Any]) -> dict[str, Any]:
    position = "first" if i == 0 else "last" if i == size - 1 else "middle"
    return {
        "author_position": position,
        "author": {"id": f"{OA}A77{k:02d}{i:04d}", "display_name": f"Author {k}.{i}"},
        "institutions": [
            {
                "id": inst["id"],
                "display_name": inst["display_name"],
                "ror": inst.get("ror"),
                "country_code": inst.get("country_code"),
                "type": inst.get("type"),
                "lineage": inst.get("lineage"),
            }
        ],
        "countries": [inst["country_code"]] if inst.get("country_code") else [],
        "is_corresponding": i == 0,
        "raw_author_name": f"Author {k}.{i}",
        "raw_affiliation_strings": [inst["display_name"]],
    }


def big_team_corpus(
    works: Records, institutions: Records, *, seed: int = 5
) -> tuple[Records, Records]:
    """``works`` and ``institutions`` plus big-team AI works and the institutions only they name.

    The big-team works copy the other fields of c400 AI works (years 2015–2024) under new ids.
    """
    rng = random.Random(seed)
    far = [_institution(i) for i in range(3)]
    known = [r for r in institutions if r.get("country_code")]
    ai = [
        w
        for w in works
        if "subfields/1702" in str(w.get("primary_topic"))
        and 2015 <= int(w.get("publication_year") or 0) <= 2024
    ]
    big = []
    for k, size in enumerate(SIZES):
        template = ai[(k * 37) % len(ai)]
        authorships = []
        for i in range(size):
            inst = far[i % len(far)] if i >= 100 and i % 40 == 0 else rng.choice(known)
            authorships.append(_authorship(k, i, size, inst))
        big.append(
            {
                **template,
                "id": f"{OA}W99{k:06d}",
                "doi": f"https://doi.org/10.9999/big.{k}",
                "title": f"A big team, {size} authorships",
                "authorships": authorships,
            }
        )
    return [*works, *big], [*institutions, *far]


def big_team_ids(works: Records) -> list[str]:
    """Short ids of the works with at least 100 authorships (refetched whole by a fetch)."""
    return [w["id"].rsplit("/", 1)[-1] for w in works if len(w.get("authorships") or []) >= 100]
