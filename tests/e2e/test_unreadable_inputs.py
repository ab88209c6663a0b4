"""A file driftwatch cannot read (here: over the 8 MiB cap) holds images nobody checks: `scan` and
`pin` say so and exit 2 after doing the rest, as `check`, `lint` and `images` do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.faultscan import run_cli


def project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Containerfile").write_bytes(b"FROM alpine:3.20\n" + b"#" * (9 * 1024 * 1024))
    (root / "driftwatch.toml").write_text(f'retries = 0\ndb = "sqlite:///{root / "h.db"}"\n')
    return root


@pytest.mark.parametrize("command", [("scan", "."), ("pin", "."), ("pin", "--check", ".")])
def test_a_file_that_cannot_be_read_fails_the_run(tmp_path: Path, command: tuple[str, ...]) -> None:
    root = project(tmp_path / "repo")
    done = run_cli(root, *command)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Containerfile: larger than 8 MiB" in done.stderr
    assert "1 file(s) could not be read" in done.stderr
    assert "Traceback" not in done.stderr


def test_pin_check_says_both_the_unpinned_lines_and_the_unread_file(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    (root / "Dockerfile").write_text("FROM alpine:3.20\n")
    done = run_cli(root, "pin", "--check", ".")
    assert done.returncode == 1, done.stderr  # findings first, as scan and check
    assert "1 reference(s) to pin" in done.stderr
    assert "1 file(s) could not be read" in done.stderr
