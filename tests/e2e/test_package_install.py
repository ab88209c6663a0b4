"""The built wheel installed with pipx into an empty home, used as a user would: `--version`, then
the incident (examples/incident) locked on bullseye and checked after the tag moved to bookworm,
against the suite's local registry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from driftwatch import __version__
from driftwatch.history import migrations
from tests.packaging import REPO, Dists
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index


@pytest.fixture(scope="module")
def installed(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pipx install` of the wheel with PIPX_HOME and the bin folder in a temporary home."""
    home = tmp_path_factory.mktemp("pipx-home")
    pipx = shutil.which("pipx", path=str(Path(sys.executable).parent))
    assert pipx, "pipx comes with the test extra"
    env = _clean_env(home)
    done = subprocess.run(
        [pipx, "install", str(dists.wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    command = home / "bin" / "driftwatch"
    assert command.exists()
    return command


def _clean_env(home: Path) -> dict[str, str]:
    """A user's environment with nothing of this venv or of driftwatch's test settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DRIFTWATCH_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        HOME=str(home),
        PIPX_HOME=str(home / "pipx"),
        PIPX_BIN_DIR=str(home / "bin"),
        PIPX_MAN_DIR=str(home / "man"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        PATH=f"{home / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
    )
    return env


def _driftwatch(command: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(command), *args],
        cwd=cwd,
        env=_clean_env(command.parents[1]),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_pipx_installed_wheel_prints_its_version(installed: Path, tmp_path: Path) -> None:
    done = _driftwatch(installed, tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"driftwatch, version {__version__}"
    # the command runs the pipx venv's own copy, not this checkout
    venv_python = installed.parents[1] / "pipx" / "venvs" / "driftwatch" / "bin" / "python"
    where = subprocess.run(
        [venv_python, "-I", "-c", "import driftwatch; print(driftwatch.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where and str(REPO) not in where


def test_pipx_installed_wheel_checks_the_incident(
    installed: Path, tmp_path: Path, registry: RegistryServer
) -> None:
    project = tmp_path / "incident"
    shutil.copytree(REPO / "examples" / "incident", project)
    config = project / "driftwatch.toml"
    config.write_text(config.read_text().replace("http://127.0.0.1:5000", registry.url))
    push_index(registry, "library/python", "3.12-slim", debian_index("bullseye", seed="pkg-1"))
    locked = _driftwatch(installed, project, "lock")
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert _driftwatch(installed, project, "check").returncode == 0
    push_index(registry, "library/python", "3.12-slim", debian_index("bookworm", seed="pkg-2"))
    moved = _driftwatch(installed, project, "check")
    assert moved.returncode == 1, moved.stdout + moved.stderr
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in moved.stdout
    assert "FROM python:3.12-slim@sha256:" in moved.stdout


def test_pipx_installed_wheel_migrates_with_its_packaged_alembic_revisions(
    installed: Path, tmp_path: Path
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    db = tmp_path / "data" / "history.db"
    created = _driftwatch(installed, cwd, "db", "upgrade", "--db", str(db))
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f"sqlite:///{db}: schema none -> revision {migrations.HEAD}"
    again = _driftwatch(installed, cwd, "db", "upgrade", "--db", str(db))
    assert again.stdout.strip().endswith(f"schema already at revision {migrations.HEAD}"), (
        again.stderr
    )
    assert list(cwd.iterdir()) == []  # nothing read from or written to the working directory
