"""Which database to use and how to connect: URL lookup, SQLite WAL and busy timeout, PostgreSQL.

Lookup order: `--db URL`, then `DRIFTWATCH_DB`, then config `db`, then `history.db` in the
platformdirs user data directory. A plain path means a SQLite file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from driftwatch.errors import ConfigError
from driftwatch.redact import mask_userinfo

__all__ = ["DB_ENV", "WRITE", "default_url", "display_url", "make_engine", "resolve_url"]

DB_ENV = "DRIFTWATCH_DB"
BUSY_TIMEOUT_SECONDS = 60
# Execution option that makes a SQLite transaction BEGIN IMMEDIATE (take the write lock up front).
WRITE = "driftwatch_write"


def default_url() -> str:
    """`sqlite:///<user data dir>/history.db`."""
    folder = Path(platformdirs.user_data_dir("driftwatch", appauthor=False))
    return f"sqlite:///{folder / 'history.db'}"


def resolve_url(url: str | None = None, config_db: str | None = None) -> str:
    """The database URL in force: flag, environment, config, default (in that order).

    An in-memory SQLite database is refused: the history would vanish at exit and every run
    would be the first.
    """
    sources = (("--db", url), (DB_ENV, os.environ.get(DB_ENV)), ("config db", config_db))
    where, chosen = next(((name, value) for name, value in sources if value), ("", None))
    chosen = chosen or default_url()
    if "://" not in chosen:
        chosen = f"sqlite:///{Path(chosen).expanduser().absolute()}"
    if _in_memory(chosen):
        raise ConfigError(
            f"{where}: {mask_userinfo(chosen)!r} is an in-memory database: the history would "
            "vanish when driftwatch exits; give a file (sqlite:///path/history.db) or PostgreSQL"
        )
    return chosen


def _in_memory(text: str) -> bool:
    """True for `sqlite://`, `sqlite:///:memory:` and `mode=memory` SQLite URLs."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        return False
    if not url.drivername.startswith("sqlite"):
        return False
    database = url.database or ""
    memory = url.query.get("mode") == "memory" or "mode=memory" in database
    return database in ("", ":memory:") or memory


def parse_url(text: str) -> URL:
    """Parse and check a database URL; `postgresql://` means psycopg 3."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(f"database URL {_redact(text)!r} is not a valid URL") from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    raise ConfigError(
        f"database URL {display_url(url)!r}: only sqlite:///FILE and "
        "postgresql+psycopg://... are supported"
    )


def display_url(url: URL | str) -> str:
    """The URL with any password hidden, fit for messages."""
    if isinstance(url, str):
        return _redact(url)
    return url.render_as_string(hide_password=True)


def _redact(text: str) -> str:
    try:
        return make_url(text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return text.split("@")[-1] if "@" in text else text


def make_engine(url: URL) -> Engine:
    """An Engine for `url`; SQLite files get WAL, a busy timeout and explicit BEGIN handling."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _sqlite_engine(url: URL) -> Engine:
    """SQLite in WAL mode; write transactions take the lock at BEGIN so they never deadlock."""
    if url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create {folder} for the database: {exc.strerror}") from None
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Driver in autocommit mode (we issue BEGIN ourselves), busy timeout, WAL, foreign keys."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a file to WAL once. The switch needs the file to itself and SQLite does not wait
    for it (no busy handler there), so processes opening a new file together retry it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while not _try_wal(cursor, last_try=time.monotonic() > deadline):
        time.sleep(0.02)


def _try_wal(cursor: Any, *, last_try: bool) -> bool:
    """True once the file is in WAL mode; False while another connection holds it."""
    try:
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) or last_try:
            raise
        return False
    return True


def _sqlite_begin(connection: Any) -> None:
    """BEGIN IMMEDIATE for writers (no lock upgrade, so no SQLITE_BUSY deadlock), BEGIN else."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
