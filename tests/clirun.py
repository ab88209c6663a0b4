"""Run the real `driftwatch` console entry point in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_driftwatch(
    cwd: Path | None,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    drop: Sequence[str] = (),
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """`python -m driftwatch ARGS` in `cwd`; `drop` removes inherited variables by prefix."""
    inherited = {k: v for k, v in os.environ.items() if not (drop and k.startswith(tuple(drop)))}
    return subprocess.run(
        [sys.executable, "-m", "driftwatch", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**inherited, **(env or {})},
        timeout=timeout,
        check=False,
    )
