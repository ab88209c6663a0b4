"""Revision 0001: the schema as the hand-made runner's v1 created it (references, runs, observations
and their platforms, drift events, caches, outbox), with its `driftwatch_schema` row.

Frozen: this file never changes; later revisions add their own modules. A database made by that
runner is stamped at this revision instead of running it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from alembic import op
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = False, index: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


def _s(name: str, length: int, nullable: bool = True, **kw: object) -> Column[object]:
    return Column(name, String(length), nullable=nullable, **kw)  # type: ignore[arg-type]


def _id() -> Column[object]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, nullable: bool = False, index: bool = False) -> Column[object]:
    return Column(name, Integer, ForeignKey(target), nullable=nullable, index=index)


def _os(prefix: str, full: bool) -> list[Column[object]]:
    columns = [_s(f"{prefix}os_{n}", 64) for n in ("id", "version_id", "codename", "point_release")]
    if full:
        columns += [
            _s(f"{prefix}os_pretty_name", 200),
            _s(f"{prefix}os_source", 64, nullable=False),
            _s(f"{prefix}os_undetermined", 500),
        ]
    return columns


def _bookkeeping(meta: MetaData) -> None:
    """Schema version, references, runs, check failures and the OS cache."""
    Table(
        "driftwatch_schema",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False),
        _when("upgraded_at"),
    )
    Table(
        "watched_reference",
        meta,
        _id(),
        _s("canonical", 600, False, unique=True),
        _s("registry_host", 255, False),
        _s("repository", 255, False),
        _s("tag", 128),
        _when("first_seen"),
        _when("last_seen"),
    )
    Table(
        "run",
        meta,
        _id(),
        _s("trigger", 16, False),
        _when("started_at", index=True),
        _when("finished_at", nullable=True),
        *(Column(n, Integer, nullable=False) for n in ("checked", "drifts", "errors")),
    )
    Table(
        "check_failure",
        meta,
        _id(),
        _fk("run_id", "run.id", index=True),
        _fk("reference_id", "watched_reference.id"),
        _s("reason", 500, False),
        _when("failed_at"),
    )
    Table(
        "os_cache",
        meta,
        Column("digest", String(200), primary_key=True),
        *_os("", full=True),
        _when("recorded_at"),
    )


def _observations(meta: MetaData) -> None:
    """Observations and their per-platform digests and OS releases."""
    Table(
        "observation",
        meta,
        _id(),
        _fk("reference_id", "watched_reference.id"),
        _fk("first_run_id", "run.id", True),
        _fk("last_run_id", "run.id", True),
        _s("digest", 200),
        _s("media_type", 200),
        _s("fingerprint", 64, False),
        Column("os_unknown", Integer, nullable=False),
        _when("first_seen"),
        _when("last_seen"),
        Index("ix_observation_reference_id_id", "reference_id", "id"),
    )
    Table(
        "observation_platform",
        meta,
        _id(),
        _fk("observation_id", "observation.id", index=True),
        _s("platform", 64, False),
        _s("digest", 200, False, index=True),
        _s("media_type", 200, False),
        Column("size", Integer, nullable=True),
        *_os("", full=True),
    )


def _events(meta: MetaData) -> None:
    """Drift events and the alert outbox."""
    Table(
        "drift_event",
        meta,
        _id(),
        _fk("reference_id", "watched_reference.id", index=True),
        _fk("run_id", "run.id", True),
        _s("kind", 32, False, index=True),
        _s("platform", 64, False),
        _fk("old_observation_id", "observation.id", True),
        _fk("new_observation_id", "observation.id"),
        _s("old_digest", 200),
        *_os("old_", False),
        _s("new_digest", 200),
        *_os("new_", False),
        _when("detected_at", index=True),
        UniqueConstraint("new_observation_id", "kind", "platform", name="uq_drift_event"),
    )
    Table(
        "delivery",
        meta,
        _id(),
        _fk("event_id", "drift_event.id"),
        _s("destination", 128, False),
        _s("status", 16, False),
        Column("attempts", Integer, nullable=False),
        _when("next_attempt_at"),
        _s("claimed_by", 128),
        _when("claimed_at", True),
        _when("delivered_at", True),
        _s("last_error", 500),
        UniqueConstraint("event_id", "destination", name="uq_delivery"),
        Index("ix_delivery_due", "destination", "status", "next_attempt_at"),
    )


def _metadata() -> MetaData:
    """Every v1 table, in one MetaData."""
    meta = MetaData()
    _bookkeeping(meta)
    _observations(meta)
    _events(meta)
    return meta


def upgrade() -> None:
    """Create every v1 table and index (an existing table of the same name is an error)."""
    connection = op.get_bind()
    _metadata().create_all(connection, checkfirst=False)
    connection.execute(
        text("INSERT INTO driftwatch_schema (id, version, upgraded_at) VALUES (1, 1, :at)"),
        {"at": datetime.now(timezone.utc)},
    )


def downgrade() -> None:
    """Drop every v1 table (and so the whole history)."""
    _metadata().drop_all(op.get_bind(), checkfirst=False)
