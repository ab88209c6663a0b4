"""The incident, end to end against a real registry: lock on bullseye, tag moves to bookworm,
`check` fails naming both releases and the fix; lock again and it passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.distros import debian_index
from tests.bench.registry import RegistryServer, push_index


def driftwatch(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "driftwatch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> Path:
    """A repository whose Dockerfile says `FROM python:3.12-slim`, with docker.io sent to the bench."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install app\n")
    (tmp_path / "driftwatch.toml").write_text(
        f'[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )
    return tmp_path


def test_lock_then_os_release_move_fails_check_with_the_fix(
    project: Path, registry: RegistryServer
) -> None:
    old = push_index(registry, "library/python", "3.12-slim", debian_index("bullseye", seed="a"))
    locked = driftwatch(project, "lock", ".")
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((project / "driftwatch.lock").read_text())
    image = lock["images"][0]
    assert image["reference"] == "docker.io/library/python:3.12-slim"
    assert image["digest"] == old
    assert {p["os"]["codename"] for p in image["platforms"]} == {"bullseye"}

    assert driftwatch(project, "check", ".").returncode == 0

    push_index(registry, "library/python", "3.12-slim", debian_index("bookworm", seed="b"))
    outputs, summary = project / "out.txt", project / "summary.md"
    moved = driftwatch(
        project,
        "check",
        ".",
        "--format",
        "github",
        env={"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert moved.returncode == 1, moved.stderr
    assert "::error file=Dockerfile,line=1,col=6," in moved.stdout
    assert "bullseye" in moved.stdout and "bookworm" in moved.stdout
    assert f"FROM python:3.12-slim@{old}" in moved.stdout
    assert "drift=true" in outputs.read_text()
    assert "bookworm" in summary.read_text()

    assert driftwatch(project, "lock", ".").returncode == 0
    assert driftwatch(project, "check", ".").returncode == 0


def test_rebuild_on_same_release_is_a_notice_unless_fail_on_digest(
    project: Path, registry: RegistryServer
) -> None:
    push_index(registry, "library/python", "3.13-slim", debian_index("trixie", seed="c"))
    (project / "Dockerfile").write_text("FROM python:3.13-slim\n")
    assert driftwatch(project, "lock").returncode == 0
    push_index(registry, "library/python", "3.13-slim", debian_index("trixie", seed="d"))
    rebuilt = driftwatch(project, "check")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "rebuilt on the same OS" in rebuilt.stdout
    assert driftwatch(project, "check", "--fail-on", "digest").returncode == 1


def test_missing_lock_file_exits_2(project: Path) -> None:
    result = driftwatch(project, "check")
    assert result.returncode == 2
    assert "driftwatch lock" in result.stderr
    assert "Traceback" not in result.stderr
