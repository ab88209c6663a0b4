"""What the process benchmarks share: a registry with N tags, timed CLI runs, curl as the floor.

Every figure is a whole process (interpreter start included), run interleaved with its rival and
summarised as a median; connections are what a NetProxy (tests/netproxy.py) accepted.
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from driftwatch.oci.media import ACCEPT_MANIFESTS  # noqa: E402
from tests.testbed.images import build_image, build_index  # noqa: E402
from tests.testbed.registry import RegistryServer  # noqa: E402

# The headers driftwatch sends with a manifest request (besides Host and User-Agent).
MANIFEST_HEADERS = (f"Accept: {ACCEPT_MANIFESTS}", "Accept-Encoding: identity")


def push_all(server: RegistryServer, tags: int, repos: int) -> list[str]:
    """Push `tags` index tags (2 platforms + attestations) over `repos` repositories; references
    as `repository:tag` (no host)."""
    per_repo = [tags // repos + (1 if r < tags % repos else 0) for r in range(repos)]

    def push_repo(r: int) -> list[str]:
        repo = f"bench/app{r:03d}"
        images = [
            build_image([{"id": f"{repo}-{arch}".encode()}], architecture=arch)
            for arch in ("amd64", "arm64")
        ]
        refs = []
        for t in range(per_repo[r]):
            tag = f"t{t:03d}"
            server.pusher.push_index(repo, tag, build_index(images, annotations={"tag": tag}))
            refs.append(f"{repo}:{tag}")
        return refs

    with ThreadPoolExecutor(8) as pool:
        return [ref for refs in pool.map(push_repo, range(repos)) for ref in refs]


def load() -> str:
    """The load averages from /proc/loadavg (the machine is shared: quote them with figures)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


@dataclass
class Series:
    """Timings of one contender, and what else each run reported."""

    name: str
    seconds: list[float] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def connection_text(self) -> str:
        return str(int(statistics.median(self.connections))) if self.connections else "-"


def timed(
    command: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> float:
    """Run `command` to completion; its wall time. Fails loudly on a non-zero exit."""
    start = time.perf_counter()
    done = subprocess.run(
        list(command), capture_output=True, text=True, env=env, cwd=cwd, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {done.returncode}: {done.stderr[-800:]}")
    return elapsed


RUNTIME_VENV = ROOT / "benchmarks" / ".venv-runtime"

# A user's interpreter caches bytecode. This machine sets PYTHONDONTWRITEBYTECODE=1, under which
# every driftwatch process compiled driftwatch's own modules again (0.1 s of a scan's start-up):
# the processes timed here run without it, and runtime_python() compiles the package first.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@functools.lru_cache(maxsize=1)
def runtime_python() -> str:
    """The interpreter of a virtualenv with driftwatch installed as the run set-up installs it
    (ci/setup.sh: this checkout, editable, and its runtime dependencies at the pinned versions);
    made once in benchmarks/.venv-runtime. Not the development venv: httpx and httpcore import
    test tools when present (rich, trio), which costs every process about 0.25 s at start.
    `DRIFTWATCH_BENCH_PYTHON` names another interpreter."""
    chosen = os.environ.get("DRIFTWATCH_BENCH_PYTHON")
    if chosen:
        return chosen
    python = RUNTIME_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(RUNTIME_VENV)], check=True)
        install = ["-m", "pip", "install", "-q", "--disable-pip-version-check"]
        constraints = ["-c", str(ROOT / "ci" / "constraints.txt"), "-e", str(ROOT)]
        subprocess.run([str(python), *install, *constraints], check=True)
    compile_all = [str(python), "-m", "compileall", "-q", str(ROOT / "driftwatch")]
    subprocess.run(compile_all, check=True, stdout=subprocess.DEVNULL)
    return str(python)


def driftwatch_command(*args: str, python: Sequence[str] = ()) -> list[str]:
    """`python -m driftwatch ARGS` with the runtime interpreter (`python`: options for it)."""
    return [runtime_python(), *python, "-m", "driftwatch", *args]


def write_refs(path: Path, host: str, refs: Sequence[str]) -> Path:
    path.write_text("".join(f"{host}/{ref}\n" for ref in refs))
    return path


def write_config(folder: Path, concurrency: int, extra: str = "") -> None:
    """A driftwatch.toml with `concurrency` (the run's only tuning) and `extra` lines."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "driftwatch.toml").write_text(f"concurrency = {concurrency}\n{extra}")


def curl_config(path: Path, base: str, refs: Sequence[str]) -> Path:
    """A curl --config file: one manifest URL per reference, each answer to /dev/null."""
    lines = []
    for ref in refs:
        repository, tag = ref.rsplit(":", 1)
        lines.append(f'url = "{base}/v2/{repository}/manifests/{tag}"\noutput = "/dev/null"\n')
    path.write_text("".join(lines))
    return path


def curl_command(config: Path, parallel: int, head: bool) -> list[str]:
    """curl fetching every URL of `config`, `parallel` at once, with driftwatch's headers."""
    command = ["curl", "--parallel", "--parallel-max", str(parallel), "--silent", "--fail"]
    command += ["--no-progress-meter"]
    command += ["--config", str(config)]
    for header in MANIFEST_HEADERS:
        command += ["--header", header]
    return [*command, "--head"] if head else command


def interleave(rounds: int, contenders: Sequence[Callable[[], None]]) -> None:
    """Run every contender once per round, the order reversed every other round."""
    for round_no in range(rounds):
        order = contenders if round_no % 2 == 0 else list(reversed(contenders))
        for run in order:
            run()


def fresh(folder: Path) -> Path:
    """`folder`, emptied."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def env_with(**values: str) -> dict[str, str]:
    return {**os.environ, **values}
