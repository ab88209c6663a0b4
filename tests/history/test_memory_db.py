"""An in-memory SQLite history is refused by every command that keeps history (exit 2, one line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.cli import main

MEMORY = ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://", "sqlite:///f?mode=memory"]
COMMANDS = [
    ("scan", "--images-only"),
    ("history", "alpine:3"),
    ("events",),
    ("db", "upgrade"),
    ("notify", "--retry", "--notify", "json://127.0.0.1:9/x"),
]


@pytest.mark.parametrize("url", MEMORY)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("via", ["env", "flag", "config"])
def test_in_memory_history_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    command: tuple[str, ...],
    via: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [arg for arg in command if arg != "--images-only"]
    if via == "env":
        monkeypatch.setenv("DRIFTWATCH_DB", url)
    elif via == "flag":
        args += ["--db", url]
    else:
        (tmp_path / "driftwatch.toml").write_text(f'db = "{url}"\n')
    if command[0] == "scan":
        args.append(str(tmp_path))
    with pytest.raises(SystemExit) as info:
        main(args)
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "is an in-memory database" in err and err.count("\n") == 1
