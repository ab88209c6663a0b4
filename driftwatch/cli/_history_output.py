"""Shared rendering for `history` and `events`: JSON objects, CSV rows and text tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from driftwatch.cli._options import TABLE_FORMATS
from driftwatch.config import Config
from driftwatch.errors import UsageError
from driftwatch.models import Drift, OsRelease, PlatformImage

if TYPE_CHECKING:  # the history package (sqlalchemy) loads only when a command runs
    from driftwatch.history import HistoryStore, PendingDelivery, StoredDrift, TimelineEntry

FORMATS = TABLE_FORMATS


def open_store(config: Config, db: str | None) -> HistoryStore:
    """The history store chosen by `--db`, DRIFTWATCH_DB, config `db` or the default."""
    from driftwatch.history import HistoryStore
    from driftwatch.history.engine import resolve_url

    return HistoryStore.open(resolve_url(db, config.db))


def parse_since(text: str) -> datetime:
    """An ISO 8601 date or date-time; naive means UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since {text!r} is not an ISO 8601 date such as 2025-08-01") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def when(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, seconds precision."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def os_json(os: OsRelease | None) -> dict[str, Any] | None:
    """`{id, version_id, codename, point_release}` or null when unknown."""
    if os is None or not os.known:
        return None
    return {
        "id": os.id,
        "version_id": os.version_id,
        "codename": os.codename,
        "point_release": os.point_release,
    }


def side_json(image: PlatformImage | None) -> dict[str, Any] | None:
    """One side of an event: `{digest, os}` or null."""
    return None if image is None else {"digest": image.digest, "os": os_json(image.os)}


def event_json(event: StoredDrift) -> dict[str, Any]:
    """The JSON object of one drift event (the documented `events` shape)."""
    drift = event.drift
    return {
        "id": event.id,
        "kind": drift.kind.value,
        "severity": drift.severity.name.lower(),
        "reference": str(drift.reference),
        "platform": drift.platform,
        "detected_at": when(drift.detected_at),
        "run_id": event.run_id,
        "old": side_json(drift.old),
        "new": side_json(drift.new),
        **_explained(drift),
    }


def _explained(drift: Drift) -> dict[str, Any]:
    """`move` and `packages` (issue 17) on events that were explained; nothing on others."""
    return drift.explanation.to_json() if drift.explanation else {}


def entry_json(entry: TimelineEntry) -> dict[str, Any]:
    """The JSON object of one timeline entry."""
    return {
        "platform": entry.platform,
        "digest": entry.digest,
        "index_digest": entry.index_digest,
        "os": os_json(entry.os),
        "first_seen": when(entry.first_seen),
        "last_seen": when(entry.last_seen),
        "events": [event_json(event) for event in entry.events],
    }


def pending_json(item: PendingDelivery) -> dict[str, Any]:
    """The JSON object of one undelivered outbox entry."""
    return {
        "event": event_json(item.event),
        "destination": item.destination,
        "status": item.status,
        "attempts": item.attempts,
        "next_attempt_at": when(item.next_attempt_at),
        "last_error": item.last_error,
    }


def describe(image: PlatformImage | None) -> str:
    """`sha256:abcdef012345 Debian 12 (bookworm)`, or `-`."""
    if image is None:
        return "-"
    os = f" {image.os.describe()}" if image.os else ""
    return f"{short(image.digest)}{os}"


def short(digest: str | None) -> str:
    """A digest cut to algorithm + 12 hex digits for tables."""
    if not digest:
        return "-"
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}:{hexpart[:12]}"


def json_text(data: Any) -> str:
    """JSON, indented, keys in the documented order."""
    return json.dumps(data, indent=2) + "\n"


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue()


def table_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table."""
    cells = [list(header)] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in cells
    )
