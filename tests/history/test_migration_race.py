"""Several processes meeting a new database at once: exactly one creates the schema, the others
wait for it and find it done (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from driftwatch.history import migrations

WORKER = Path(__file__).with_name("migrate_worker.py")
REPO = Path(__file__).resolve().parents[2]
COUNT = 3


def _start(mode: str, url: str, sync: Path) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, url, str(sync), str(n)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(COUNT)
    ]


def _wait_for(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _results(workers: list[subprocess.Popen[str]]) -> list[str]:
    outs = []
    for proc in workers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outs.append(out.strip())
    return outs


def test_processes_opening_a_new_sqlite_file_at_once_create_the_schema_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("PRAGMA journal_mode = WAL")
    blocker.execute("BEGIN IMMEDIATE")  # the workers read an empty file, then queue for this lock
    workers = _start("open", f"sqlite:///{path}", tmp_path)
    _wait_for(lambda: len(list(tmp_path.glob("calling-*"))) == COUNT, "the workers")
    assert [proc.poll() for proc in workers] == [None] * COUNT  # none got past the lock
    blocker.execute("COMMIT")
    blocker.close()
    assert _results(workers) == ["opened"] * COUNT
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrations.HEAD,)
        ]
        assert conn.execute("SELECT id, version FROM driftwatch_schema").fetchall() == [(1, 2)]


def _waiting_on_advisory_lock(admin: psycopg.Connection[tuple[object, ...]], db: str) -> int:
    row = admin.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = %s",
        (db,),
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def test_processes_upgrading_a_new_postgresql_database_at_once_migrate_once(
    postgres_url: str, tmp_path: Path
) -> None:
    url = make_url(postgres_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (migrations.PG_LOCK_KEY,))
        workers = _start("upgrade", postgres_url, tmp_path)
        _wait_for(
            lambda: _waiting_on_advisory_lock(admin, str(url.database)) == COUNT,
            "every worker to queue on the migration lock",
        )
        admin.execute("SELECT pg_advisory_unlock(%s)", (migrations.PG_LOCK_KEY,))
        results = _results(workers)
        assert sorted(results) == sorted(["None"] + [migrations.HEAD] * (COUNT - 1))
        assert admin.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrations.HEAD,)
        ]
