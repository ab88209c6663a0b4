"""Passwords in auth.json files and DOCKER_AUTH_CONFIG never show, and bad ones fail in one line.

The real CLI logs in to the Basic-auth registry with credentials from REGISTRY_AUTH_FILE, podman's
auth.json and GitLab's DOCKER_AUTH_CONFIG; then each is broken with the password inside. Outputs,
the lock file, the database and its WAL are searched for the password.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.clirun import run_driftwatch
from tests.names import unique_name
from tests.testbed.distros import debian_index
from tests.testbed.registry import READER, RegistryServer

PLANTED = "Plant3dAuthFilePw"


def auths(host: str, password: str = READER[1]) -> str:
    auth = base64.b64encode(f"{READER[0]}:{password}".encode()).decode()
    return json.dumps({"auths": {host: {"auth": auth}}})


def assert_clean(done: subprocess.CompletedProcess[str], *codes: int) -> str:
    output = done.stdout + done.stderr
    for secret in (READER[1], PLANTED):
        assert secret not in output, (done.args, output)
    assert "Traceback" not in output and "internal error" not in output, output
    assert done.returncode in codes, (done.args, output)
    return output


@pytest.fixture
def project(tmp_path: Path, basic_registry: RegistryServer) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()
    repo = unique_name("private/base")
    basic_registry.pusher.push_index(repo, "1", debian_index("bookworm", seed=repo))
    (root / "Dockerfile").write_text(f"FROM {basic_registry.host}/{repo}:1\n")
    return root


def run_all(project: Path, env: dict[str, str]) -> None:
    """lock, check, scan (SQLite) and resolve, each logged in: they succeed and show no secret."""
    db = {"DRIFTWATCH_DB": str(project / "history.db")}
    assert_clean(run_driftwatch(project, "lock", env=env), 0)
    assert_clean(run_driftwatch(project, "check", "--format", "json", env=env), 0)
    assert_clean(run_driftwatch(project, "scan", env={**env, **db}), 0)
    reference = (project / "Dockerfile").read_text().split()[1]
    assert_clean(run_driftwatch(project, "resolve", reference, env=env), 0)


def test_logged_in_from_each_new_source_without_showing_it(
    project: Path, basic_registry: RegistryServer, tmp_path: Path
) -> None:
    host = basic_registry.host
    explicit = tmp_path / "ci" / "auth.json"
    explicit.parent.mkdir()
    explicit.write_text(auths(host))
    run_all(project, {"REGISTRY_AUTH_FILE": str(explicit)})
    run_all(project, {"DOCKER_AUTH_CONFIG": auths(host)})
    podman = Path(os.environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
    podman.parent.mkdir(parents=True)
    podman.write_text(auths(host))
    run_all(project, {})
    written = [path for path in project.rglob("*") if path.is_file()]
    assert any(path.name == "history.db" for path in written)
    assert any(path.name == "driftwatch.lock" for path in written)
    for path in written:
        assert READER[1].encode() not in path.read_bytes(), path


def test_broken_sources_fail_in_one_line_naming_them(
    project: Path, basic_registry: RegistryServer, tmp_path: Path
) -> None:
    host = basic_registry.host
    cut_short = auths(host, PLANTED)[:-3]
    broken = tmp_path / "broken" / "auth.json"
    broken.parent.mkdir()
    broken.write_text(cut_short)
    cases = {
        f"REGISTRY_AUTH_FILE {broken}": {"REGISTRY_AUTH_FILE": str(broken)},
        "$DOCKER_AUTH_CONFIG": {"DOCKER_AUTH_CONFIG": cut_short},
        f"REGISTRY_AUTH_FILE {tmp_path}/missing.json": {
            "REGISTRY_AUTH_FILE": str(tmp_path / "missing.json")
        },
    }
    reference = (project / "Dockerfile").read_text().split()[1]
    for named, env in cases.items():
        for args in (("lock",), ("resolve", reference)):
            output = assert_clean(run_driftwatch(project, *args, env=env), 2)
            assert named in output, output
            assert len([line for line in output.splitlines() if named in line]) == 1, output
        assert not (project / "driftwatch.lock").exists()
