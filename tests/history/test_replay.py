"""Replay four years of real official-image re-pointings through the store.

tests/assets/official-images-tag-history.csv: 768 re-pointings of 23 Debian-based tags. Each row
with a build directory is a rebuild (a fresh digest) on the Debian suite the row names; `(absent)`
rows drop the tag from the library (still pullable, never rebuilt: the same digest is seen again).
`(suite alias: ...)` rows name no release, so their OS release is recorded as undetermined.
The data's README counts 31 moves to another Debian release; exactly those must be OS drift.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

import pytest

from driftwatch.history import HistoryStore
from driftwatch.models import DriftKind, Observation, OsRelease, PlatformImage
from driftwatch.reference import parse_reference
from tests.tag_history import expected_release_moves, history_rows

from .helpers import AMD, CODENAMES, INDEX, MANIFEST, digest

pytestmark = pytest.mark.slow  # replays three years of tag history

OS_KINDS = {DriftKind.OS_RELEASE, DriftKind.OS_POINT_RELEASE}


def _os(row: dict[str, str]) -> OsRelease:
    suite = row["codename_from_directory"]
    if suite.startswith("(suite alias"):
        return OsRelease("debian", None, None, source="replay", undetermined=suite.strip("()"))
    return OsRelease("debian", CODENAMES[suite], suite, source="replay")


def test_the_data_holds_the_31_moves_its_readme_describes() -> None:
    rows = history_rows()
    assert len(rows) == 768
    assert len({(r["image"], r["tag"]) for r in rows}) == 23
    moves = expected_release_moves(rows)
    assert len(moves) == 31
    assert Counter((old, new) for _, _, old, new in moves) == {
        ("buster", "bullseye"): 1,
        ("bullseye", "bookworm"): 15,
        ("bookworm", "trixie"): 15,
    }


def test_replay_raises_exactly_the_31_release_changes(db_url: str) -> None:
    if db_url.startswith("postgresql"):
        HistoryStore.upgrade(db_url)
    store = HistoryStore.open(db_url)
    run = store.start_run("manual")
    rows = history_rows()
    last: dict[str, Observation] = {}
    found: set[tuple[str, str, str, str]] = set()
    for number, row in enumerate(rows):
        ref = parse_reference(f"{row['image']}:{row['tag']}")
        when = row["oi_commit_date_utc"].replace("Z", "+00:00")
        moment = datetime.fromisoformat(when)
        if row["directory"] == "(absent)":
            observation = replace(last[ref.familiar], observed_at=moment)
        else:
            image = PlatformImage(AMD, digest(f"build {number}"), MANIFEST, os=_os(row))
            observation = Observation(ref, moment, digest(f"index {number}"), INDEX, (image,))
        drifts = store.record(run, observation)
        first = ref.familiar not in last
        last[ref.familiar] = observation
        for drift in drifts:
            if drift.kind is DriftKind.OS_RELEASE:
                assert drift.old and drift.old.os and drift.new and drift.new.os
                found.add(
                    (
                        ref.familiar,
                        row["oi_commit_date_utc"],
                        drift.old.os.codename or "",
                        drift.new.os.codename or "",
                    )
                )
            else:
                assert drift.kind not in OS_KINDS, (row, drift)
        kinds = [d.kind for d in drifts]
        if first or row["directory"] == "(absent)":
            assert kinds == [], row
        elif not any(k is DriftKind.OS_RELEASE for k in kinds):
            assert kinds == [DriftKind.DIGEST], row
    assert found == expected_release_moves(rows)
    assert len(found) == 31
    stored = store.events(kind=DriftKind.OS_RELEASE)
    assert len(stored) == 31
    assert store.events(kind=DriftKind.OS_POINT_RELEASE) == []
    assert store.observation_count() == sum(r["directory"] != "(absent)" for r in rows)
