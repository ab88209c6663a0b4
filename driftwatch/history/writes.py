"""The write side of the store: lock a reference, add an observation, move last_seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, RowMapping, bindparam, func, select, update

from driftwatch.drift import os_change, platform_key
from driftwatch.history.convert import (
    drift_values,
    fingerprint,
    os_from_row,
    os_values,
    platform_values,
    stored_drift_parts,
    utc,
)
from driftwatch.history.sql import insert_ignore
from driftwatch.history.tables import (
    EVENTS,
    OBS,
    OS_CACHE,
    PLATFORMS,
    REFS,
)
from driftwatch.models import Drift, DriftKind, Observation, PlatformImage
from driftwatch.reference import ImageReference

__all__ = [
    "TOUCH_OBS",
    "TOUCH_REF",
    "catch_up",
    "fill_from_cache",
    "insert_observation",
    "knows_any_os",
    "learn_os",
    "lock_reference",
    "new_id",
    "seen_again",
]

_CACHED = select(OS_CACHE).where(OS_CACHE.c.digest == bindparam("digest"))
# Built once: the unchanged-reference path runs these for every reference of every scan.
_LOCK = (
    select(REFS.c.id, REFS.c.last_seen)
    .where(REFS.c.canonical == bindparam("canonical"))
    .with_for_update()
)
TOUCH_REF = update(REFS).where(REFS.c.id == bindparam("ref_id")).values(last_seen=bindparam("at"))
TOUCH_OBS = (
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
        conn.execute(TOUCH_REF, {"ref_id": row.id, "at": at})
    return int(row.id)


def seen_again(conn: Connection, latest: Any, run_id: int, at: datetime) -> None:
    """The same state seen again: move last_seen forward instead of adding a row."""
    last_seen = max(utc(latest["last_seen"]), at)
    conn.execute(TOUCH_OBS, {"obs_id": latest["id"], "run_id": run_id, "at": last_seen})


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
        "os_unknown": sum(not _known(image) for image in observation.platforms),
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


def knows_any_os(observation: Observation) -> bool:
    """Whether any platform of `observation` has an established OS release."""
    return any(_known(image) for image in observation.platforms)


def _known(image: PlatformImage) -> bool:
    return image.os is not None and image.os.known


def fill_from_cache(conn: Connection, observation: Observation | None) -> Observation | None:
    """Platforms with an unknown OS get the one the OS cache holds for their digest."""
    if observation is None or all(_known(image) for image in observation.platforms):
        return observation
    platforms = []
    for image in observation.platforms:
        row = None if _known(image) else conn.execute(_CACHED, {"digest": image.digest}).first()
        cached = None if row is None else os_from_row(row._mapping)
        platforms.append(replace(image, os=cached) if cached and cached.known else image)
    return replace(observation, platforms=tuple(platforms))


def learn_os(conn: Connection, latest: RowMapping, observation: Observation) -> list[PlatformImage]:
    """The same state seen again with OS releases that were unknown before: store them.

    Returns the images whose OS was learned now (for `catch_up`).
    """
    if not latest["os_unknown"] or not knows_any_os(observation):
        return []
    unknown = select(PLATFORMS.c.platform).where(
        PLATFORMS.c.observation_id == latest["id"], PLATFORMS.c.os_id.is_(None)
    )
    keys = set(conn.execute(unknown).scalars())
    learned = [i for i in observation.platforms if _known(i) and platform_key(i) in keys]
    for image in learned:
        if _known(image):
            conn.execute(
                update(PLATFORMS)
                .where(
                    PLATFORMS.c.observation_id == latest["id"],
                    PLATFORMS.c.platform == platform_key(image),
                    PLATFORMS.c.os_id.is_(None),
                )
                .values(os_values(image.os))
            )
    unknown_count = select(func.count()).where(
        PLATFORMS.c.observation_id == latest["id"], PLATFORMS.c.os_id.is_(None)
    )
    count = conn.execute(unknown_count).scalar_one()
    conn.execute(update(OBS).where(OBS.c.id == latest["id"]).values(os_unknown=count))
    return learned


def catch_up(
    conn: Connection,
    run_id: int,
    latest: RowMapping,
    learned: Sequence[PlatformImage],
    at: datetime,
) -> tuple[Drift, ...]:
    """Release moves that hid behind a `digest` event recorded while the new OS was unknown.

    Once the OS of such a platform is learned, the move is recorded (and alerted) then, once:
    the event is unique per (new observation, kind, platform).
    """
    by_key = {platform_key(image): image for image in learned}
    if not by_key:
        return ()
    query = (
        select(EVENTS, REFS.c.canonical)
        .join(REFS, REFS.c.id == EVENTS.c.reference_id)
        .where(
            EVENTS.c.new_observation_id == latest["id"],
            EVENTS.c.kind == DriftKind.DIGEST.value,
            EVENTS.c.platform.in_(sorted(by_key)),
        )
    )
    found: list[Drift] = []
    for row in conn.execute(query).mappings().all():
        digest_event = stored_drift_parts(row)
        old, new = digest_event.old, by_key[row["platform"]]
        if old is None or old.os is None or old.os.unsettled is not None:
            continue
        kind = os_change(old.os, new.os)
        if kind is None:
            continue
        drift = Drift(kind, digest_event.reference, row["platform"], old, new, at)
        values = drift_values(drift)
        values.update(
            reference_id=row["reference_id"],
            run_id=run_id,
            new_observation_id=latest["id"],
            old_observation_id=row["old_observation_id"],
        )
        if conn.execute(insert_ignore(conn, EVENTS, values)).rowcount:
            found.append(drift)
    return tuple(found)
