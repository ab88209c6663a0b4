"""The alert outbox: which drift event still has to reach which destination.

A destination is a stable fingerprint chosen by the notifier (never a URL, which may hold secrets).
Claims are one UPDATE, so two runs never claim the same (event, destination); a claim whose
claimer died is taken over after a lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, or_, select, update

from driftwatch.history.convert import utc
from driftwatch.history.queries import stored
from driftwatch.history.records import PendingDelivery, StoredDrift
from driftwatch.history.sql import insert_ignore
from driftwatch.history.tables import DELIVERIES, EVENTS, REFS

__all__ = ["LEASE", "claim", "delivered", "enqueue", "failed", "pending", "unqueued"]

LEASE = timedelta(minutes=10)


def enqueue(
    conn: Connection, event_ids: Sequence[int], destinations: Sequence[str], now: datetime
) -> None:
    """Queue each (event, destination) pair once; queuing it again changes nothing."""
    for event_id in event_ids:
        for destination in destinations:
            values = {
                "event_id": event_id,
                "destination": destination,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
            conn.execute(insert_ignore(conn, DELIVERIES, values))


def unqueued(conn: Connection, since: datetime) -> list[int]:
    """Ids of events detected since `since` that were never queued for any destination."""
    queued = exists().where(DELIVERIES.c.event_id == EVENTS.c.id)
    query = select(EVENTS.c.id).where(EVENTS.c.detected_at >= since, ~queued)
    return [int(event_id) for event_id in conn.execute(query.order_by(EVENTS.c.id)).scalars()]


def claim(
    conn: Connection, destination: str, now: datetime, claimer: str, lease: timedelta
) -> list[StoredDrift]:
    """Mark the due deliveries of a destination as claimed by `claimer` and return their events."""
    due = or_(
        and_(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now),
        and_(DELIVERIES.c.status == "claimed", DELIVERIES.c.claimed_at < now - lease),
    )
    mine = DELIVERIES.c.destination == destination
    conn.execute(
        update(DELIVERIES)
        .where(mine, due)
        .values(status="claimed", claimed_by=claimer, claimed_at=now)
    )
    query = (
        select(EVENTS, REFS.c.canonical)
        .join(REFS, REFS.c.id == EVENTS.c.reference_id)
        .join(DELIVERIES, DELIVERIES.c.event_id == EVENTS.c.id)
        .where(mine, DELIVERIES.c.status == "claimed", DELIVERIES.c.claimed_by == claimer)
        .order_by(EVENTS.c.detected_at, EVENTS.c.id)
    )
    return [stored(row._mapping) for row in conn.execute(query)]


def delivered(conn: Connection, event_ids: Sequence[int], destination: str, now: datetime) -> None:
    """Close these deliveries as done."""
    conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.destination == destination, DELIVERIES.c.event_id.in_(event_ids))
        .values(status="delivered", delivered_at=now, claimed_by=None, claimed_at=None)
    )


def failed(
    conn: Connection,
    event_ids: Sequence[int],
    destination: str,
    error: str,
    now: datetime,
    max_attempts: int,
    backoff: timedelta,
) -> int:
    """Count one failed attempt per delivery: retry after backoff * 2**(attempts-1), or give up.

    Returns how many of them were given up (status `failed`) by this attempt.
    """
    given_up = 0
    query = select(DELIVERIES.c.id, DELIVERIES.c.attempts).where(
        DELIVERIES.c.destination == destination, DELIVERIES.c.event_id.in_(event_ids)
    )
    for row in conn.execute(query).all():
        attempts = int(row.attempts) + 1
        status = "failed" if attempts >= max_attempts else "pending"
        given_up += status == "failed"
        values = {
            "attempts": attempts,
            "status": status,
            "next_attempt_at": now + backoff * 2 ** (attempts - 1),
            "last_error": error[:500],
            "claimed_by": None,
            "claimed_at": None,
        }
        conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == row.id).values(values))
    return given_up


def pending(conn: Connection) -> list[PendingDelivery]:
    """Every delivery not yet made, oldest event first."""
    query = (
        select(
            EVENTS,
            REFS.c.canonical,
            DELIVERIES.c.destination,
            DELIVERIES.c.status,
            DELIVERIES.c.attempts,
            DELIVERIES.c.next_attempt_at,
            DELIVERIES.c.claimed_by,
            DELIVERIES.c.last_error,
        )
        .join(REFS, REFS.c.id == EVENTS.c.reference_id)
        .join(DELIVERIES, DELIVERIES.c.event_id == EVENTS.c.id)
        .where(DELIVERIES.c.status != "delivered")
        .order_by(EVENTS.c.detected_at, EVENTS.c.id, DELIVERIES.c.destination)
    )
    return [
        PendingDelivery(
            stored(row._mapping),
            row.destination,
            row.status,
            int(row.attempts),
            utc(row.next_attempt_at),
            row.claimed_by,
            row.last_error,
        )
        for row in conn.execute(query)
    ]
