"""Alembic takes over from the hand-made runner: revision 0001 is its v1 schema, a database it made
is upgraded with its data, an older driftwatch refuses the result, and nothing depends on the
working directory."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from driftwatch.errors import StoreError
from driftwatch.history import HistoryStore, migrations, queries
from driftwatch.history.convert import drift_values
from driftwatch.history.engine import WRITE, make_engine, parse_url
from driftwatch.history.tables import EVENTS
from driftwatch.models import Drift, DriftKind, PlatformImage
from driftwatch.reference import parse_reference
from tests.databases import _admin
from tests.history import legacy

from .helpers import AMD, MANIFEST, at, debian, observe

REF = "example.test/legacy/app:1"


def _legacy_database(url: str) -> None:
    """Create the schema exactly as the hand-made runner of earlier releases did."""
    engine = make_engine(parse_url(url))
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        assert legacy.upgrade(conn) == (0, 1)
    engine.dispose()


def _schema(url: str) -> dict[str, Any]:
    """Every table's columns, keys, indexes and unique constraints, as the database reports them."""
    engine = create_engine(parse_url(url))
    found = inspect(engine)
    schema = {
        name: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(name)
            ],
            "pk": found.get_pk_constraint(name)["constrained_columns"],
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in found.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(name)
            ),
            "uniques": sorted(
                (u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(name)
            ),
        }
        for name in found.get_table_names()
        if name != "alembic_version"
    }
    engine.dispose()
    return schema


@pytest.fixture
def second_url(db_url: str, postgres_server: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    name = f"dw_test_{uuid.uuid4().hex[:12]}"
    with _admin(postgres_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    with _admin(postgres_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_head_is_the_one_newest_revision_and_files_are_named_after_their_ids() -> None:
    script = ScriptDirectory(str(migrations.HERE))
    assert script.get_heads() == [migrations.HEAD]
    assert script.get_base() == migrations.FIRST
    for rev in script.walk_revisions():
        assert re.fullmatch(r"\d{4}", rev.revision)
        assert Path(rev.path).name.startswith(f"v{rev.revision}_")


def test_revision_0001_builds_the_hand_made_runners_v1_schema(db_url: str, second_url: str) -> None:
    _legacy_database(db_url)
    engine = create_engine(parse_url(second_url))
    with engine.begin() as conn:  # revision 0001 only: later revisions change tables
        command.upgrade(migrations._config(conn), migrations.FIRST)
    engine.dispose()
    old, new = _schema(db_url), _schema(second_url)
    assert set(old) == set(new) and len(old) == 9
    for name in old:
        assert old[name] == new[name], name


def _fill(url: str) -> dict[str, Any]:
    """Record two states of a reference with today's store (inserts name their columns, so they
    fit the old schema), then return every row as the old schema holds it."""
    store = HistoryStore(make_engine(parse_url(url)), url)  # bypasses the version check
    run = store.start_run("ci")
    store.record(run, observe(REF, 0, "b1", debian("bullseye", "11.7")))
    store.record(run, observe(REF, 2, "b2", debian("bookworm", "12.0")))
    store.finish_run(run, checked=1, drifts=2, errors=0)
    store.close()
    return _rows(url)


def _rows(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """{table: (columns, rows)} of the driftwatch tables; `columns` picks the old ones."""
    engine = create_engine(parse_url(url))
    found: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            if table in {"alembic_version", "driftwatch_schema"}:
                continue
            names = (columns or {}).get(table) or [
                c["name"] for c in inspect(conn).get_columns(table)
            ]
            sql = f"SELECT {', '.join(names)} FROM {table} ORDER BY 1"
            found[table] = (names, [tuple(row) for row in conn.execute(text(sql))])
    engine.dispose()
    return found


def _kept(url: str, before: dict[str, Any]) -> None:
    """Every row of the old schema is still there, and today's store reads the history."""
    assert _rows(url, {table: names for table, (names, _) in before.items()}) == before
    store = HistoryStore.open(url, migrate=False)
    ref = parse_reference(REF)
    events = store.events()
    assert len(events) == 2 and all(e.drift.explanation is None for e in events)
    assert len(store.timeline(ref)) == 4 and store.latest(ref) is not None  # 2 platforms x 2
    store.close()


def test_a_database_of_the_hand_made_runner_is_upgraded_with_its_data(db_url: str) -> None:
    _legacy_database(db_url)
    before = _fill(db_url)
    assert len(before["drift_event"][1]) == 2  # two drift events recorded on the old schema
    assert HistoryStore.upgrade(db_url) == ("v1", migrations.HEAD)
    assert HistoryStore.upgrade(db_url) == (migrations.HEAD, migrations.HEAD)
    _kept(db_url, before)
    store = HistoryStore.open(db_url)
    run = store.start_run("manual")  # and it keeps recording
    assert store.record(run, observe(REF, 3, "b3", debian("bookworm", "12.1")))
    store.close()


def test_opening_a_sqlite_file_of_the_hand_made_runner_upgrades_it_with_its_data(
    sqlite_url: str,
) -> None:
    _legacy_database(sqlite_url)
    before = _fill(sqlite_url)
    HistoryStore.open(sqlite_url).close()  # what a nightly job does right after an upgrade
    _kept(sqlite_url, before)
    assert HistoryStore.upgrade(sqlite_url) == (migrations.HEAD, migrations.HEAD)


def test_opening_leaves_a_hand_made_postgres_database_for_db_upgrade(postgres_url: str) -> None:
    _legacy_database(postgres_url)
    with pytest.raises(StoreError, match=r"v1 \(before Alembic\), this driftwatch needs revision"):
        HistoryStore.open(postgres_url)


def test_opening_without_migrate_leaves_a_hand_made_database_alone(sqlite_url: str) -> None:
    _legacy_database(sqlite_url)
    with pytest.raises(StoreError, match=r"v1 \(before Alembic\), this driftwatch needs revision"):
        HistoryStore.open(sqlite_url, migrate=False)


def test_an_older_driftwatch_refuses_a_database_alembic_upgraded(db_url: str) -> None:
    HistoryStore.upgrade(db_url)
    engine = create_engine(parse_url(db_url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM driftwatch_schema")).scalar_one() == 2
        with pytest.raises(StoreError, match=r"schema is v2, newer than this driftwatch"):
            legacy.check_version(legacy.current_version(conn))
    engine.dispose()


def test_a_legacy_version_the_runner_never_wrote_is_refused(sqlite_url: str) -> None:
    _legacy_database(sqlite_url)
    engine = create_engine(parse_url(sqlite_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE driftwatch_schema SET version = 5"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"v5 \(before Alembic\), newer than this driftwatch"):
        HistoryStore.upgrade(sqlite_url)


def test_db_upgrade_from_another_directory_names_the_legacy_version(
    sqlite_url: str, tmp_path: Path
) -> None:
    _legacy_database(sqlite_url)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "driftwatch", "db", "upgrade", "--db", sqlite_url],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"schema v1 (before Alembic) -> revision {migrations.HEAD}")
    assert done.stderr == "" and list(elsewhere.iterdir()) == []


def test_revision_0004_keeps_events_and_deliveries_and_tells_both_eol_states(db_url: str) -> None:
    """Upgrading a 0003 history whose events have deliveries (SQLite rebuilds drift_event under
    enforced foreign keys): every row kept, and an unchanged image can then be told that its
    release ends soon and that it has ended, each once."""
    engine = make_engine(parse_url(db_url))
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        command.upgrade(migrations._config(conn), "0003")
    engine.dispose()
    names, events = _fill(db_url)["drift_event"]
    store = HistoryStore(make_engine(parse_url(db_url)), db_url)  # bypasses the version check
    store.enqueue_deliveries([row[names.index("id")] for row in events], ["hook"])
    store.close()
    before = _rows(db_url)  # every column of revision 0003
    assert len(before["delivery"][1]) == 2
    assert HistoryStore.upgrade(db_url) == ("0003", migrations.HEAD)
    assert _rows(db_url, {table: names for table, (names, _) in before.items()}) == before
    store = HistoryStore.open(db_url)
    news = [
        Drift(DriftKind.OS_EOL, parse_reference(REF), None, None, image, at(3), eol_state=state)
        for state, image in (("ending", _bookworm()), ("ended", _bookworm()))
    ]
    run = store.start_run("cron")
    assert store.record_eol(run, [(news[0], at(1)), (news[1], at(2))]) == news
    assert store.record_eol(run, [(news[0], at(1)), (news[1], at(2))]) == []
    eol = store.events(kind=DriftKind.OS_EOL)
    assert [e.drift.eol_state for e in eol] == ["ending", "ended"]
    store.close()


def _bookworm() -> PlatformImage:
    return PlatformImage(AMD, "sha256:" + "b" * 64, MANIFEST, os=debian("bookworm"))


def test_an_os_eol_event_from_before_0004_tells_the_news_whose_threshold_it_followed(
    db_url: str,
) -> None:
    """An upgraded os-eol event has no state: found after the window opened (at(1)) but before
    the end date (at(2)), it told "ends soon" and not "has ended"."""
    HistoryStore.upgrade(db_url)
    store = HistoryStore.open(db_url)
    ref = parse_reference(REF)
    run = store.start_run("cron")
    store.record(run, observe(REF, 0, "b1", debian("bookworm")))
    legacy = Drift(DriftKind.OS_EOL, ref, None, None, _bookworm(), at(1.5))
    with store._write() as conn:
        ref_id = queries.reference_id(conn, ref)
        latest = queries.latest_row(conn, ref_id) if ref_id is not None else None
        assert ref_id is not None and latest is not None
        ids = {"reference_id": ref_id, "run_id": run, "new_observation_id": latest["id"]}
        conn.execute(EVENTS.insert().values(**drift_values(legacy), **ids))
    ending, ended = (replace(legacy, eol_state=state) for state in ("ending", "ended"))
    assert store.record_eol(run, [(ending, at(1)), (ended, at(2))]) == [ended]
    assert [e.drift.eol_state for e in store.events(kind=DriftKind.OS_EOL)] == [None, "ended"]
    store.close()
