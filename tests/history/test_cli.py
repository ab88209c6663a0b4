"""`driftwatch db upgrade`, `history` and `events` against real databases."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from driftwatch.cli import main
from driftwatch.history import HistoryStore, migrations

from .helpers import debian, missing, observe

pytestmark = pytest.mark.slow  # the CLI per test, often as a process

REF = "python:3.11-slim"
CANONICAL = "docker.io/library/python:3.11-slim"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(db_url: str) -> str:
    """A database where python:3.11-slim moved bullseye -> bookworm, then vanished."""
    HistoryStore.upgrade(db_url)
    store = HistoryStore.open(db_url)
    run_id = store.start_run("cron")
    store.record(run_id, observe(REF, 0, "b1", debian("bullseye", "11.7")))
    store.record(run_id, observe(REF, 1, "b1", debian("bullseye", "11.7")))
    store.record(run_id, observe(REF, 10, "b2", debian("bookworm", "12.0")))
    store.record(run_id, missing(REF, 20))
    store.record(run_id, observe("node:20", 0, "n1", debian("bookworm", "12.1")))
    store.record(run_id, observe("node:20", 5, "n2", debian("bookworm", "12.2")))
    store.finish_run(run_id, checked=2, drifts=5, errors=0)
    store.close()
    return db_url


def test_events_json_has_the_documented_shape(
    filled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["events", "--db", filled, "--format", "json"], capsys)
    assert code == 0
    events = json.loads(out)
    assert [(e["kind"], e["platform"]) for e in events] == [
        ("os-point-release", "linux/amd64"),
        ("os-point-release", "linux/arm64/v8"),
        ("os-release", "linux/amd64"),
        ("os-release", "linux/arm64/v8"),
        ("tag-vanished", None),
    ]
    release = events[2]
    assert release["reference"] == CANONICAL
    assert release["detected_at"] == "2024-01-11T00:00:00Z"
    assert release["old"]["os"] == {
        "id": "debian",
        "version_id": "11",
        "codename": "bullseye",
        "point_release": "11.7",
    }
    assert release["new"]["os"]["codename"] == "bookworm"
    assert release["new"]["digest"].startswith("sha256:")
    assert events[4]["new"] is None and events[4]["old"]["os"] is None


def test_events_filters(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["events", "--db", filled, "--format", "json", "--kind", "os-release"], capsys)
    assert {e["kind"] for e in json.loads(out)} == {"os-release"}
    _, out, _ = run(["events", "--db", filled, "--format", "json", "--since", "2024-01-15"], capsys)
    assert [e["kind"] for e in json.loads(out)] == ["tag-vanished"]
    _, out, _ = run(["events", "--db", filled, "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5 and rows[2]["new_os_codename"] == "bookworm"
    _, out, _ = run(["events", "--db", filled], capsys)
    assert "os-release" in out and "python:3.11-slim" in out and "Debian 12 (bookworm)" in out


def test_pending_deliveries(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = HistoryStore.open(filled)
    store.enqueue_deliveries([e.id for e in store.events()][:2], ["apprise:3f2a"])
    _, out, _ = run(["events", "--db", filled, "--pending", "--format", "json"], capsys)
    pending = json.loads(out)
    assert [(p["destination"], p["status"], p["attempts"]) for p in pending] == [
        ("apprise:3f2a", "pending", 0)
    ] * 2
    assert pending[0]["event"]["kind"] == "os-point-release"


def test_history_timeline(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["history", REF, "--db", filled, "--format", "json", "--platform", "linux/amd64"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert data["reference"] == CANONICAL
    entries = data["entries"]
    assert [(e["platform"], e["os"] and e["os"]["codename"]) for e in entries] == [
        ("linux/amd64", "bullseye"),
        ("linux/amd64", "bookworm"),
        (None, None),
    ]
    assert (entries[0]["first_seen"], entries[0]["last_seen"]) == (
        "2024-01-01T00:00:00Z",
        "2024-01-02T00:00:00Z",
    )
    assert [e["kind"] for e in entries[1]["events"]] == ["os-release"]
    assert [e["kind"] for e in entries[2]["events"]] == ["tag-vanished"]
    code, out, _ = run(
        ["history", REF, "--db", filled, "--format", "json", "--platform", "linux/amd64"]
        + ["--platform", "linux/arm64"],  # repeated; no variant matches arm64/v8
        capsys,
    )
    assert code == 0
    assert [e["platform"] for e in json.loads(out)["entries"]] == [
        "linux/amd64",
        "linux/arm64/v8",
        "linux/amd64",
        "linux/arm64/v8",
        None,
    ]
    _, out, _ = run(["history", REF, "--db", filled], capsys)
    assert "Debian 11 (bullseye)" in out and "linux/arm64/v8" in out and "(tag missing)" in out
    _, out, _ = run(["history", REF, "--db", filled, "--format", "csv"], capsys)
    assert len(list(csv.DictReader(io.StringIO(out)))) == 5
    _, out, _ = run(["history", "redis:7", "--db", filled], capsys)
    assert out.strip() == "no history for docker.io/library/redis:7"


def test_db_upgrade_then_already_current(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["db", "upgrade", "--db", postgres_url], capsys)
    assert code == 0 and out.strip().endswith(f"schema none -> revision {migrations.HEAD}")
    assert "postgresql+psycopg://****@" in out  # user-info is masked in every output
    code, out, _ = run(["db", "upgrade", "--db", postgres_url], capsys)
    assert code == 0 and out.strip().endswith(f"schema already at revision {migrations.HEAD}")


def test_db_comes_from_env_then_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'db = "{tmp_path / "from-config.db"}"\n')
    monkeypatch.delenv("DRIFTWATCH_DB", raising=False)
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    assert run(["--config", str(config), "db", "upgrade"], capsys)[0] == 0
    assert (tmp_path / "from-config.db").exists()
    monkeypatch.setenv("DRIFTWATCH_DB", str(tmp_path / "from-env.db"))
    assert run(["--config", str(config), "db", "upgrade"], capsys)[0] == 0
    assert (tmp_path / "from-env.db").exists()


def _driftwatch(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from driftwatch.cli import main; main(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "--db", "postgresql://dw:s3cret@127.0.0.1:1/dw"], "cannot open the database"),
        (["events", "--db", "mysql://dw:s3cret@h/dw"], "only sqlite:///FILE and postgresql"),
        (["events", "--since", "yesterday", "--db", "{tmp}/x.db"], "--since 'yesterday'"),
        (["history", "Python:3", "--db", "{tmp}/x.db"], "repository name must be lowercase"),
        (
            ["history", "python:3", "--platform", "amd64", "--db", "{tmp}/x.db"],
            "--platform: platform 'amd64'",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = _driftwatch(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_newer_schema_is_exit_2_with_a_clear_message(sqlite_url: str) -> None:
    HistoryStore.upgrade(sqlite_url)
    import sqlite3

    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0007'")
    result = _driftwatch("events", "--db", sqlite_url)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "driftwatch: error: the database schema is revision 0007, newer than this driftwatch "
        f"understands (revision {migrations.HEAD}): upgrade driftwatch"
    )
