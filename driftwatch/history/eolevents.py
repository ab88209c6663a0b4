"""`os-eol` events: a watched image's OS release ends soon or has ended, recorded once per
(reference, release, state) so nightly scans do not re-alert every day.

The state (`ending`, `ended`) is part of the event's unique key, so an image unchanged since
its "ends soon" event still gets its "has ended" event, once. One event covers every platform
of the reference running that release (a multi-arch tag is one piece of news, not one per
platform); platforms on different releases get one each. An event recorded before revision
0004 has no state: it told the news whose threshold (`since`: the window's first day, or the
end date) it was found after.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, exists, or_, select

from driftwatch.history import queries
from driftwatch.history.convert import drift_values, utc
from driftwatch.history.sql import insert_ignore
from driftwatch.history.tables import EVENTS
from driftwatch.models import Drift, DriftKind

__all__ = ["record_eol"]


def record_eol(conn: Connection, run_id: int, drift: Drift, since: datetime) -> bool:
    """Store an os-eol drift unless this release's news in this state was already recorded."""
    assert drift.kind is DriftKind.OS_EOL and drift.new is not None and drift.new.os is not None
    assert drift.eol_state, "os-eol news carries its state"
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
            or_(
                EVENTS.c.eol_state == drift.eol_state,
                and_(EVENTS.c.eol_state == "", EVENTS.c.detected_at >= utc(since)),
            ),
        )
    )
    if conn.execute(told).scalar():
        return False
    values = drift_values(drift)
    values.update(reference_id=ref_id, run_id=run_id, new_observation_id=latest["id"])
    return bool(conn.execute(insert_ignore(conn, EVENTS, values)).rowcount)
