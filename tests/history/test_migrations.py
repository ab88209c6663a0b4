"""Schema versions: created on first use of a new SQLite file, upgraded by `db upgrade`,
refused when newer than this driftwatch, and identical to the sqlmodel tables."""

from __future__ import annotations

import sqlite3
import types
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, inspect, text
from sqlmodel import SQLModel

from driftwatch.errors import ConfigError, StoreError
from driftwatch.history import HistoryStore, migrations
from driftwatch.history.engine import DB_ENV, default_url, parse_url, resolve_url


def _sqlite_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


def test_new_sqlite_file_gets_the_schema_wal_and_busy_timeout(sqlite_url: str) -> None:
    store = HistoryStore.open(sqlite_url)
    assert store.start_run("manual") == 1
    with sqlite3.connect(_sqlite_file(sqlite_url)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert (
            conn.execute("SELECT version FROM driftwatch_schema").fetchone()[0] == migrations.LATEST
        )
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000


def test_migrated_schema_matches_the_sqlmodel_tables(db_url: str) -> None:
    HistoryStore.upgrade(db_url)
    engine = create_engine(parse_url(db_url))
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == set(SQLModel.metadata.tables)
    for name, model in SQLModel.metadata.tables.items():
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        assert columns == {c.name: c.nullable for c in model.columns}, name
        indexes = {i["name"] for i in inspector.get_indexes(name)}
        assert {i.name for i in model.indexes} <= indexes, name
    engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    assert HistoryStore.upgrade(db_url) == (0, migrations.LATEST)
    assert HistoryStore.upgrade(db_url) == (migrations.LATEST, migrations.LATEST)


def _set_version(url: str, version: int) -> None:
    engine = create_engine(parse_url(url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE driftwatch_schema SET version = :v"), {"v": version})
    engine.dispose()


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    HistoryStore.upgrade(db_url)
    _set_version(db_url, 99)
    with pytest.raises(StoreError, match=r"schema is v99, newer than this driftwatch"):
        HistoryStore.open(db_url)
    with pytest.raises(StoreError, match="newer"):
        HistoryStore.upgrade(db_url)


def _v2(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE run ADD COLUMN host VARCHAR(100)"))


def test_an_older_schema_asks_for_db_upgrade_which_applies_the_next_step(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    HistoryStore.upgrade(db_url)
    now = migrations.LATEST
    step = types.SimpleNamespace(VERSION=now + 1, upgrade=_v2)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, step))
    monkeypatch.setattr(migrations, "LATEST", now + 1)
    with pytest.raises(
        StoreError,
        match=rf"v{now}, this driftwatch needs v{now + 1}: run `driftwatch db upgrade`",
    ):
        HistoryStore.open(db_url)
    assert HistoryStore.upgrade(db_url) == (now, now + 1)
    HistoryStore.open(db_url)
    engine = create_engine(parse_url(db_url))
    assert "host" in {c["name"] for c in inspect(engine).get_columns("run")}
    engine.dispose()


def test_an_empty_postgresql_database_needs_db_upgrade(postgres_url: str) -> None:
    with pytest.raises(StoreError, match="no driftwatch schema: run `driftwatch db upgrade`"):
        HistoryStore.open(postgres_url)


def test_a_sqlite_file_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    with pytest.raises(StoreError, match="holds other tables"):
        HistoryStore.open(str(path))


def test_unreachable_postgresql_is_a_one_line_error_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        HistoryStore.open("postgresql://dw:s3cret@127.0.0.1:1/dw")
    assert "s3cret" not in caught.value.message and "\n" not in caught.value.message
    assert "127.0.0.1" in caught.value.message


def test_url_lookup_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    assert resolve_url(None, None) == default_url()
    assert default_url().startswith("sqlite:///") and default_url().endswith(
        "/driftwatch/history.db"
    )
    assert resolve_url(None, "postgresql://h/db") == "postgresql://h/db"
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    assert resolve_url(None, "postgresql://h/db") == f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url("sqlite:///flag.db", "x") == "sqlite:///flag.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root:pw@h/db", "only sqlite:///FILE and postgresql"),
        ("postgresql://u:pw@h:notaport/db", "not a valid URL"),
    ],
)
def test_bad_urls_are_config_errors_without_passwords(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_url(url)
    assert "pw" not in caught.value.message


def test_postgresql_scheme_means_psycopg() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
