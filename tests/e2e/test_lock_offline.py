"""`lock` with no registry reachable (offline, a newcomer's first try): exit 3 and no lock file,
never a lock of zero images that `check` would then pass with warnings only."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.faultscan import run_cli
from tests.testbed.registry import free_port


def offline_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nFROM alpine:3.20\n")
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    (root / "driftwatch.toml").write_text(
        f'retries = 0\ntimeout = 2.0\n[registries."docker.io"]\nendpoint = "{endpoint}"\n'
    )
    return root


def test_an_offline_lock_writes_no_file(tmp_path: Path) -> None:
    root = offline_project(tmp_path / "repo")
    done = run_cli(root, "lock")
    assert done.returncode == 3, done.stderr
    assert "not written: no image could be locked" in done.stderr
    assert not (root / "driftwatch.lock").exists()
    check = run_cli(root, "check")
    assert check.returncode != 0, check.stderr  # the missing lock is an input error


def test_an_offline_lock_leaves_an_existing_lock_as_it_was(tmp_path: Path) -> None:
    root = offline_project(tmp_path / "repo")
    lock = root / "driftwatch.lock"
    lock.write_text('{\n  "images": [],\n  "version": 1\n}\n')
    before = lock.read_bytes()
    done = run_cli(root, "lock")
    assert done.returncode == 3
    assert lock.read_bytes() == before
