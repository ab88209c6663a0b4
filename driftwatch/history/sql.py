"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

__all__ = ["insert_ignore"]


def insert_ignore(conn: Connection, target: Table, values: Mapping[str, Any]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: a row that already exists is kept as it is."""
    if conn.dialect.name == "postgresql":
        return pg_insert(target).values(dict(values)).on_conflict_do_nothing()
    return sqlite_insert(target).values(dict(values)).on_conflict_do_nothing()
