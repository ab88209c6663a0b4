"""The nightly example publishes the history report: its scan step writes the file the artifact
step uploads, and the summary step's overview names the moved image (real registry, real scan)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import html5lib
import yaml

from tests.bench.distros import debian_index
from tests.bench.registry import RegistryServer, push_index
from tests.e2e.guard import make_project

REPO = Path(__file__).parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "driftwatch-nightly.example.yml"


def _steps() -> dict[str, dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return {step.get("name", ""): step for step in workflow["jobs"]["watch"]["steps"]}


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's `run`, with this venv's driftwatch first on PATH and secrets left out."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    clean = {k: v for k, v in env.items() if "${{" not in v}
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={**os.environ, **clean, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_nightly_publishes_the_report_artifact_and_summary(
    tmp_path: Path, registry: RegistryServer
) -> None:
    steps = _steps()
    scan, summary = steps["Scan"], steps["Overview in the job summary"]
    upload = steps["Publish the history report"]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "always()"
    artifact = upload["with"]["path"]
    root = make_project(tmp_path, registry, {"Dockerfile": "FROM dw-nightly-report:1\n"})
    push_index(registry, "library/dw-nightly-report", "1", debian_index("bookworm", seed="r1"))
    first = _bash(scan["run"], root, scan["env"])
    assert first.returncode == 0, first.stdout + first.stderr
    push_index(registry, "library/dw-nightly-report", "1", debian_index("trixie", seed="r2"))
    moved = _bash(scan["run"], root, scan["env"])
    assert moved.returncode == 1  # the release moved: the job fails, the report still comes
    page = (root / artifact).read_text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "dw-nightly-report:1" in page
    assert page.count('class="mark os-release"') == 2  # amd64 and arm64/v8
    summary_file = tmp_path / "summary.md"
    env = {**summary["env"], "GITHUB_STEP_SUMMARY": str(summary_file)}
    done = _bash(summary["run"], root, env)
    assert done.returncode == 0, done.stderr
    text = summary_file.read_text()
    assert "`dw-nightly-report:1`" in text and "trixie" in text and "(1 release)" in text
