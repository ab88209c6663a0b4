"""The write side of the store: lock a reference, add an observation, move last_seen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, Table, bindparam, select, update

from driftwatch.drift import platform_key
from driftwatch.history.convert import fingerprint, platform_values, utc
from driftwatch.history.sql import insert_ignore
from driftwatch.history.tables import ObservationPlatformRow, ObservationRow, ReferenceRow, table
from driftwatch.models import Observation
from driftwatch.reference import ImageReference

__all__ = ["insert_observation", "lock_reference", "new_id", "seen_again"]

REFS: Table = table(ReferenceRow)
OBS: Table = table(ObservationRow)
PLATFORMS: Table = table(ObservationPlatformRow)
# Built once: the unchanged-reference path runs these for every reference of every scan.
_LOCK = (
    select(REFS.c.id, REFS.c.last_seen)
    .where(REFS.c.canonical == bindparam("canonical"))
    .with_for_update()
)
_TOUCH_REF = update(REFS).where(REFS.c.id == bindparam("ref_id")).values(last_seen=bindparam("at"))
_TOUCH_OBS = (
    update(OBS)
    .where(OBS.c.id == bindparam("obs_id"))
    .values(last_run_id=bindparam("run_id"), last_seen=bindparam("at"))
)


def new_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def lock_reference(conn: Connection, reference: ImageReference, at: datetime) -> int:
    """The reference's row id, created if needed and locked (FOR UPDATE) for this transaction."""
    params = {"canonical": str(reference)}
    row = conn.execute(_LOCK, params).first()
    if row is None:
        values = {
            "canonical": str(reference),
            "registry_host": reference.registry,
            "repository": reference.repository,
            "tag": reference.tag,
            "first_seen": at,
            "last_seen": at,
        }
        conn.execute(insert_ignore(conn, REFS, values))  # a concurrent run may have won
        row = conn.execute(_LOCK, params).one()
    if utc(row.last_seen) < at:
        conn.execute(_TOUCH_REF, {"ref_id": row.id, "at": at})
    return int(row.id)


def seen_again(conn: Connection, latest: Any, run_id: int, at: datetime) -> None:
    """The same state seen again: move last_seen forward instead of adding a row."""
    last_seen = max(utc(latest["last_seen"]), at)
    conn.execute(_TOUCH_OBS, {"obs_id": latest["id"], "run_id": run_id, "at": last_seen})


def insert_observation(
    conn: Connection, ref_id: int, run_id: int, observation: Observation, at: datetime
) -> int:
    """Insert an observation and its platforms; return its id."""
    values = {
        "reference_id": ref_id,
        "first_run_id": run_id,
        "last_run_id": run_id,
        "digest": observation.digest,
        "media_type": observation.media_type,
        "fingerprint": fingerprint(observation),
        "first_seen": at,
        "last_seen": at,
    }
    obs_id = new_id(conn.execute(OBS.insert().values(values)))
    rows = [
        {"observation_id": obs_id, **platform_values(image, platform_key(image))}
        for image in observation.platforms
    ]
    if rows:
        conn.execute(PLATFORMS.insert(), rows)
    return obs_id
