"""The package as a user gets it: `python -m build` run once per session on this checkout."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@dataclass(frozen=True)
class Dists:
    """The sdist and the wheel `python -m build` made."""

    sdist: Path
    wheel: Path


def build(outdir: Path) -> Dists:
    """`python -m build` (sdist, then the wheel from the sdist, in isolated environments)."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [sdist] = outdir.glob("*.tar.gz")
    [wheel] = outdir.glob("*.whl")
    return Dists(sdist, wheel)


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """This checkout built once per session (registered in tests/conftest.py)."""
    return build(tmp_path_factory.mktemp("dist"))
