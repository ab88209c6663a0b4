"""Build the report model from history records, the lock file and the repository's uses (pure).

No I/O: the CLI reads the store, the lock file and the inventory and hands them over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from driftwatch.history.records import ReferenceHistory, StoredDrift, TimelineEntry
from driftwatch.lockfile import LockEntry, LockFile
from driftwatch.models import BaseImageUse, DriftKind, OsRelease
from driftwatch.reference import ImageReference
from driftwatch.releases import DEBIAN_RELEASES, find_release, ubuntu_by_version
from driftwatch.timeline.model import (
    Band,
    LockState,
    Mark,
    PlatformRow,
    ReferenceReport,
    Release,
    Report,
    Tick,
    UseSite,
)

__all__ = ["build_report", "release_of"]

UNKNOWN = Release("unknown", "unknown", "OS release not determined")
_ReleaseOf = Callable[[TimelineEntry], "Release | None"]


def build_report(
    histories: Sequence[ReferenceHistory],
    *,
    now: datetime,
    since: datetime | None = None,
    source: str = "",
    lock: LockFile | None = None,
    lockfile: str | None = None,
    uses: Mapping[ImageReference, Sequence[BaseImageUse]] | None = None,
) -> Report:
    """The report over `histories`, from `since` (default: the oldest record) to the newest."""
    start = since or min((h.first_seen for h in histories), default=now)
    end = max((h.last_seen for h in histories), default=now)
    end = max(end, start + timedelta(days=1))
    references = tuple(
        _reference(history, start, end, now, lock, (uses or {}).get(history.reference, ()))
        for history in histories
    )
    return Report(
        generated_at=now,
        start=start,
        end=end,
        since=since,
        references=references,
        releases=_legend(references),
        source=source,
        lockfile=lockfile if lock is not None else None,
    )


@lru_cache(maxsize=512)
def release_of(os: OsRelease | None) -> Release:
    """The report's Release for an OS: keyed by codename, else by id and version (cached)."""
    if os is None or not os.known or os.undetermined:
        return UNKNOWN
    codename = os.codename or _codename(os.id, os.version_id)
    if codename:
        key = codename.lower()
        label = key
    else:
        version = ".".join((os.version_id or "").split(".")[:2])
        label = f"{os.id} {version}".strip()
        key = label.replace(" ", "-").lower()
    eol = find_release(os.id, os.version_id, codename)
    if eol is None or eol.eol is None:
        return Release(key, label, os.describe())
    return Release(key, label, os.describe(), eol.eol, eol.security_end, eol.source)


def _codename(os_id: str | None, version_id: str | None) -> str | None:
    """The codename a Debian or Ubuntu version stands for (distroless images name none)."""
    if not version_id:
        return None
    if os_id == "debian":
        major = version_id.split(".")[0]
        return next((r.codename for r in DEBIAN_RELEASES if r.version == major), None)
    return ubuntu_by_version(version_id) if os_id == "ubuntu" else None


def _reference(
    history: ReferenceHistory,
    start: datetime,
    end: datetime,
    now: datetime,
    lock: LockFile | None,
    uses: Sequence[BaseImageUse],
) -> ReferenceReport:
    """One reference: platform rows, tag gaps, marks, move counts, uses and lock state."""
    platforms = sorted({e.platform for e in history.entries if e.platform is not None})
    rows = tuple(
        _row(p, [e for e in history.entries if e.platform == p], start, end) for p in platforms
    )
    period = [e for e in history.events if start <= e.drift.detected_at <= end]
    moments = history.changes
    in_period = {at for at in moments if start <= at <= end}
    entry = lock.get(history.reference) if lock is not None else None
    return ReferenceReport(
        reference=history.reference,
        first_seen=history.first_seen,
        last_seen=history.last_seen,
        rows=rows,
        gaps=tuple(_gaps(history.entries, start, end)),
        marks=tuple(_mark(e) for e in period if e.drift.kind is not DriftKind.DIGEST),
        moves=len(in_period),
        release_moves=len(
            {e.drift.detected_at for e in period if e.drift.kind is DriftKind.OS_RELEASE}
        ),
        last_move=max(moments, default=None),
        days_since_move=(now - max(moments)).days if moments else None,
        uses=_uses(uses, entry),
        lock=None if lock is None else _lock_state(entry, history, rows),
    )


def _row(
    platform: str, entries: list[TimelineEntry], start: datetime, end: datetime
) -> PlatformRow:
    """A platform's bands (releases merged), ticks in the period and current state."""
    last = entries[-1]
    ticks = tuple(
        Tick(e.first_seen, e.digest)
        for e in entries
        if e.digest is not None and start <= e.first_seen <= end
    )
    return PlatformRow(
        platform=platform,
        bands=tuple(_bands(entries, start, end, _entry_release)),
        ticks=ticks,
        current=_entry_release(last),
        current_digest=last.digest,
    )


def _entry_release(entry: TimelineEntry) -> Release | None:
    """The release an entry shows (None when the platform was not served)."""
    return None if entry.digest is None else release_of(entry.os)


def _bands(
    entries: Sequence[TimelineEntry],
    start: datetime,
    end: datetime,
    release: _ReleaseOf,
) -> Iterable[Band]:
    """Consecutive entries on one release as one band, each until the next began, clipped."""
    spans: list[Band] = []
    for index, entry in enumerate(entries):
        until = entries[index + 1].first_seen if index + 1 < len(entries) else entry.last_seen
        mine = release(entry)
        if spans and spans[-1].release == mine and spans[-1].end >= entry.first_seen:
            spans[-1] = Band(spans[-1].start, max(until, spans[-1].end), mine)
        else:
            spans.append(Band(entry.first_seen, until, mine))
    for band in spans:
        if band.end >= start and band.start <= end:
            yield Band(max(band.start, start), min(band.end, end), band.release)


def _gaps(entries: Sequence[TimelineEntry], start: datetime, end: datetime) -> Iterable[Band]:
    """Spans when the whole tag was missing: each until the tag was seen again, clipped."""
    for entry in entries:
        if entry.platform is not None or entry.digest is not None:
            continue
        later = [e.first_seen for e in entries if e.first_seen > entry.first_seen]
        until = min(later, default=entry.last_seen)
        if until >= start and entry.first_seen <= end:
            yield Band(max(entry.first_seen, start), min(until, end), None)


def _mark(event: StoredDrift) -> Mark:
    """A drift event as a mark on the timeline."""
    drift = event.drift
    old, new = drift.old, drift.new
    return Mark(
        kind=drift.kind,
        at=drift.detected_at,
        platform=drift.platform,
        old_digest=old.digest if old else None,
        new_digest=new.digest if new else None,
        old_release=release_of(old.os) if old and old.os else None,
        new_release=release_of(new.os) if new and new.os else None,
        old_point=old.os.point_release if old and old.os else None,
        new_point=new.os.point_release if new and new.os else None,
    )


def _uses(uses: Sequence[BaseImageUse], entry: LockEntry | None) -> tuple[UseSite, ...]:
    """Lines naming the reference; from the lock file when the repository was not read."""
    if uses:
        sites = {UseSite(u.file, u.line, u.written, u.kind.value) for u in uses}
        return tuple(sorted(sites, key=_site_key))
    if entry is not None:
        return tuple(UseSite(u.file, 0, u.written) for u in entry.uses)
    return ()


def _site_key(site: UseSite) -> tuple[str, int]:
    return site.file, site.line


def _lock_state(
    entry: LockEntry | None, history: ReferenceHistory, rows: Sequence[PlatformRow]
) -> LockState:
    """Compare the locked digest with the newest one the history saw (never a guess)."""
    latest = max(history.entries, key=lambda e: e.first_seen, default=None)
    seen = latest.index_digest if latest is not None else None
    if entry is None:
        return LockState("not-locked", None, seen, "not in the lock file")
    if latest is None:
        return LockState("unchecked", entry.digest, None, "never observed: could not compare")
    if seen is None:
        return LockState("moved", entry.digest, None, "the tag was missing when last checked")
    if entry.digest == seen:
        return LockState("matches", entry.digest, seen, "the lock matches the last digest seen")
    current = {row.platform: row.current for row in rows}
    moved, same = [], 0
    for image in entry.platforms:
        platform = str(image.platform) if image.platform else ""
        was, now = release_of(image.os), current.get(platform)
        if now is None or UNKNOWN in (was, now):
            continue
        if was.key != now.key:
            moved.append(f"{platform} locked on {was.label}, now {now.label}")
        else:
            same += 1
    if moved:
        return LockState("moved", entry.digest, seen, "; ".join(moved))
    alike = same and same == len(entry.platforms)
    detail = "the digest moved since the lock" + (" (same OS release)" if alike else "")
    return LockState("moved", entry.digest, seen, detail)


def _legend(references: Iterable[ReferenceReport]) -> tuple[Release, ...]:
    """Every release drawn, oldest end of life first; releases without one last, by name."""
    found = {
        band.release.key: band.release
        for reference in references
        for row in reference.rows
        for band in row.bands
        if band.release is not None
    }
    return tuple(sorted(found.values(), key=lambda r: (r.eol is None, r.eol or date.max, r.key)))
