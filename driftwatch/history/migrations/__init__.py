"""Versioned schema migrations: each `vNNN_*.py` module has VERSION and `upgrade(connection)`.

The version lives in the one-row `driftwatch_schema` table. Upgrades run in one transaction under a
lock (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory lock), so concurrent first uses apply each step
once. A database newer than this driftwatch is refused, never touched.
"""

from __future__ import annotations

from datetime import datetime, timezone
from types import ModuleType

from sqlalchemy import Connection, inspect, text

from driftwatch.errors import StoreError
from driftwatch.history.migrations import v001_initial, v002_explain

__all__ = ["LATEST", "MIGRATIONS", "check_version", "current_version", "is_empty", "upgrade"]

MIGRATIONS: tuple[ModuleType, ...] = (v001_initial, v002_explain)
LATEST: int = MIGRATIONS[-1].VERSION
SCHEMA_TABLE = "driftwatch_schema"
_PG_LOCK_KEY = 0x44726966  # "Drif": advisory lock held while migrating


def is_empty(connection: Connection) -> bool:
    """True when the database holds no tables at all (a brand-new file)."""
    return not inspect(connection).get_table_names()


def current_version(connection: Connection) -> int | None:
    """The schema version, or None when the database has no driftwatch schema."""
    if not inspect(connection).has_table(SCHEMA_TABLE):
        return None
    value = connection.execute(text(f"SELECT version FROM {SCHEMA_TABLE} WHERE id = 1")).scalar()
    return None if value is None else int(value)


def check_version(version: int | None) -> None:
    """Raise StoreError unless `version` is exactly the schema this driftwatch uses."""
    if version is None:
        raise StoreError("the database has no driftwatch schema: run `driftwatch db upgrade`")
    if version > LATEST:
        raise StoreError(
            f"the database schema is v{version}, newer than this driftwatch understands "
            f"(v{LATEST}): upgrade driftwatch"
        )
    if version < LATEST:
        raise StoreError(
            f"the database schema is v{version}, this driftwatch needs v{LATEST}: "
            "run `driftwatch db upgrade`"
        )


def upgrade(connection: Connection) -> tuple[int, int]:
    """Apply every pending migration inside the caller's write transaction; (from, to)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
    before = current_version(connection) or 0
    if before > LATEST:
        check_version(before)
    for migration in MIGRATIONS:
        if before < migration.VERSION:
            migration.upgrade(connection)
    if before != LATEST:
        _set_version(connection, before)
    return before, LATEST


def _set_version(connection: Connection, before: int) -> None:
    """Write LATEST into the schema table (insert the row on first creation)."""
    now = datetime.now(timezone.utc)
    params = {"version": LATEST, "at": now}
    if before == 0:
        sql = f"INSERT INTO {SCHEMA_TABLE} (id, version, upgraded_at) VALUES (1, :version, :at)"
    else:
        sql = f"UPDATE {SCHEMA_TABLE} SET version = :version, upgraded_at = :at WHERE id = 1"
    connection.execute(text(sql), params)
