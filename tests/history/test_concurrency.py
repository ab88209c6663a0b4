"""Eight processes recording at once, and a run killed with SIGKILL, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from driftwatch.history import HistoryStore
from driftwatch.models import DriftKind
from driftwatch.reference import parse_reference

from .helpers import debian, observe
from .record_worker import MANY, PRIVATE_BUILDS, SHARED

pytestmark = pytest.mark.slow  # eight processes per test

WORKER = Path(__file__).with_name("record_worker.py")
WORKERS = 8


def _start(url: str, worker: int, phase: int, sync: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, str(WORKER), url, str(worker), str(phase), str(sync)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _release(sync: Path, count: int, procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait until every worker is ready, then let them all go at once."""
    deadline = time.monotonic() + 60
    while len(list(sync.glob("ready-*"))) < count:
        failed = [p for p in procs if p.poll() is not None]
        if failed:
            pytest.fail(failed[0].communicate()[1].decode()[-2000:])
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.02)
    (sync / "go").touch()


def _phase(url: str, phase: int, tmp_path: Path) -> None:
    sync = tmp_path / f"phase{phase}"
    sync.mkdir()
    procs = [_start(url, w, phase, sync) for w in range(WORKERS)]
    _release(sync, WORKERS, procs)
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"locked" not in err


def test_eight_concurrent_runs_lose_nothing_and_duplicate_nothing(
    db_url: str, tmp_path: Path
) -> None:
    if db_url.startswith("postgresql"):
        HistoryStore.upgrade(db_url)  # SQLite: the workers create the new file's schema at once
    _phase(db_url, 1, tmp_path)
    _phase(db_url, 2, tmp_path)
    store = HistoryStore.open(db_url)
    assert store.observation_count() == len(SHARED) * 2 + WORKERS * PRIVATE_BUILDS * 2
    events = store.events()
    releases = [e for e in events if e.drift.kind is DriftKind.OS_RELEASE]
    assert len(releases) == len(SHARED) * 2  # one per shared reference and platform
    assert {(str(e.drift.reference), e.drift.platform) for e in releases} == {
        (str(parse_reference(ref)), p) for ref in SHARED for p in ("linux/amd64", "linux/arm64/v8")
    }
    digests = [e for e in events if e.drift.kind is DriftKind.DIGEST]
    assert len(digests) == WORKERS * (PRIVATE_BUILDS * 2 - 1) * 2
    assert len(events) == len(releases) + len(digests)


def test_a_killed_run_leaves_whole_observations(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("postgresql"):
        HistoryStore.upgrade(db_url)
    sync = tmp_path / "kill"
    sync.mkdir()
    proc = _start(db_url, 0, 0, sync)
    _release(sync, 1, [proc])
    store = HistoryStore.open(db_url)
    deadline = time.monotonic() + 60
    while store.observation_count() < 15:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store.close()
    _assert_whole(db_url)
    store = HistoryStore.open(db_url)
    ref = parse_reference("example.test/killed/w0:1")
    previous = store.latest(ref)
    assert previous is not None and len(previous.platforms) == len(MANY)
    run = store.start_run("manual")
    drifts = store.record(run, observe(ref, 10_000, "after", debian("trixie"), MANY))
    assert [d.kind for d in drifts] == [DriftKind.OS_RELEASE] * len(MANY)
    assert {d.old.digest for d in drifts if d.old} == {p.digest for p in previous.platforms}


def _assert_whole(url: str) -> None:
    """Every observation has all its platforms; SQLite's own integrity check passes."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        if url.startswith("sqlite"):
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        counts = conn.execute(
            text(
                "SELECT o.id, count(p.id) FROM observation o "
                "LEFT JOIN observation_platform p ON p.observation_id = o.id GROUP BY o.id"
            )
        ).all()
    engine.dispose()
    assert counts and all(n == len(MANY) for _, n in counts)
