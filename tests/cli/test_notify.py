"""`driftwatch notify --test` end to end: real process, real receivers, exit codes, masked output."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.clirun import run_driftwatch
from tests.receivers import HttpReceiver, free_port

pytestmark = pytest.mark.slow  # each test starts the CLI and real receivers


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_driftwatch(cwd, *args, env=env, drop=("DRIFTWATCH_",), timeout=60)


def test_all_destinations_ok_exit_0(tmp_path: Path) -> None:
    with HttpReceiver() as first, HttpReceiver() as second:
        result = run(
            "notify",
            "--test",
            "--notify",
            first.url("first-secret-1"),
            cwd=tmp_path,
            env={"DRIFTWATCH_NOTIFY": second.url("second-secret-2")},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"ok      json://127.0.0.1:{second.port}/****",
            f"ok      json://127.0.0.1:{first.port}/****",
        ]
        assert len(first.posts) == len(second.posts) == 1
        assert first.posts[0].json["title"] == "driftwatch test message"


def test_one_failure_exit_3_with_masked_lines(tmp_path: Path) -> None:
    down = f"json://127.0.0.1:{free_port()}/down-secret-3"
    with HttpReceiver() as up:
        (tmp_path / "driftwatch.toml").write_text(
            f'notify = ["{up.url("up-secret-4")}", "{down}"]\n'
        )
        result = run("notify", "--test", cwd=tmp_path)
    assert result.returncode == 3
    lines = result.stdout.splitlines()
    assert lines[0] == f"ok      json://127.0.0.1:{up.port}/****"
    assert lines[1].startswith(
        f"failed  json://127.0.0.1:{down.split(':')[2].split('/')[0]}/****: "
    )
    output = result.stdout + result.stderr
    assert "secret" not in output and "Traceback" not in output


def test_invalid_url_is_a_one_line_config_error_exit_2(tmp_path: Path) -> None:
    result = run("notify", "--test", "--notify", "slack://only-one-secret-token", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "--notify[0] (slack://****)" in result.stderr
    assert "only-one-secret-token" not in result.stderr


def test_no_destinations_and_missing_action_exit_2(tmp_path: Path) -> None:
    result = run("notify", "--test", cwd=tmp_path)
    assert result.returncode == 2 and "no notification destinations" in result.stderr
    result = run("notify", "--notify", "json://127.0.0.1:1/x", cwd=tmp_path)
    assert result.returncode == 2 and "notify --test" in result.stderr


def test_retry_with_an_empty_outbox_sends_nothing(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    result = run(
        "notify", "--retry", "--db", str(db), "--notify", "json://127.0.0.1:1/x", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "nothing pending" in result.stderr
    assert db.exists()
