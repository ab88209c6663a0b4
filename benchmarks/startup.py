"""Benchmark: start-up time of short commands as whole processes (issue 15's targets).

Times, as the user runs them (the `driftwatch` script beside this Python), interleaved round by
round so a busy neighbour weighs on every command alike:
  - `python -c pass`, the floor every Python command pays;
  - `driftwatch --version` (target: under 100 ms);
  - `driftwatch images .` on a small repository (a Dockerfile and a compose file) without a config,
    with a `[tool.driftwatch]` table in pyproject.toml, and with a driftwatch.toml (target: under
    200 ms).
Prints the median and fastest wall time, the median CPU time (user + sys: less moved by the
neighbours' load) and the median wall time over `python -c pass` of each, in milliseconds.
With `--compare DIR`, every driftwatch command also runs with DIR first on PYTHONPATH (say a
`git archive` of an earlier commit), in the same rounds: a before/after on equal terms.
Usage: python benchmarks/startup.py [ROUNDS] [--compare DIR] (default 15 rounds; at least 10).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCKERFILE = "FROM python:3.12-slim AS build\nRUN pip wheel .\nFROM python:3.12-slim\n"
COMPOSE = "services:\n  web:\n    image: node:22-slim\n  db:\n    image: postgres:16\n"
TABLE = """\
exclude = ["tests/**"]
platforms = ["linux/amd64", "linux/arm64"]
notify = [{ url = "json://127.0.0.1:9/hook", on = ["release", "error"] }]

[registries."docker.io"]
endpoint = "https://mirror.example.com"
"""


def repository(root: Path, config: str | None) -> Path:
    """A small repository: a Dockerfile, a compose file and the config asked for."""
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "deploy").mkdir()
    (root / "deploy" / "compose.yaml").write_text(COMPOSE)
    if config == "pyproject":
        (root / "pyproject.toml").write_text(
            '[project]\nname = "app"\nversion = "1"\n\n[tool.driftwatch]\n' + TABLE
        )
    elif config == "driftwatch.toml":
        (root / "driftwatch.toml").write_text(TABLE)
    return root


def commands(base: Path) -> dict[str, tuple[list[str], Path]]:
    """name -> (argv, working directory)."""
    script = str(Path(sys.executable).parent / "driftwatch")
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], base),
        "driftwatch --version": ([script, "--version"], base),
        "images . (no config)": ([script, "images", "."], repository(base / "plain", None)),
        "images . ([tool.driftwatch])": (
            [script, "images", "."],
            repository(base / "pyproject", "pyproject"),
        ),
        "images . (driftwatch.toml)": (
            [script, "images", "."],
            repository(base / "toml", "driftwatch.toml"),
        ),
    }


Run = tuple[list[str], Path, dict[str, str]]


def runs(base: Path, compare: str | None) -> dict[str, Run]:
    """name -> (argv, working directory, environment), the compared tree's runs included."""
    env = {**os.environ, "XDG_CACHE_HOME": str(base), "XDG_DATA_HOME": str(base)}
    env.pop("DRIFTWATCH_CONFIG", None)
    table = {name: (argv, cwd, env) for name, (argv, cwd) in commands(base).items()}
    if compare:
        other = {**env, "PYTHONPATH": os.path.abspath(compare)}
        for name, (argv, cwd, _) in list(table.items())[1:]:
            table[f"{name} [{Path(compare).name}]"] = (argv, cwd, other)
    return table


def once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + sys) of one run, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    args = sys.argv[1:]
    compare = None
    if "--compare" in args:
        at = args.index("--compare")
        compare = args[at + 1]
        del args[at : at + 2]
    rounds = int(args[0]) if args else 15
    with tempfile.TemporaryDirectory() as temp:
        table = runs(Path(temp), compare)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
        for argv, cwd, env in table.values():  # warm the page cache and the .pyc files
            once(argv, cwd, env)
        for _ in range(rounds):
            for name, (argv, cwd, env) in table.items():
                times[name].append(once(argv, cwd, env))
    report(rounds, times)


def report(rounds: int, times: dict[str, list[tuple[float, float]]]) -> None:
    """Median and fastest wall time, median CPU time, and the median wall over `python -c pass`."""
    floor = statistics.median(wall for wall, _ in times["python -c pass"])
    print(f"{rounds} interleaved rounds; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<44}{'wall ms':>8}{'min ms':>8}{'cpu ms':>8}{'over python':>13}")
    for name, found in times.items():
        wall = statistics.median(w for w, _ in found)
        cpu = statistics.median(c for _, c in found)
        fastest = min(w for w, _ in found)
        print(
            f"{name:<44}{wall * 1000:>8.0f}{fastest * 1000:>8.0f}{cpu * 1000:>8.0f}"
            f"{(wall - floor) * 1000:>+13.0f}"
        )


if __name__ == "__main__":
    main()
