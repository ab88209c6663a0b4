"""Bulk read of whole reference histories (for reports): a few queries for any number of tags.

`queries.timeline` reads one reference with a query per observation; a report over hundreds of
references and years of nightly runs reads them all here in four queries per 500 references. The
entries are those `timeline` builds, without the events attached to them (so an entry is never
split by events alone: a tag that comes back on the digest it had continues its entry). The
events come once, as StoredDrifts for every kind but plain rebuilds (tens of thousands over years
of nightly runs, where only their number and time matter: `changes` has those times).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, RowMapping, select

from driftwatch.history.convert import FULL_OS_COLUMNS, os_from_columns, reference_of, utc
from driftwatch.history.queries import stored
from driftwatch.history.records import ReferenceHistory, TimelineEntry
from driftwatch.history.sql import in_chunks
from driftwatch.history.tables import EVENTS, OBS, PLATFORMS, REFS
from driftwatch.models import DriftKind, OsRelease

__all__ = ["histories", "watched"]


class _Seen(NamedTuple):
    """The columns of an observation row the timeline needs."""

    id: int
    digest: str | None
    first_seen: datetime
    last_seen: datetime


class _Served(NamedTuple):
    """The columns of an observation_platform row the timeline needs."""

    platform: str
    digest: str
    os: OsRelease | None


def watched(conn: Connection) -> list[str]:
    """Canonical names of every reference the history holds, sorted."""
    return sorted(str(name) for name in conn.execute(select(REFS.c.canonical)).scalars())


def histories(conn: Connection, names: Sequence[str]) -> list[ReferenceHistory]:
    """The whole history of each named reference that was ever seen, in the order given."""
    found: dict[str, ReferenceHistory] = {}
    for chunk in in_chunks(names):
        for history in _chunk(conn, chunk):
            found[str(history.reference)] = history
    return [found[name] for name in names if name in found]


def _chunk(conn: Connection, names: Sequence[str]) -> list[ReferenceHistory]:
    """Histories of at most IN_LIST_SIZE references: references, observations, platforms, events."""
    refs = [r._mapping for r in conn.execute(select(REFS).where(REFS.c.canonical.in_(names)))]
    ids = [int(r["id"]) for r in refs]
    seen, served = _observations(conn, ids), _platforms(conn, ids)
    events = _events(conn, ids)
    return [_history(ref, seen.get(int(ref["id"]), []), served, events) for ref in refs]


def _observations(conn: Connection, ids: list[int]) -> dict[int, list[_Seen]]:
    """Reference id -> its observations, oldest first."""
    found: dict[int, list[_Seen]] = defaultdict(list)
    query = (
        select(OBS.c.reference_id, OBS.c.id, OBS.c.digest, OBS.c.first_seen, OBS.c.last_seen)
        .where(OBS.c.reference_id.in_(ids))
        .order_by(OBS.c.id)
    )
    for ref_id, obs_id, digest, first, last in conn.execute(query):
        found[ref_id].append(_Seen(obs_id, digest, utc(first), utc(last)))
    return found


def _platforms(conn: Connection, ids: list[int]) -> dict[int, list[_Served]]:
    """Observation id -> its platforms, in the order they were stored."""
    found: dict[int, list[_Served]] = defaultdict(list)
    columns = [PLATFORMS.c[name] for name in FULL_OS_COLUMNS]
    query = (
        select(PLATFORMS.c.observation_id, PLATFORMS.c.platform, PLATFORMS.c.digest, *columns)
        .join(OBS, OBS.c.id == PLATFORMS.c.observation_id)
        .where(OBS.c.reference_id.in_(ids))
        .order_by(PLATFORMS.c.id)
    )
    for obs_id, platform, digest, *os_columns in conn.execute(query):
        found[obs_id].append(_Served(platform, digest, os_from_columns(tuple(os_columns))))
    return found


def _events(conn: Connection, ids: list[int]) -> dict[int, list[RowMapping]]:
    """Reference id -> its event rows other than plain rebuilds, oldest first."""
    found: dict[int, list[RowMapping]] = defaultdict(list)
    query = (
        select(EVENTS, REFS.c.canonical)
        .join(REFS, REFS.c.id == EVENTS.c.reference_id)
        .where(EVENTS.c.reference_id.in_(ids), EVENTS.c.kind != DriftKind.DIGEST.value)
        .order_by(EVENTS.c.detected_at, EVENTS.c.id)
    )
    for row in conn.execute(query):
        found[int(row.reference_id)].append(row._mapping)
    return found


def _history(
    ref: RowMapping,
    observations: list[_Seen],
    platforms: dict[int, list[_Served]],
    events: dict[int, list[RowMapping]],
) -> ReferenceHistory:
    """One reference's entries (as `queries.timeline` builds them, events apart) and events."""
    ref_id = int(ref["id"])
    removed: dict[int, list[str]] = defaultdict(list)
    for event in events.get(ref_id, []):
        if event["kind"] == DriftKind.PLATFORM_REMOVED.value:
            removed[int(event["new_observation_id"])].append(event["platform"])
    entries = _merged(
        entry
        for seen in observations
        for entry in _entries_of(seen, platforms.get(seen.id, []), removed.get(seen.id, []))
    )
    return ReferenceHistory(
        reference=reference_of(ref["canonical"]),
        first_seen=utc(ref["first_seen"]),
        last_seen=utc(ref["last_seen"]),
        entries=tuple(sorted(entries, key=lambda e: (e.first_seen, e.platform or ""))),
        events=tuple(stored(row) for row in events.get(ref_id, [])),
        changes=tuple(seen.first_seen for seen in observations[1:]),
    )


def _entries_of(seen: _Seen, served: list[_Served], removed: list[str]) -> list[TimelineEntry]:
    """Entries of one observation: one per platform, one per platform it lost (digest None),
    or one for a missing tag."""
    first, last = seen.first_seen, seen.last_seen
    if seen.digest is None:
        return [TimelineEntry(None, None, None, None, first, last)]
    entries = [TimelineEntry(p.platform, p.digest, seen.digest, p.os, first, last) for p in served]
    entries += [TimelineEntry(p, None, seen.digest, None, first, last) for p in removed]
    return entries


def _merged(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """Extend a platform's current entry while its digest does not change (linear time)."""
    merged: list[TimelineEntry] = []
    current: dict[Any, int] = {}  # platform -> index in merged of its open entry
    for entry in entries:
        index = current.get(entry.platform)
        if index is not None:
            open_entry = merged[index]
            if open_entry.digest == entry.digest:
                merged[index] = TimelineEntry(
                    open_entry.platform,
                    open_entry.digest,
                    entry.index_digest,
                    open_entry.os,
                    open_entry.first_seen,
                    max(open_entry.last_seen, entry.last_seen),
                )
                continue
        current[entry.platform] = len(merged)
        merged.append(entry)
    return merged
