"""`scan` through the fault proxy in front of the bench registry: the guarantees of issue 8.

A fault is "could not check", never "changed"; transient faults are retried to the right answer;
permanent ones exit 3 with one line per reference and leave the baseline alone; a kill -9 leaves a
usable database; a manifest whose bytes do not match its digest is never believed. Every test
draws its faults from a seed that is printed (replay: FAULT_SEED=<seed>).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.e2e.faultscan import Fleet, drift_events, project, recorded, rows, run, start, store
from tests.faults.proxy import FaultProxy
from tests.faults.rules import ALL_FAULTS, Fault, Rule
from tests.testbed.registry import RegistryServer

SIZE = 4
ANSWER_FAULTS = tuple(f for f in ALL_FAULTS if f is not Fault.STALL)


@pytest.fixture
def fleet(registry: RegistryServer) -> Fleet:
    return Fleet.push(registry, SIZE)


def baseline(root: Path, fleet: Fleet) -> None:
    """A clean first scan: every image recorded at its true digest."""
    first = run(root, "--format", "json")
    assert first.returncode == 0, first.stderr
    assert recorded(root, fleet) == fleet.digests


def test_transient_faults_at_30_percent_are_retried_to_the_right_answer(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root = project(tmp_path, fleet, proxy.url, retries=4, timeout=1.0)
    baseline(root, fleet)
    rebuilt, released = fleet.move(0, "bookworm", "v2"), fleet.move(1, "trixie", "v2")
    proxy.set_rules([Rule("random", rate=0.3, per_path=2, stall=1.5)])
    scan = run(root, "--format", "json")
    note = f"seed {seed}: {scan.stderr}"
    assert scan.returncode == 1, note  # the trixie move fails the run, nothing else
    assert proxy.injections, note
    assert {name: row.get("digest") for name, row in rows(scan).items()} == fleet.digests, note
    assert recorded(root, fleet) == fleet.digests, note
    kinds = sorted((name, kind) for name, kind, _ in drift_events(root))
    assert kinds == [(fleet.name(0), "digest")] * 2 + [(fleet.name(1), "os-release")] * 2, note
    assert rebuilt != released


def test_any_mix_of_faults_never_records_a_change_that_did_not_happen(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root = project(tmp_path, fleet, proxy.url, retries=1, timeout=1.0)
    baseline(root, fleet)
    moved = fleet.move(2, "trixie", "v2")
    proxy.set_rules([Rule("random", rate=0.5, stall=1.5)])
    scan = run(root, "--format", "json")
    note = f"seed {seed}: {scan.stdout} {scan.stderr}"
    assert scan.returncode in (0, 1, 3), note
    assert "Traceback" not in scan.stderr, note
    for name, row in rows(scan).items():
        assert "error" in row or row["digest"] == fleet.digests[name], note
    for name, kind, _ in drift_events(root):
        assert (name, kind) == (fleet.name(2), "os-release"), note
    now = recorded(root, fleet)
    for name, digest in now.items():
        assert digest == fleet.digests[name] or (name == fleet.name(2) and digest != moved), note


def test_permanent_faults_exit_3_one_line_each_and_keep_the_baseline(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root = project(tmp_path, fleet, proxy.url, retries=1, timeout=1.0)
    baseline(root, fleet)
    before = dict(fleet.digests)
    fleet.move(0, "trixie", "v2")
    broken = {0: "503", 1: "reset", 2: "wrong-digest"}
    proxy.set_rules(
        [Rule(fault, method="HEAD", path=f"/app{i}/manifests/") for i, fault in broken.items()]
    )
    scan = run(root)
    note = f"seed {seed}: {scan.stdout} {scan.stderr}"
    assert scan.returncode == 3, note
    errors = [line for line in scan.stdout.splitlines() if ": error: " in line]
    assert sorted(line.split(": error: ")[0] for line in errors) == [
        fleet.name(i) for i in broken
    ], note
    assert "Traceback" not in scan.stderr
    assert recorded(root, fleet) == before, note
    assert drift_events(root) == [], note
    proxy.set_rules([])
    healed = run(root)
    assert healed.returncode == 1, healed.stdout + healed.stderr
    assert {kind for _, kind, _ in drift_events(root)} == {"os-release"}


def test_a_lying_registry_is_never_believed(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root = project(tmp_path, fleet, proxy.url, retries=1)
    proxy.set_rules([Rule("wrong-digest", method="HEAD")])
    first = run(root, "--format", "json")
    assert first.returncode == 3, first.stdout
    assert {row.get("error", "")[-40:] for row in rows(first).values()} != {""}
    assert recorded(root, fleet) == dict.fromkeys(fleet.names)  # no digest taken on trust
    proxy.set_rules([])
    baseline(root, fleet)
    fleet.move(1, "bookworm", "v2")
    proxy.set_rules([Rule("wrong-digest", method="HEAD"), Rule("corrupt", method="GET")])
    lied = run(root, "--format", "json")
    assert lied.returncode == 3, lied.stdout
    assert all("error" in row for row in rows(lied).values()), lied.stdout
    assert drift_events(root) == []


def test_kill_9_mid_scan_leaves_a_database_the_next_scan_uses(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root = project(tmp_path, fleet, proxy.url)
    baseline(root, fleet)
    fleet.move(2, "trixie", "v2")
    proxy.set_rules([Rule("stall", method="HEAD", path="/app3/", stall=20)])
    victim = start(root)
    deadline = time.monotonic() + 20
    while not any(e.path.endswith("/app3/manifests/1") for e in proxy.events):
        assert time.monotonic() < deadline and victim.poll() is None, "scan never got going"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL
    proxy.set_rules([])
    after = run(root)
    assert after.returncode == 1, after.stdout + after.stderr
    assert recorded(root, fleet) == fleet.digests
    assert sorted(kind for _, kind, _ in drift_events(root)) == ["os-release"] * 2
    db = store(root)
    try:
        assert db.observation_count() >= SIZE
    finally:
        db.close()
