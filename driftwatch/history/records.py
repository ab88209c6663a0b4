"""What the history store hands back: plain frozen dataclasses, no database types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from driftwatch.models import Drift, OsRelease
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases

__all__ = ["PendingDelivery", "ReferenceHistory", "StoredDrift", "TimelineEntry"]


@dataclass(frozen=True)
class StoredDrift:
    """A drift event as recorded, with its database id, the run that found it and, for an OS
    release move, the tags that run found for what the reference had (for the alert's fix)."""

    id: int
    drift: Drift
    run_id: int | None = None
    aliases: Aliases | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One platform digest of a reference and how long it was seen (digest None: absent)."""

    platform: str | None  # None for the whole tag (a vanished tag)
    digest: str | None
    index_digest: str | None
    os: OsRelease | None
    first_seen: datetime
    last_seen: datetime
    events: tuple[StoredDrift, ...] = ()  # the drifts detected when this entry began


@dataclass(frozen=True)
class PendingDelivery:
    """An outbox entry not yet delivered: which event, where (fingerprint), how it went so far."""

    event: StoredDrift
    destination: str
    status: str  # pending | claimed | failed
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class ReferenceHistory:
    """Everything recorded about one reference: its timeline entries and its drift events."""

    reference: ImageReference
    first_seen: datetime
    last_seen: datetime
    entries: tuple[TimelineEntry, ...]  # as `HistoryStore.timeline` gives them, events apart
    events: tuple[StoredDrift, ...]  # every drift but plain rebuilds, oldest first
    changes: tuple[datetime, ...] = ()  # when each state after the first was first seen
