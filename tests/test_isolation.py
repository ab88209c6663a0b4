"""The autouse `_isolated_env` fixture: no CI or driftwatch variable reaches a test or its children."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
JUNK = {
    "DRIFTWATCH_DB": "junk",
    "DRIFTWATCH_NOTIFY": "junk",
    "DRIFTWATCH_CONFIG": "/nonexistent/junk.toml",
    "GITHUB_OUTPUT": "/nonexistent/junk",
    "GITHUB_STEP_SUMMARY": "/nonexistent/junk",
    "GITLAB_CI": "true",
    "RUNNER_TEMP": "/nonexistent/junk",
    "CI": "true",
    "NO_COLOR": "1",
    "REGISTRY_AUTH_FILE": "/nonexistent/auth.json",
    "DOCKER_AUTH_CONFIG": "junk",
}
_CHILD = (
    "import json, os; print(json.dumps({k: v for k, v in os.environ.items() "
    "if k.startswith(('DRIFTWATCH_', 'GITHUB_', 'GITLAB_', 'RUNNER_', 'XDG_')) "
    "or k in ('CI', 'NO_COLOR', 'FORCE_COLOR', 'DOCKER_CONFIG', 'REGISTRY_AUTH_FILE', "
    "'DOCKER_AUTH_CONFIG')}))"
)


def test_no_leaky_variable_reaches_a_test_or_its_children(tmp_path: Path) -> None:
    """In the test and in a child process: only the fixture's own cache, XDG and Docker dirs."""
    child = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
    )
    seen = json.loads(child.stdout)
    assert set(seen) == {
        "DRIFTWATCH_CACHE_DIR",
        "DOCKER_CONFIG",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_STATE_HOME",
        "XDG_RUNTIME_DIR",
    }
    assert all(Path(value).is_relative_to(tmp_path) for value in seen.values()), seen
    assert not set(JUNK) & set(os.environ)


@pytest.mark.slow  # a pytest run in a process of its own
def test_a_polluted_environment_changes_nothing(tmp_path: Path) -> None:
    """The check above, run by a pytest started with junk CI and driftwatch variables set."""
    probe = "tests/test_isolation.py::test_no_leaky_variable_reaches_a_test_or_its_children"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            probe,
        ],
        cwd=REPO,
        env={**os.environ, **JUNK},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
