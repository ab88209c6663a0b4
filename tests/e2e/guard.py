"""Helpers for the guard-CI end-to-end tests: run the real CLI in a project sent to the bench."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.clirun import run_driftwatch
from tests.testbed.registry import RegistryServer


def driftwatch(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m driftwatch ARGS` in `cwd`, as a user would run it."""
    return run_driftwatch(cwd, *args, env=env)


def write_config(root: Path, registry: RegistryServer, extra: str = "") -> None:
    """driftwatch.toml sending docker.io to the bench registry (fast failure, no retries)."""
    (root / "driftwatch.toml").write_text(
        f'retries = 0\ntimeout = 10\n[registries."docker.io"]\nendpoint = "{registry.url}"\n'
        + extra
    )


def make_project(root: Path, registry: RegistryServer, files: dict[str, str]) -> Path:
    """A project folder with `files` (path -> text) and the bench config."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    write_config(root, registry)
    return root
