"""The project passes its own lint: `driftwatch lint .` on this repository exits 0."""

from __future__ import annotations

from pathlib import Path

from tests.clirun import run_driftwatch

REPO = Path(__file__).resolve().parent.parent


def test_driftwatch_lints_its_own_repository_clean() -> None:
    """Templates, examples, workflows and docs pass; only [tool.driftwatch] `exclude` leaves out fixtures."""
    done = run_driftwatch(REPO, "lint", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 findings" in done.stdout + done.stderr


def test_the_exclusions_are_what_keeps_it_clean() -> None:
    """Without the config's exclusions the bad-on-purpose fixtures are found: the test can fail."""
    done = run_driftwatch(REPO / "tests" / "assets" / "dockerfiles", "lint", ".")
    assert done.returncode != 0
    assert "DW003" in done.stdout
