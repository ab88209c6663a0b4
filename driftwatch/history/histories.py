"""Bulk read of whole reference histories (for reports): a few queries for any number of tags.

`queries.timeline` reads one reference with a query per observation; a report over hundreds of
references and years of nightly runs reads them all here in four queries per 500 references, and
builds the same `TimelineEntry` lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from driftwatch.history.convert import platform_image, reference_of, utc
from driftwatch.history.queries import stored
from driftwatch.history.records import ReferenceHistory, StoredDrift, TimelineEntry
from driftwatch.history.tables import EVENTS, OBS, PLATFORMS, REFS
from driftwatch.models import DriftKind

__all__ = ["histories", "watched"]

_CHUNK = 500  # references per IN (...) list, well under every database's parameter limit


def watched(conn: Connection) -> list[str]:
    """Canonical names of every reference the history holds, sorted."""
    return sorted(str(name) for name in conn.execute(select(REFS.c.canonical)).scalars())


def histories(conn: Connection, names: Sequence[str]) -> list[ReferenceHistory]:
    """The whole history of each named reference that was ever seen, in the order given."""
    found: dict[str, ReferenceHistory] = {}
    for start in range(0, len(names), _CHUNK):
        for history in _chunk(conn, names[start : start + _CHUNK]):
            found[str(history.reference)] = history
    return [found[name] for name in names if name in found]


def _chunk(conn: Connection, names: Sequence[str]) -> list[ReferenceHistory]:
    """Histories of at most _CHUNK references: references, observations, platforms, events."""
    refs = [r._mapping for r in conn.execute(select(REFS).where(REFS.c.canonical.in_(names)))]
    ids = [int(r["id"]) for r in refs]
    observations: dict[int, list[RowMapping]] = defaultdict(list)
    query = select(OBS).where(OBS.c.reference_id.in_(ids)).order_by(OBS.c.id)
    for row in conn.execute(query):
        observations[int(row.reference_id)].append(row._mapping)
    platforms: dict[int, list[RowMapping]] = defaultdict(list)
    query = (
        select(PLATFORMS)
        .join(OBS, OBS.c.id == PLATFORMS.c.observation_id)
        .where(OBS.c.reference_id.in_(ids))
        .order_by(PLATFORMS.c.id)
    )
    for row in conn.execute(query):
        platforms[int(row.observation_id)].append(row._mapping)
    events: dict[int, list[RowMapping]] = defaultdict(list)
    query = (
        select(EVENTS, REFS.c.canonical)
        .join(REFS, REFS.c.id == EVENTS.c.reference_id)
        .where(EVENTS.c.reference_id.in_(ids))
        .order_by(EVENTS.c.detected_at, EVENTS.c.id)
    )
    for row in conn.execute(query):
        events[int(row.reference_id)].append(row._mapping)
    return [
        _history(ref, observations[int(ref["id"])], platforms, events[int(ref["id"])])
        for ref in refs
    ]


def _history(
    ref: RowMapping,
    observations: list[RowMapping],
    platforms: dict[int, list[RowMapping]],
    event_rows: list[RowMapping],
) -> ReferenceHistory:
    """One reference's entries (as `queries.timeline` builds them) and its events."""
    drifts = [(int(row["new_observation_id"]), stored(row)) for row in event_rows]
    by_observation: dict[int, list[StoredDrift]] = defaultdict(list)
    for observation_id, drift in drifts:
        by_observation[observation_id].append(drift)
    entries = _merged(
        entry
        for row in observations
        for entry in _entries_of(row, platforms.get(int(row["id"]), []), by_observation)
    )
    return ReferenceHistory(
        reference=reference_of(ref["canonical"]),
        first_seen=utc(ref["first_seen"]),
        last_seen=utc(ref["last_seen"]),
        entries=tuple(sorted(entries, key=lambda e: (e.first_seen, e.platform or ""))),
        events=tuple(drift for _, drift in drifts),
    )


def _entries_of(
    row: RowMapping, platform_rows: list[RowMapping], drifts: dict[int, list[StoredDrift]]
) -> list[TimelineEntry]:
    """Timeline entries of one observation: one per platform (or one for a missing tag)."""
    first, last = utc(row["first_seen"]), utc(row["last_seen"])
    mine = drifts.get(int(row["id"]), [])
    if row["digest"] is None:
        return [TimelineEntry(None, None, None, None, first, last, tuple(mine))]
    entries = []
    for p in platform_rows:
        image = platform_image(p)
        events = tuple(d for d in mine if d.drift.platform in (p["platform"], None))
        entries.append(
            TimelineEntry(p["platform"], image.digest, row["digest"], image.os, first, last, events)
        )
    entries.extend(
        TimelineEntry(drift.drift.platform, None, row["digest"], None, first, last, (drift,))
        for drift in mine
        if drift.drift.kind is DriftKind.PLATFORM_REMOVED
    )
    return entries


def _merged(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """Extend a platform's current entry while its digest does not change (linear time)."""
    merged: list[TimelineEntry] = []
    current: dict[Any, int] = {}  # platform -> index in merged of its open entry
    for entry in entries:
        index = current.get(entry.platform)
        if index is not None:
            open_entry = merged[index]
            if open_entry.digest == entry.digest and not entry.events:
                merged[index] = TimelineEntry(
                    open_entry.platform,
                    open_entry.digest,
                    entry.index_digest,
                    open_entry.os,
                    open_entry.first_seen,
                    max(open_entry.last_seen, entry.last_seen),
                    open_entry.events,
                )
                continue
        current[entry.platform] = len(merged)
        merged.append(entry)
    return merged
