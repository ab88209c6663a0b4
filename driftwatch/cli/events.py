"""`driftwatch events`: recent drift across everything watched, or the undelivered alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from driftwatch.cli._common import config_from, emit
from driftwatch.cli._history_output import (
    FORMATS,
    csv_text,
    describe,
    event_json,
    json_text,
    open_store,
    parse_since,
    pending_json,
    table_text,
    when,
)
from driftwatch.cli._options import format_option, output_option
from driftwatch.models import DriftKind

KINDS = tuple(kind.value for kind in DriftKind)
CSV_HEADER = (
    "id",
    "kind",
    "severity",
    "reference",
    "platform",
    "detected_at",
    "old_digest",
    "old_os_codename",
    "old_os_version_id",
    "new_digest",
    "new_os_codename",
    "new_os_version_id",
)

if TYPE_CHECKING:
    from driftwatch.history import PendingDelivery, StoredDrift


@click.command("events")
@click.option(
    "--since",
    metavar="DATE",
    help="Only events detected at or after DATE (ISO 8601, UTC unless a zone is given).",
)
@click.option("--kind", type=click.Choice(KINDS), help="Only events of this kind.")
@click.option("--pending", is_flag=True, help="Show alert deliveries not yet made instead.")
@format_option(FORMATS, default="table")
@output_option
@click.option("--db", "db_url", metavar="URL", help="Database URL or SQLite file.")
@click.pass_context
def events(
    ctx: click.Context,
    since: str | None,
    kind: str | None,
    pending: bool,
    fmt: str,
    output: str | None,
    db_url: str | None,
) -> None:
    """List drift events, oldest first."""
    moment = parse_since(since) if since else None
    store = open_store(config_from(ctx), db_url)
    if pending:
        emit(_pending_text(store.pending_deliveries(), fmt), output)
    else:
        emit(_events_text(store.events(moment, DriftKind(kind) if kind else None), fmt), output)


def _events_text(found: list[StoredDrift], fmt: str) -> str:
    if fmt == "json":
        return json_text([event_json(e) for e in found])
    if fmt == "csv":
        return csv_text(CSV_HEADER, [_csv_row(e) for e in found])
    if not found:
        return "no drift events\n"
    header = ("ID", "DETECTED", "KIND", "REFERENCE", "PLATFORM", "OLD", "NEW")
    return table_text(header, [_table_row(e) for e in found])


def _csv_row(event: StoredDrift) -> list[object]:
    data = event_json(event)
    row: list[object] = [
        data[k] for k in ("id", "kind", "severity", "reference", "platform", "detected_at")
    ]
    for side in ("old", "new"):
        part = data[side] or {}
        os = part.get("os") or {}
        row += [part.get("digest"), os.get("codename"), os.get("version_id")]
    return row


def _table_row(event: StoredDrift) -> list[object]:
    drift = event.drift
    return [
        event.id,
        when(drift.detected_at),
        drift.kind.value,
        drift.reference.familiar,
        drift.platform,
        describe(drift.old),
        describe(drift.new),
    ]


def _pending_text(items: list[PendingDelivery], fmt: str) -> str:
    if fmt == "json":
        return json_text([pending_json(item) for item in items])
    header = (
        "EVENT",
        "KIND",
        "REFERENCE",
        "DESTINATION",
        "STATUS",
        "ATTEMPTS",
        "NEXT ATTEMPT",
        "LAST ERROR",
    )
    rows = [
        [
            i.event.id,
            i.event.drift.kind.value,
            str(i.event.drift.reference),
            i.destination,
            i.status,
            i.attempts,
            when(i.next_attempt_at),
            i.last_error,
        ]
        for i in items
    ]
    if fmt == "csv":
        return csv_text([h.lower().replace(" ", "_") for h in header], rows)
    if not rows:
        return "no pending deliveries\n"
    return table_text(header, rows)
