"""Read-side queries of the history store: latest observation, timeline, events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select

from driftwatch.history.convert import (
    aliases_from_row,
    os_from_row,
    platform_image,
    stored_drift_parts,
    utc,
)
from driftwatch.history.records import StoredDrift, TimelineEntry
from driftwatch.history.sql import in_chunks
from driftwatch.history.tables import (
    EVENTS,
    OBS,
    PLATFORMS,
    REFS,
)
from driftwatch.models import DriftKind, Observation, OsRelease, Platform
from driftwatch.reference import ImageReference

__all__ = [
    "events",
    "LatestFacts",
    "latest_digests",
    "latest_facts",
    "latest_row",
    "observation",
    "reference_id",
    "timeline",
]

_LATEST = (
    select(OBS).where(OBS.c.reference_id == bindparam("ref_id")).order_by(OBS.c.id.desc()).limit(1)
)


def reference_id(conn: Connection, reference: ImageReference) -> int | None:
    """The row id of a watched reference, None when never seen."""
    query = select(REFS.c.id).where(REFS.c.canonical == str(reference))
    value = conn.execute(query).scalar()
    return None if value is None else int(value)


def latest_row(conn: Connection, ref_id: int) -> RowMapping | None:
    """The newest observation row of a reference."""
    row = conn.execute(_LATEST, {"ref_id": ref_id}).first()
    return None if row is None else row._mapping


@dataclass(frozen=True)
class LatestFacts:
    """What each reference's latest observation says per platform digest, from one read:
    its platform (a single manifest seen before needs no config read) and its settled OS."""

    platforms: dict[str, Platform] = field(default_factory=dict)
    os: dict[str, OsRelease] = field(default_factory=dict)


def latest_facts(conn: Connection, references: Sequence[ImageReference]) -> LatestFacts:
    """Platform digest -> platform and settled OS of each reference's latest observation, in one
    query per chunk of references."""
    facts = LatestFacts()
    names = [str(reference) for reference in references]
    for chunk in in_chunks(names):
        latest = (
            select(func.max(OBS.c.id))
            .join(REFS, REFS.c.id == OBS.c.reference_id)
            .where(REFS.c.canonical.in_(chunk))
            .group_by(OBS.c.reference_id)
        )
        for row in conn.execute(select(PLATFORMS).where(PLATFORMS.c.observation_id.in_(latest))):
            _note(facts, row._mapping)
    return facts


def _note(facts: LatestFacts, row: RowMapping) -> None:
    """One platform row into the facts: a real platform, and an OS only when it is settled."""
    if "/" in row["platform"]:
        facts.platforms[row["digest"]] = Platform.parse(row["platform"])
    if row["os_id"] is not None and row["os_undetermined"] is None:
        os = os_from_row(row)
        if os is not None:
            facts.os[row["digest"]] = os


def latest_digests(conn: Connection) -> dict[str, str | None]:
    """Canonical reference -> top digest of its newest observation, in one query."""
    newest = (
        select(OBS.c.reference_id, func.max(OBS.c.id).label("id"))
        .group_by(OBS.c.reference_id)
        .subquery()
    )
    query = (
        select(REFS.c.canonical, OBS.c.digest)
        .join(newest, newest.c.id == OBS.c.id)
        .join(REFS, REFS.c.id == OBS.c.reference_id)
    )
    return {row.canonical: row.digest for row in conn.execute(query)}


def observation(
    conn: Connection, reference: ImageReference, row: RowMapping | None
) -> Observation | None:
    """The Observation an observation row (and its platform rows) describes."""
    if row is None:
        return None
    query = select(PLATFORMS).where(PLATFORMS.c.observation_id == row["id"])
    platforms = tuple(
        platform_image(p._mapping) for p in conn.execute(query.order_by(PLATFORMS.c.id))
    )
    return Observation(
        reference, utc(row["last_seen"]), row["digest"], row["media_type"], platforms
    )


def events(
    conn: Connection,
    *,
    since: datetime | None = None,
    kind: DriftKind | None = None,
    ref_id: int | None = None,
    run_id: int | None = None,
) -> list[StoredDrift]:
    """Drift events oldest first, filtered by time, kind and reference."""
    rows = event_rows(conn, since=since, kind=kind, ref_id=ref_id, run_id=run_id)
    return [stored(row) for row in rows]


def event_rows(
    conn: Connection,
    *,
    since: datetime | None = None,
    kind: DriftKind | None = None,
    ref_id: int | None = None,
    run_id: int | None = None,
) -> list[RowMapping]:
    """Event rows joined with their reference's canonical name, oldest first."""
    query = select(EVENTS, REFS.c.canonical).join(REFS, REFS.c.id == EVENTS.c.reference_id)
    if since is not None:
        query = query.where(EVENTS.c.detected_at >= since)
    if kind is not None:
        query = query.where(EVENTS.c.kind == kind.value)
    if ref_id is not None:
        query = query.where(EVENTS.c.reference_id == ref_id)
    if run_id is not None:
        query = query.where(EVENTS.c.run_id == run_id)
    rows = conn.execute(query.order_by(EVENTS.c.detected_at, EVENTS.c.id))
    return [row._mapping for row in rows]


def stored(row: RowMapping) -> StoredDrift:
    """A StoredDrift from an event row joined with its reference's canonical name."""
    return StoredDrift(
        int(row["id"]), stored_drift_parts(row), row["run_id"], aliases_from_row(row)
    )


def timeline(
    conn: Connection, reference: ImageReference, platform: str | None = None
) -> list[TimelineEntry]:
    """Per platform, each digest with first/last seen, OS and the events that began it."""
    ref_id = reference_id(conn, reference)
    if ref_id is None:
        return []
    by_observation: dict[int, list[StoredDrift]] = defaultdict(list)
    for event in event_rows(conn, ref_id=ref_id):
        by_observation[int(event["new_observation_id"])].append(stored(event))
    rows = conn.execute(select(OBS).where(OBS.c.reference_id == ref_id).order_by(OBS.c.id))
    open_entries: dict[str | None, TimelineEntry] = {}
    entries: list[TimelineEntry] = []
    for row in rows:
        drifts = by_observation.get(int(row.id), [])
        for entry in _entries_of(conn, row._mapping, drifts):
            if platform is not None and entry.platform not in (platform, None):
                continue
            _merge(entries, open_entries, entry)
    return sorted(entries, key=lambda e: (e.first_seen, e.platform or ""))


def _entries_of(
    conn: Connection, row: RowMapping, drifts: list[StoredDrift]
) -> list[TimelineEntry]:
    """Timeline entries of one observation: one per platform (or one for a missing tag)."""
    first, last = utc(row["first_seen"]), utc(row["last_seen"])
    if row["digest"] is None:
        return [TimelineEntry(None, None, None, None, first, last, tuple(drifts))]
    query = select(PLATFORMS).where(PLATFORMS.c.observation_id == row["id"])
    entries = []
    for p in conn.execute(query.order_by(PLATFORMS.c.id)):
        image = platform_image(p._mapping)
        mine = tuple(d for d in drifts if d.drift.platform in (p.platform, None))
        entries.append(
            TimelineEntry(p.platform, image.digest, row["digest"], image.os, first, last, mine)
        )
    entries.extend(
        TimelineEntry(drift.drift.platform, None, row["digest"], None, first, last, (drift,))
        for drift in drifts
        if drift.drift.kind is DriftKind.PLATFORM_REMOVED
    )
    return entries


def _merge(
    entries: list[TimelineEntry], open_entries: dict[Any, TimelineEntry], entry: TimelineEntry
) -> None:
    """Extend the platform's current entry when its digest did not change, else start one."""
    current = open_entries.get(entry.platform)
    if current is not None and current.digest == entry.digest and not entry.events:
        merged = TimelineEntry(
            current.platform,
            current.digest,
            entry.index_digest,
            current.os,
            current.first_seen,
            max(current.last_seen, entry.last_seen),
            current.events,
        )
        entries[entries.index(current)] = merged
        open_entries[entry.platform] = merged
        return
    entries.append(entry)
    open_entries[entry.platform] = entry
