"""Schema versions: created on first use of a new SQLite file, upgraded by `db upgrade`,
refused when newer than this driftwatch, and identical to the sqlmodel tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
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
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrations.HEAD,)
        ]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000


def test_migrated_schema_matches_the_sqlmodel_tables(db_url: str) -> None:
    HistoryStore.upgrade(db_url)
    engine = create_engine(parse_url(db_url))
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == {*SQLModel.metadata.tables, "alembic_version"}
    for name, model in SQLModel.metadata.tables.items():
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        assert columns == {c.name: c.nullable for c in model.columns}, name
        indexes = {i["name"] for i in inspector.get_indexes(name)}
        assert {i.name for i in model.indexes} <= indexes, name
    engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    assert HistoryStore.upgrade(db_url) == (None, migrations.HEAD)
    assert HistoryStore.upgrade(db_url) == (migrations.HEAD, migrations.HEAD)


def _revision(url: str) -> str:
    engine = create_engine(parse_url(url))
    with engine.connect() as conn:
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return str(value)


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    HistoryStore.upgrade(db_url)
    engine = create_engine(parse_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"schema is revision 0099, newer than this driftwatch"):
        HistoryStore.open(db_url)
    with pytest.raises(StoreError, match="newer"):
        HistoryStore.upgrade(db_url)
    assert _revision(db_url) == "0099"


NEXT_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "0099"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run", sa.Column("host", sa.String(100), nullable=True))
"""


def test_an_older_schema_upgrades_a_sqlite_file_on_open_and_waits_for_db_upgrade_on_postgres(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    HistoryStore.upgrade(db_url)
    head = migrations.HEAD
    extra = tmp_path / "versions"
    extra.mkdir()
    (extra / "v0099_host.py").write_text(NEXT_REVISION.format(head=migrations.HEAD))
    monkeypatch.setattr(migrations, "VERSION_DIRS", (*migrations.VERSION_DIRS, extra))
    monkeypatch.setattr(migrations, "HEAD", "0099")
    if db_url.startswith("sqlite"):
        HistoryStore.open(db_url).close()  # one user's file: upgraded on open
        assert _revision(db_url) == "0099"
        return
    with pytest.raises(
        StoreError,
        match=rf"revision {head}, this driftwatch needs revision 0099: run `driftwatch db upgrade`",
    ):
        HistoryStore.open(db_url)  # a team's PostgreSQL: the operator upgrades it
    assert HistoryStore.upgrade(db_url) == (head, "0099")
    HistoryStore.open(db_url)
    assert _revision(db_url) == "0099"
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
    with pytest.raises(StoreError, match="holds other tables"):
        HistoryStore.upgrade(str(path))  # `db upgrade` pointed at the wrong file writes nothing
    with sqlite3.connect(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"notes"}


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
