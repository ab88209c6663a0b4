"""`scan` at fleet scale, through the fault proxy: pull budget, deadline, shards, progress, limits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.faultscan import Fleet, drift_events, project, recorded, rows, run, start
from tests.faults.proxy import FaultProxy
from tests.faults.rules import Rule
from tests.testbed.registry import RegistryServer

SIZE = 5


@pytest.fixture
def fleet(registry: RegistryServer) -> Fleet:
    return Fleet.push(registry, SIZE)


@pytest.fixture
def proxy(registry: RegistryServer) -> Iterator[FaultProxy]:
    with FaultProxy(registry.url, seed=1) as running:
        yield running


@pytest.mark.parametrize("keep", [0, 4])
def test_pull_budget_stops_gets_before_the_registry_refuses(
    tmp_path: Path, fleet: Fleet, registry: RegistryServer, keep: int
) -> None:
    # a new image costs 3 pulls here (the index, then one manifest per platform for its OS)
    with FaultProxy(registry.url, seed=1, pull_budget=10) as hub:
        root = project(tmp_path, fleet, hub.url, keep_pulls=keep)
        scan = run(root)
        assert hub.budget is not None
        assert (hub.budget.counted, hub.budget.refused) == (10 - keep, 0), scan.stdout
    assert scan.returncode == 3, scan.stdout + scan.stderr
    checked = sum(digest is not None for digest in recorded(root, fleet).values())
    assert checked <= (10 - keep) // 3  # pulls are spent in request order, across images
    summary = [line for line in scan.stdout.splitlines() if "rate limit budget" in line]
    assert summary and summary[0].startswith(f"could not check {SIZE - checked} reference(s)")
    assert ": error: " not in scan.stdout  # summarised once, not one line per reference


def test_deadline_reports_what_was_not_done_and_records_no_drift(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy
) -> None:
    root = project(tmp_path, fleet, proxy.url)
    assert run(root).returncode == 0
    fleet.move(0, "trixie", "v2")
    proxy.set_rules([Rule("stall", method="HEAD", path="/app0/", stall=15)])
    began = time.monotonic()
    scan = run(root, "--deadline", "2")
    assert time.monotonic() - began < 10
    assert scan.returncode == 3, scan.stdout + scan.stderr
    assert f"could not check 1 reference(s): deadline ({fleet.name(0)})" in scan.stdout
    assert drift_events(root) == []
    proxy.set_rules([])
    assert run(root).returncode == 1  # the move is found by the next run


def test_shards_split_the_watch_list_and_share_one_postgresql_history(
    tmp_path: Path,
    fleet: Fleet,
    proxy: FaultProxy,
    postgres_url: str,  # noqa: F811 - fixture
) -> None:
    root = project(tmp_path, fleet, proxy.url)
    args = ("--db", postgres_url, "--format", "json")
    upgrade = subprocess.run(
        [sys.executable, "-m", "driftwatch", "db", "upgrade", "--db", postgres_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    jobs = [start(root, *args, "--shard", f"{i}/2") for i in (1, 2)]
    assert [job.wait(60) for job in jobs] == [0, 0]
    seen = []
    for i in (1, 2):
        done = run(root, *args, "--shard", f"{i}/2")
        assert done.returncode == 0, done.stderr
        seen.append(set(rows(done)))
    assert seen[0].isdisjoint(seen[1]) and seen[0] | seen[1] == set(fleet.names)
    from driftwatch.history import HistoryStore

    store = HistoryStore.open(postgres_url)
    try:
        assert store.observation_count() == SIZE  # each image once, whoever checked it
    finally:
        store.close()


def test_bad_shard_is_a_one_line_usage_error(tmp_path: Path, fleet: Fleet) -> None:
    root = project(tmp_path, fleet, "http://127.0.0.1:9")
    scan = run(root, "--shard", "3/2")
    assert scan.returncode == 2
    assert "Traceback" not in scan.stderr and "--shard" in scan.stderr


def test_progress_only_when_asked_or_on_a_terminal(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy
) -> None:
    root = project(tmp_path, fleet, proxy.url)
    quiet = run(root)
    assert quiet.returncode == 0 and "scan:" not in quiet.stderr
    loud = run(root, "--progress", "--format", "json")
    assert f"scan: {SIZE}/{SIZE} references" in loud.stderr
    assert len(json.loads(loud.stdout)["images"]) == SIZE  # stdout stays clean


def test_per_registry_concurrency_holds(tmp_path: Path, fleet: Fleet, proxy: FaultProxy) -> None:
    root = project(tmp_path, fleet, proxy.url, concurrency=2)
    scan = run(root)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert len(proxy.events) > 3 * SIZE
    assert proxy.max_active <= 2, proxy.max_active
