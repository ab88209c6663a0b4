"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

__all__ = ["in_chunks", "insert_ignore"]

T = TypeVar("T")
IN_LIST_SIZE = 500  # values per IN (...) list, well under every database's parameter limit


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices small enough for one IN (...) list each."""
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]


def insert_ignore(conn: Connection, target: Table, values: Mapping[str, Any]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING: a row that already exists is kept as it is."""
    if conn.dialect.name == "postgresql":
        return pg_insert(target).values(dict(values)).on_conflict_do_nothing()
    return sqlite_insert(target).values(dict(values)).on_conflict_do_nothing()
