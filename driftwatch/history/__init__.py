"""History database: what every run saw, the drift between runs, OS caches and the alert outbox.

Only this package imports sqlmodel/sqlalchemy; callers get models.py and records.py dataclasses.
"""

from __future__ import annotations

from driftwatch.history.records import (
    PendingDelivery,
    ReferenceHistory,
    StoredDrift,
    TimelineEntry,
)
from driftwatch.history.store import TRIGGERS, HistoryStore

__all__ = [
    "TRIGGERS",
    "HistoryStore",
    "PendingDelivery",
    "ReferenceHistory",
    "StoredDrift",
    "TimelineEntry",
]
