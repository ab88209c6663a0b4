"""A history store filled by replaying the real official-images tag history straight through it.

Each row with a build directory is a rebuild (a fresh digest) on the Debian suite it names;
`(absent)` rows see the same digest again; `(suite alias: ...)` rows record an undetermined OS,
as tests/history/test_replay.py does. No registry: the report reads only the store.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from driftwatch.history import HistoryStore
from driftwatch.models import Observation, OsRelease, PlatformImage
from driftwatch.reference import parse_reference
from tests.history.helpers import AMD, CODENAMES, INDEX, MANIFEST, digest
from tests.tag_history import history_rows


def row_os(row: dict[str, str]) -> OsRelease:
    """The OS release a row's build directory names (undetermined for suite aliases)."""
    suite = row["codename_from_directory"]
    if suite.startswith("(suite alias"):
        return OsRelease("debian", None, None, source="replay", undetermined=suite.strip("()"))
    return OsRelease("debian", CODENAMES[suite], suite, source="replay")


def replay(store: HistoryStore) -> None:
    """Record every re-pointing of the CSV in time order (one run, one observation per row)."""
    run = store.start_run("manual")
    last: dict[str, Observation] = {}
    for number, row in enumerate(history_rows()):
        ref = parse_reference(f"{row['image']}:{row['tag']}")
        moment = datetime.fromisoformat(row["oi_commit_date_utc"].replace("Z", "+00:00"))
        if row["directory"] == "(absent)":
            observation = replace(last[ref.familiar], observed_at=moment)
        else:
            image = PlatformImage(AMD, digest(f"build {number}"), MANIFEST, os=row_os(row))
            observation = Observation(ref, moment, digest(f"index {number}"), INDEX, (image,))
        store.record(run, observation)
        last[ref.familiar] = observation
    store.finish_run(run, checked=len(last), drifts=0, errors=0)
