"""`driftwatch images`, `lint` and `pin --check` through the real console entry point."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.clirun import run_driftwatch

D = "sha256:" + "c" * 64


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_driftwatch(cwd, *args, env=env, drop=("DRIFTWATCH_", "GITHUB_"), timeout=60)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("ARG V\nFROM python:3.12-slim\nFROM alpine:$V\n")
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:16.2-bookworm\n")
    (tmp_path / "driftwatch.toml").write_text('[lint]\ndisable = ["DW002"]\n')
    return tmp_path


def test_images_json(repo: Path) -> None:
    result = run(repo, "images", "--format", "json", "--build-arg", "V=3.19")
    assert result.returncode == 0, result.stderr
    (repo / "junk.Dockerfile").write_bytes(b"\x00\x01binary")
    result = run(repo, "images", "--format", "json", "--build-arg", "V=3.19")
    assert result.returncode == 2, result.stderr  # a file the gate cannot read fails it
    records = json.loads(result.stdout)
    assert [(r["file"], r["line"], r["column"], r["kind"]) for r in records] == [
        ("compose.yaml", 3, 12, "compose"),
        ("svc/Dockerfile", 2, 6, "from"),
        ("svc/Dockerfile", 3, 6, "from"),
    ]
    assert records[2]["written"] == "alpine:$V"
    assert records[2]["reference"] == "docker.io/library/alpine:3.19"
    assert records[1]["problem"] is None
    assert "junk.Dockerfile: binary file" in result.stderr
    assert "Traceback" not in result.stderr


def test_images_text_reports_unresolved(repo: Path) -> None:
    result = run(repo, "images")
    assert result.returncode == 0
    assert "svc/Dockerfile:3:6\tfrom\talpine:$V\t(unresolved: ARG V has no default" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "3 image references in 2 files"


def test_images_summary_is_singular_for_one(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\n")
    result = run(tmp_path, "images")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "1 image reference in 1 file"
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(
        '{\n  // the base image\n  "image": "mcr.microsoft.com/devcontainers/base:bookworm",\n}\n'
    )
    result = run(tmp_path, "images")
    assert result.returncode == 0, result.stderr
    assert (
        ".devcontainer/devcontainer.json:3:13\tdevcontainer\t"
        "mcr.microsoft.com/devcontainers/base:bookworm" in result.stdout
    )
    assert result.stderr.strip().splitlines()[-1] == "2 image references in 2 files"


def test_lint_exit_codes_and_config_disable(repo: Path) -> None:
    result = run(repo, "lint", "--format", "json")
    assert result.returncode == 1
    rules = sorted({f["rule_id"] for f in json.loads(result.stdout)["findings"]})
    assert rules == ["DW003", "DW004"]  # DW002 disabled by driftwatch.toml
    only_errors = run(repo, "lint", "--min-severity", "error", "--build-arg", "V=3.19")
    assert only_errors.returncode == 0, only_errors.stdout


def test_lint_github_writes_summary_and_outputs(repo: Path, tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "out.txt"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    result = run(repo, "lint", "--format", "github", env=env)
    assert result.returncode == 1
    assert "\n::error file=svc/Dockerfile,line=3,col=6,title=DW004 " in result.stdout
    assert "| DW004 |" in summary.read_text()
    assert output.read_text() == "findings=3\nfailing=3\n"


def test_lint_sarif_is_json(repo: Path) -> None:
    result = run(repo, "lint", "--format", "sarif")
    assert json.loads(result.stdout)["version"] == "2.1.0"


def test_a_latin1_comment_reads_as_buildkit_reads_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"# caf\xe9 au lait\nFROM debian:bookworm-slim\n")
    result = run(tmp_path, "images", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [r["reference"] for r in json.loads(result.stdout)] == [
        "docker.io/library/debian:bookworm-slim"
    ]
    assert result.stderr.count("warning") == 0


@pytest.mark.parametrize("damage", ["too-big", "broken-link", "unterminated-heredoc"])
def test_a_dockerfile_that_cannot_be_read_fails_images_and_lint(
    tmp_path: Path, damage: str
) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM debian:bookworm-slim@{D}\n")
    bad = tmp_path / "bad.Dockerfile"
    if damage == "too-big":
        bad.write_bytes(b"FROM debian:12\n" + b"# padding\n" * (900 * 1024))
    elif damage == "broken-link":
        bad.symlink_to(tmp_path / "nowhere")
    else:
        bad.write_text("FROM debian:12\nRUN <<EOF\necho\n")
    for command in ("images", "lint"):
        result = run(tmp_path, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "bad.Dockerfile" in result.stderr and "Traceback" not in result.stderr


def test_bad_input_is_one_line_with_exit_2(repo: Path) -> None:
    result = run(repo, "lint", "--build-arg", "novalue")
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr
    (repo / "driftwatch.toml").write_text('[lint]\nmin_severity = "fatal"\n')
    result = run(repo, "lint")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("driftwatch: error: ")
    assert "Traceback" not in result.stderr


def test_pin_check_with_everything_pinned_needs_no_registry(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM alpine:3.19@{D}\nFROM $UNSET\n")
    result = run(tmp_path, "pin", "--check")
    assert result.returncode == 0, result.stderr
    assert "not pinnable: cannot be resolved" in result.stderr
    assert run(tmp_path, "pin", "--check", "--write").returncode == 2


def test_pin_check_finds_unpinned_offline(tmp_path: Path) -> None:
    """`pin --check` without `--update` needs no registry."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\nFROM ${X:-debian:bookworm}\n")
    result = run(tmp_path, "pin", "--check")
    assert result.returncode == 1
    assert "Dockerfile:1:6: alpine:3.19 is not pinned" in result.stderr
    assert "Dockerfile:2:6: not pinnable: written with variables" in result.stderr
    assert "1 reference(s) to pin" in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == "FROM alpine:3.19\nFROM ${X:-debian:bookworm}\n"
