"""The steady state in bulk: references seen again as last time, recorded in a few statements.

A nightly scan mostly sees what it saw the night before. Recorded one by one, each such reference
costs four statements (lock it, read its latest observation, move both `last_seen`); here the
references are locked and their latest observations read per IN-list chunk of 500, and the
`last_seen` updates go out as two executemany statements. Only a reference whose latest
observation has the same fingerprint and nothing left to learn (no platform of unknown OS that
this run knows) takes this path; everything else is recorded by `store._record` as before, in the
same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from driftwatch.history.convert import fingerprint, utc
from driftwatch.history.sql import in_chunks
from driftwatch.history.tables import OBS, REFS
from driftwatch.history.writes import TOUCH_OBS, TOUCH_REF, knows_any_os
from driftwatch.models import Observation

__all__ = ["record_unchanged"]


def record_unchanged(
    conn: Connection, run_id: int, observations: Sequence[Observation]
) -> set[int]:
    """Move `last_seen` of every reference seen exactly as last time; the indexes it recorded.

    A name observed twice in the batch (`nginx` and `nginx:latest`) is left to one-by-one
    recording, in order: a later sighting must not be written before an earlier one moved.
    """
    names = [str(o.reference) for o in observations]
    once = {name for name, count in Counter(names).items() if count == 1}
    latest = _latest_by_reference(conn, sorted(once))
    refs: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    done: set[int] = set()
    for index, observation in enumerate(observations):
        row = latest.get(names[index])
        if row is None or not _unchanged(row, observation):
            continue
        at = utc(observation.observed_at)
        if utc(row["ref_last_seen"]) < at:
            refs.append({"ref_id": row["reference_id"], "at": at})
        seen.append({"obs_id": row["id"], "run_id": run_id, "at": _later(row["last_seen"], at)})
        done.add(index)
    if refs:
        conn.execute(TOUCH_REF, refs)
    if seen:
        conn.execute(TOUCH_OBS, seen)
    return done


def _unchanged(row: dict[str, Any], observation: Observation) -> bool:
    """Same fingerprint, and no OS to learn for a platform stored as unknown."""
    if row["fingerprint"] != fingerprint(observation):
        return False
    return not row["os_unknown"] or not knows_any_os(observation)


def _later(stored: datetime, at: datetime) -> datetime:
    return max(utc(stored), at)


def _latest_by_reference(conn: Connection, canonicals: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each known reference's newest observation (with the reference's own `last_seen`), the
    references locked for this transaction (FOR UPDATE where the database can; the names come
    sorted, so two scans lock the references they share in the same order)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in in_chunks(canonicals):
        locked = (
            select(REFS.c.id, REFS.c.canonical, REFS.c.last_seen)
            .where(REFS.c.canonical.in_(chunk))
            .order_by(REFS.c.canonical)
            .with_for_update()
        )
        ids = {row.id: row for row in conn.execute(locked)}
        if not ids:
            continue
        newest = (
            select(func.max(OBS.c.id))
            .where(OBS.c.reference_id.in_(list(ids)))
            .group_by(OBS.c.reference_id)
        )
        for row in conn.execute(select(OBS).where(OBS.c.id.in_(newest))).mappings():
            ref = ids[row["reference_id"]]
            found[ref.canonical] = {**row, "ref_last_seen": ref.last_seen}
    return found
