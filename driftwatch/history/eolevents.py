"""`os-eol` events: a watched image's OS release ends soon or has ended, recorded once per
(reference, release, threshold) so nightly scans do not re-alert every day.

The threshold is read from the dates: an event found on or after the day the window opened
(`since`: the end date minus the warning days, or the end date itself once it has passed)
already told this news. One event per observation at most (the event table is unique per
observation, kind and platform): an image unchanged since its "ends soon" event is not
alerted again on the end date.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, select

from driftwatch.history import queries
from driftwatch.history.convert import drift_values, utc
from driftwatch.history.sql import insert_ignore
from driftwatch.history.tables import EVENTS
from driftwatch.models import Drift, DriftKind

__all__ = ["record_eol"]


def record_eol(conn: Connection, run_id: int, drift: Drift, since: datetime) -> bool:
    """Store an os-eol drift unless this release's news since `since` was already recorded."""
    assert drift.kind is DriftKind.OS_EOL and drift.new is not None and drift.new.os is not None
    ref_id = queries.reference_id(conn, drift.reference)
    latest = queries.latest_row(conn, ref_id) if ref_id is not None else None
    if ref_id is None or latest is None:
        return False
    os = drift.new.os
    told = select(
        exists().where(
            EVENTS.c.reference_id == ref_id,
            EVENTS.c.kind == DriftKind.OS_EOL.value,
            EVENTS.c.new_os_id == os.id,
            EVENTS.c.new_os_version_id == os.version_id,
            EVENTS.c.detected_at >= utc(since),
        )
    )
    if conn.execute(told).scalar():
        return False
    values = drift_values(drift)
    values.update(reference_id=ref_id, run_id=run_id, new_observation_id=latest["id"])
    return bool(conn.execute(insert_ignore(conn, EVENTS, values)).rowcount)
