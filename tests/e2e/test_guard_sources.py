"""The guard through every new source, against the bench registry: `lock` records the images
named by a GitHub workflow, a GitLab pipeline, a bake file and a Kubernetes manifest; when a tag
moves to a new OS release, `check` fails at the YAML (or HCL) line that names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.guard import driftwatch, make_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

FILES = {
    ".github/workflows/ci.yml": (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    container: dw-wf-py:3.12-slim\n    steps:\n      - run: pytest\n"
    ),
    ".gitlab-ci.yml": "test:\n  image: dw-gl-node:22\n  script: [npm test]\n",
    "docker-bake.hcl": (
        'target "app" {\n  dockerfile-inline = "FROM base"\n'
        '  contexts = {\n    base = "docker-image://dw-bake-base:1"\n  }\n}\n'
    ),
    "deploy/app.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n"
        "    - name: app\n      image: dw-k8s-app:2\n"
    ),
}
WHERE = {
    "dw-wf-py": (".github/workflows/ci.yml", 5, 16, "3.12-slim"),
    "dw-gl-node": (".gitlab-ci.yml", 2, 10, "22"),
    "dw-bake-base": ("docker-bake.hcl", 4, 28, "1"),
    "dw-k8s-app": ("deploy/app.yaml", 8, 14, "2"),
}


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> Path:
    for name, (_, _, _, tag) in WHERE.items():
        push_index(registry, f"library/{name}", tag, debian_index("bullseye", seed=f"{name}-a"))
    return make_project(tmp_path, registry, FILES)


def test_lock_records_every_source(project: Path) -> None:
    locked = driftwatch(project, "lock", ".")
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((project / "driftwatch.lock").read_text())
    references = {entry["reference"] for entry in lock["images"]}
    assert references == {f"docker.io/library/{n}:{t}" for n, (_, _, _, t) in WHERE.items()}
    assert driftwatch(project, "check", ".").returncode == 0


@pytest.mark.parametrize("name", sorted(WHERE))
def test_os_release_move_fails_check_at_the_line(
    project: Path, registry: RegistryServer, name: str
) -> None:
    assert driftwatch(project, "lock", ".").returncode == 0
    file, line, column, tag = WHERE[name]
    push_index(registry, f"library/{name}", tag, debian_index("bookworm", seed=f"{name}-b"))
    moved = driftwatch(project, "check", ".", "--format", "github")
    assert moved.returncode == 1, moved.stdout + moved.stderr
    assert f"::error file={file},line={line},col={column}," in moved.stdout
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in moved.stdout
    others = [n for n in WHERE if n != name]
    assert not any(f"::error file={WHERE[n][0]}," in moved.stdout for n in others)
    assert "::warning file=" in moved.stdout and "bullseye ended 2026-08-31 (LTS)" in moved.stdout


def test_sources_switched_off_are_not_locked(project: Path) -> None:
    done = driftwatch(project, "lock", "--sources", "kubernetes", ".")
    assert done.returncode == 0, done.stderr
    lock = json.loads((project / "driftwatch.lock").read_text())
    assert [entry["reference"] for entry in lock["images"]] == ["docker.io/library/dw-k8s-app:2"]
