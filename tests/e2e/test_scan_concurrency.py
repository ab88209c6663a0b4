"""Eight `driftwatch scan` processes at once on one history (SQLite file, PostgreSQL): every run and
observation is kept, each drift is recorded and reported exactly once, nobody sees a lock error."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from driftwatch.history import HistoryStore
from driftwatch.history.tables import RUNS
from driftwatch.reference import parse_reference
from tests.e2e.scanning import cli_json, prepare_db, run_cli, start_cli, unique_repo, write_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

PROCESSES = 8
TAGS = [f"t{n}" for n in range(6)]


def test_eight_concurrent_scans_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, registry: RegistryServer, db_url: str
) -> None:
    repo = unique_repo("conc")
    images = [f"{repo}:{tag}" for tag in TAGS]
    project = write_project(tmp_path / "p", registry.url, images)
    prepare_db(project, db_url)
    now = {
        tag: push_index(registry, f"library/{repo}", tag, debian_index("bullseye", seed=f"{tag}-1"))
        for tag in TAGS
    }
    baseline = run_cli(project, "scan", "--db", db_url)
    assert baseline.returncode == 0, baseline.stderr

    now["t0"] = push_index(registry, f"library/{repo}", "t0", debian_index("bookworm", seed="t0-2"))
    for tag in ("t1", "t2"):
        now[tag] = push_index(
            registry, f"library/{repo}", tag, debian_index("bullseye", seed=f"{tag}-2")
        )
    runs = [
        start_cli(project, "scan", "--db", db_url, "--format", "json", "--fail-on", "never")
        for _ in range(PROCESSES)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
        assert "locked" not in stderr.lower() and "Traceback" not in stderr, stderr
    reported = Counter(
        (row["reference"], drift["platform"], drift["kind"])
        for stdout, _ in outputs
        for row in json.loads(stdout)["images"]
        for drift in row["drifts"]
    )
    expected = {
        (f"{repo}:t0", "linux/amd64", "os-release"),
        (f"{repo}:t0", "linux/arm64/v8", "os-release"),
        (f"{repo}:t1", "linux/amd64", "digest"),
        (f"{repo}:t1", "linux/arm64/v8", "digest"),
        (f"{repo}:t2", "linux/amd64", "digest"),
        (f"{repo}:t2", "linux/arm64/v8", "digest"),
    }
    assert reported == Counter(expected)  # each drift reported by exactly one of the runs

    events = cli_json(project, "events", "--db", db_url)
    stored = Counter(
        (e["reference"].removeprefix("docker.io/library/"), e["platform"], e["kind"])
        for e in events
    )
    told = {(f"{repo}:{tag}", None, "os-eol") for tag in TAGS}  # the baseline: bullseye ended
    assert stored == Counter(expected | told)  # and the concurrent runs did not tell it again

    store = HistoryStore.open(db_url)
    try:
        assert store.observation_count() == len(TAGS) + 3
        with store.engine.connect() as conn:
            rows = conn.execute(select(RUNS.c.checked, RUNS.c.finished_at, RUNS.c.errors)).all()
        assert len(rows) == PROCESSES + 1
        assert all(r.checked == len(TAGS) and r.finished_at and r.errors == 0 for r in rows)
        for tag, digest in now.items():
            latest = store.latest(parse_reference(f"{repo}:{tag}"))
            assert latest is not None and latest.digest == digest
    finally:
        store.close()
