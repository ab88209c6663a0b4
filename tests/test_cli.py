"""The CLI shell: version, help start-up cost, and one-line errors with distinct exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import driftwatch

DRIFTWATCH = [sys.executable, "-m", "driftwatch"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DRIFTWATCH, *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert driftwatch.__version__ in result.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from driftwatch.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx', 'sqlmodel', 'sqlalchemy', 'apprise') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "driftwatch.toml").write_text("bogus = 1\n")
    result = run("resolve", "python:3", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key 'bogus'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_public_api_names() -> None:
    assert set(driftwatch.__all__) >= {"parse_reference", "ImageReference", "InvalidReference"}
    for name in driftwatch.__all__:
        assert hasattr(driftwatch, name)
