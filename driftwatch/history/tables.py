"""The history tables (sqlmodel): watched references, runs, observations, drift events, caches.

These rows never leave the history package; the store turns them into models.py dataclasses.
The schema is created and changed only by `driftwatch.history.migrations`; a test checks that the
migrated schema matches these classes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "DELIVERIES",
    "EVENTS",
    "FAILURES",
    "OBS",
    "OS_CACHE",
    "PLATFORMS",
    "REFS",
    "RUNS",
    "CheckFailureRow",
    "DeliveryRow",
    "DriftEventRow",
    "ObservationPlatformRow",
    "ObservationRow",
    "OsCacheRow",
    "ReferenceRow",
    "RunRow",
    "SchemaRow",
    "table",
]


def _when(nullable: bool = False, index: bool = False) -> datetime | None:
    """A timezone-aware timestamp column (stored in UTC)."""
    return Field(  # type: ignore[no-any-return]
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


class SchemaRow(SQLModel, table=True):
    """The single row saying which schema version the database is at."""

    __tablename__ = "driftwatch_schema"
    id: int = Field(primary_key=True)
    version: int
    upgraded_at: datetime = _when()  # type: ignore[assignment]


class ReferenceRow(SQLModel, table=True):
    """A reference driftwatch has watched, by canonical name."""

    __tablename__ = "watched_reference"
    id: int | None = Field(default=None, primary_key=True)
    canonical: str = Field(max_length=600, unique=True)
    registry_host: str = Field(max_length=255)
    repository: str = Field(max_length=255)
    tag: str | None = Field(default=None, max_length=128)
    first_seen: datetime = _when()  # type: ignore[assignment]
    last_seen: datetime = _when()  # type: ignore[assignment]


class RunRow(SQLModel, table=True):
    """One scan: when, why (ci, cron, manual) and what it counted."""

    __tablename__ = "run"
    id: int | None = Field(default=None, primary_key=True)
    trigger: str = Field(max_length=16)
    started_at: datetime = _when(index=True)  # type: ignore[assignment]
    finished_at: datetime | None = _when(nullable=True)
    checked: int = 0
    drifts: int = 0
    errors: int = 0


class ObservationRow(SQLModel, table=True):
    """One distinct state of a reference (top digest + platform digests), first and last seen."""

    __tablename__ = "observation"
    __table_args__ = (Index("ix_observation_reference_id_id", "reference_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    reference_id: int = Field(foreign_key="watched_reference.id")
    first_run_id: int | None = Field(default=None, foreign_key="run.id")
    last_run_id: int | None = Field(default=None, foreign_key="run.id")
    digest: str | None = Field(default=None, max_length=200)
    media_type: str | None = Field(default=None, max_length=200)
    fingerprint: str = Field(max_length=64)
    os_unknown: int = 0  # platforms whose OS is not known yet (filled in when learned)
    first_seen: datetime = _when()  # type: ignore[assignment]
    last_seen: datetime = _when()  # type: ignore[assignment]


class ObservationPlatformRow(SQLModel, table=True):
    """One platform of an observation: its manifest digest and OS release."""

    __tablename__ = "observation_platform"
    id: int | None = Field(default=None, primary_key=True)
    observation_id: int = Field(foreign_key="observation.id", index=True)
    platform: str = Field(max_length=64)
    digest: str = Field(max_length=200, index=True)
    media_type: str = Field(max_length=200)
    size: int | None = None
    os_id: str | None = Field(default=None, max_length=64)
    os_version_id: str | None = Field(default=None, max_length=64)
    os_codename: str | None = Field(default=None, max_length=64)
    os_point_release: str | None = Field(default=None, max_length=64)
    os_pretty_name: str | None = Field(default=None, max_length=200)
    os_source: str = Field(default="unknown", max_length=64)
    os_undetermined: str | None = Field(default=None, max_length=500)


class DriftEventRow(SQLModel, table=True):
    """One drift between two observations; unique per (new observation, kind, platform, and
    the end-of-life state for os-eol news)."""

    __tablename__ = "drift_event"
    __table_args__ = (
        UniqueConstraint(
            "new_observation_id", "kind", "platform", "eol_state", name="uq_drift_event"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference_id: int = Field(foreign_key="watched_reference.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="run.id")
    kind: str = Field(max_length=32, index=True)
    platform: str = Field(default="", max_length=64)
    old_observation_id: int | None = Field(default=None, foreign_key="observation.id")
    new_observation_id: int = Field(foreign_key="observation.id")
    old_digest: str | None = Field(default=None, max_length=200)
    old_os_id: str | None = Field(default=None, max_length=64)
    old_os_version_id: str | None = Field(default=None, max_length=64)
    old_os_codename: str | None = Field(default=None, max_length=64)
    old_os_point_release: str | None = Field(default=None, max_length=64)
    new_digest: str | None = Field(default=None, max_length=200)
    new_os_id: str | None = Field(default=None, max_length=64)
    new_os_version_id: str | None = Field(default=None, max_length=64)
    new_os_codename: str | None = Field(default=None, max_length=64)
    new_os_point_release: str | None = Field(default=None, max_length=64)
    detected_at: datetime = _when(index=True)  # type: ignore[assignment]
    move: str | None = Field(default=None, max_length=32)  # v2: the move class (issue 17)
    changes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # v2: JSON
    eol_state: str = Field(  # 0004: os-eol news: ending | ended; left to the server default
        default="", sa_column=Column(String(16), nullable=False, server_default="")
    )  # so inserts that do not name it fit older schemas (the migration tests fill those)
    aliases: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # 0004: JSON


class CheckFailureRow(SQLModel, table=True):
    """A reference a run could not check (never a drift)."""

    __tablename__ = "check_failure"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    reference_id: int = Field(foreign_key="watched_reference.id")
    reason: str = Field(max_length=500)
    failed_at: datetime = _when()  # type: ignore[assignment]


class OsCacheRow(SQLModel, table=True):
    """What OS a manifest/config digest holds; content-addressed, so valid forever."""

    __tablename__ = "os_cache"
    digest: str = Field(primary_key=True, max_length=200)
    os_id: str | None = Field(default=None, max_length=64)
    os_version_id: str | None = Field(default=None, max_length=64)
    os_codename: str | None = Field(default=None, max_length=64)
    os_point_release: str | None = Field(default=None, max_length=64)
    os_pretty_name: str | None = Field(default=None, max_length=200)
    os_source: str = Field(default="unknown", max_length=64)
    os_undetermined: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = _when()  # type: ignore[assignment]


class DeliveryRow(SQLModel, table=True):
    """Outbox: one drift event to send to one destination (a fingerprint, never the URL)."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "destination", name="uq_delivery"),
        Index("ix_delivery_due", "destination", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="drift_event.id")
    destination: str = Field(max_length=128)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _when()  # type: ignore[assignment]
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = _when(nullable=True)
    delivered_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)


def table(model: type[SQLModel]) -> Table:
    """The Core Table behind a sqlmodel class (the store works with Core statements)."""
    result = model.__table__  # type: ignore[attr-defined]
    assert isinstance(result, Table)
    return result


# The Core tables behind the models, named once for every module of the package.
REFS: Table = table(ReferenceRow)
RUNS: Table = table(RunRow)
OBS: Table = table(ObservationRow)
PLATFORMS: Table = table(ObservationPlatformRow)
EVENTS: Table = table(DriftEventRow)
FAILURES: Table = table(CheckFailureRow)
OS_CACHE: Table = table(OsCacheRow)
DELIVERIES: Table = table(DeliveryRow)
