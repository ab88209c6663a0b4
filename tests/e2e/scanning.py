"""Helpers for the scan end-to-end tests: a watch-list project, the CLI, the registry's DELETE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.clirun import run_driftwatch
from tests.testbed.registry import RegistryServer

ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


def unique_repo(prefix: str = "scan") -> str:
    """A Docker Hub-style repository name no other test uses (the registry is per session)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def write_project(folder: Path, endpoint: str, images: list[str]) -> Path:
    """A driftwatch.toml that sends docker.io to `endpoint` and watches `images` (no paths)."""
    folder.mkdir(parents=True, exist_ok=True)
    watch = ", ".join(json.dumps(image) for image in images)
    (folder / "driftwatch.toml").write_text(
        f'images = [{watch}]\n\n[registries."docker.io"]\nendpoint = "{endpoint}"\n'
    )
    return folder


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m driftwatch ARGS` in `cwd`, output captured, never raising."""
    return run_driftwatch(cwd, *args)


def start_cli(cwd: Path, *args: str) -> subprocess.Popen[str]:
    """The same, started in the background (for concurrent runs)."""
    return subprocess.Popen(
        [sys.executable, "-m", "driftwatch", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def cli_json(cwd: Path, *args: str) -> Any:
    """Run a command that must succeed with `--format json` and parse its output."""
    done = run_cli(cwd, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def prepare_db(cwd: Path, db_url: str) -> None:
    """PostgreSQL needs `driftwatch db upgrade` first (SQLite files are created on first use)."""
    if db_url.startswith("postgresql"):
        done = run_cli(cwd, "db", "upgrade", "--db", db_url)
        assert done.returncode == 0, done.stderr


def delete_tag(registry: RegistryServer, repo: str, tag: str) -> str:
    """Remove the manifest a tag points to (and so the tag); returns the deleted digest."""
    with httpx.Client(base_url=registry.url, timeout=30) as client:
        head = client.head(f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
        assert head.status_code == 200, head.status_code
        digest = head.headers["docker-content-digest"]
        gone = client.delete(f"/v2/{repo}/manifests/{digest}")
        assert gone.status_code == 202, gone.text
        assert (
            client.head(f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}).status_code
            == 404
        )
    return digest
