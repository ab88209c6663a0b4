"""The GitLab template and the pre-commit hooks: they load, and the commands they run exist,
accept those flags and behave as the template promises against a real project."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.guard import driftwatch, make_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

REPO = Path(__file__).parents[2]
PINNED = f"FROM python:3.12-slim-bookworm@sha256:{'1' * 64}\n"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a CI script line with this venv's driftwatch first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={**os.environ, **env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_gitlab_template_produces_the_code_quality_artifact(
    tmp_path: Path, registry: RegistryServer
) -> None:
    template = _yaml(REPO / "ci" / "gitlab" / "driftwatch.gitlab-ci.yml")
    job = template["driftwatch"]
    report = job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always"
    variables = {k: str(v) for k, v in template["variables"].items()}
    install, *commands = job["script"]
    assert install.startswith("pip install") and "driftwatch" in install
    assert any(f"--output {report}" in c and "--format gitlab" in c for c in commands)

    root = make_project(tmp_path, registry, {"Dockerfile": "FROM dw-gitlab:1\n"})
    push_index(registry, "library/dw-gitlab", "1", debian_index("bullseye", seed="g1"))
    assert driftwatch(root, "lock").returncode == 0
    env = {**variables, "CI_PROJECT_DIR": str(root)}
    # pip install is skipped: this venv's driftwatch is already on PATH
    for command in commands:
        assert _bash(command, root, env).returncode == 0
    clean = json.loads((root / report).read_text())  # no drift: only bullseye's end of life
    assert [(i["check_name"], i["severity"]) for i in clean] == [("os-eol", "minor")]

    push_index(registry, "library/dw-gitlab", "1", debian_index("bookworm", seed="g2"))
    failed = [_bash(command, root, env) for command in commands][-1]
    assert failed.returncode == 1, failed.stderr
    issues = [i for i in json.loads((root / report).read_text()) if i["check_name"] != "os-eol"]
    assert {i["location"]["path"] for i in issues} == {"Dockerfile"}
    assert {i["severity"] for i in issues} == {"major"}
    assert all("bookworm" in i["description"] and i["fingerprint"] for i in issues)


@pytest.fixture
def hooks() -> dict[str, dict[str, Any]]:
    listed = _yaml(REPO / ".pre-commit-hooks.yaml")
    return {hook["id"]: hook for hook in listed}


def test_pre_commit_hooks_shape_and_file_patterns(hooks: dict[str, dict[str, Any]]) -> None:
    assert set(hooks) == {"driftwatch-lint", "driftwatch-pin-check"}
    matching = [
        "Dockerfile",
        "services/api/Dockerfile",
        "Containerfile",
        "Dockerfile.dev",
        "build.Dockerfile",
        "compose.yaml",
        "docker-compose.yml",
        "deploy/docker-compose.prod.yaml",
    ]
    other = ["README.md", "Dockerfile.md/x.txt", "src/app.py", "composer.json"]
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is True
        assert hook["entry"].startswith("driftwatch ") and hook["name"] and hook["description"]
        pattern = re.compile(hook["files"])
        assert all(pattern.search(name) for name in matching), hook["id"]
        assert not any(pattern.search(name) for name in other), hook["id"]


@pytest.mark.parametrize(
    ("hook", "unpinned_says"),
    [("driftwatch-lint", "DW003"), ("driftwatch-pin-check", "is not pinned")],
)
def test_pre_commit_hooks_run_on_the_files_they_are_given(
    hooks: dict[str, dict[str, Any]], tmp_path: Path, hook: str, unpinned_says: str
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "Dockerfile").write_text(PINNED)
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  db:\n    image: postgres:16-bookworm@sha256:{'2' * 64}\n"
    )
    entry = hooks[hook]["entry"]
    clean = _bash(f"{entry} Dockerfile compose.yaml", tmp_path, {})
    assert clean.returncode == 0, clean.stdout + clean.stderr
    dirty = _bash(f"{entry} Dockerfile svc/Dockerfile", tmp_path, {})
    assert dirty.returncode == 1
    assert (
        unpinned_says in dirty.stdout + dirty.stderr
        and "svc/Dockerfile" in dirty.stdout + dirty.stderr
    )


def test_nightly_example_uses_the_action_with_the_cached_history() -> None:
    """The example's steps fit the action (its scan is run for real in tests/e2e/test_action.py)."""
    workflow = _yaml(REPO / ".github" / "workflows" / "driftwatch-nightly.example.yml")
    action = _yaml(REPO / "ci" / "github" / "action.yml")
    steps = workflow["jobs"]["watch"]["steps"]
    [cache] = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    [scan] = [s for s in steps if s.get("name") == "Scan"]
    assert scan["uses"].startswith("your-org/driftwatch/ci/github@")
    assert set(scan["with"]) <= set(action["inputs"])
    assert scan["with"]["command"] == "scan"
    assert scan["with"]["history"] == cache["with"]["path"]
    assert scan["with"]["notify"] == "${{ secrets.DRIFTWATCH_NOTIFY }}"
    check = workflow["jobs"]["check"]["steps"]
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in check)
