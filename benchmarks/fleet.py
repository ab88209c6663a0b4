"""Benchmark `driftwatch scan` at fleet scale against a local registry, clean and with faults.

    .venv/bin/python benchmarks/fleet.py [--refs 10000] [--changed 0.2] [--repos 100] [--fault-rate 0.1]

The floor of the clean second scan is curl replaying the very requests that scan made (read from the
registry's access log): its HEADs, then its GETs, each `curl --parallel --parallel-max 16` with the
scan's Accept headers, so the ratio shows what the scan adds beyond the requests it needs.

Pushes N tags (OCI indexes of two Debian platforms, platform images shared per repository, like
the aliases of official images) to a fresh Debian docker-registry on loopback, runs a first scan
(the baseline), rebuilds a fraction of the tags (new platform images: a digest change per platform),
then runs the same second scan twice from copies of the same database and cache: once straight to
the registry, once through the fault proxy injecting random faults into that share of requests.
Each scan is the CLI in a subprocess: wall time, peak RSS (wait4), requests and response bytes
(from the registry's access log, or the proxy's log), and the drift events each run recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from wire import MANIFEST_HEADERS, driftwatch_command, load  # noqa: E402

from driftwatch.history import HistoryStore  # noqa: E402
from tests.faults.proxy import FaultProxy  # noqa: E402
from tests.faults.rules import ALL_FAULTS, Fault, Rule  # noqa: E402
from tests.testbed.distros import debian_files  # noqa: E402
from tests.testbed.images import Image, build_image, build_index  # noqa: E402
from tests.testbed.push import Pusher  # noqa: E402
from tests.testbed.registry import RegistryServer  # noqa: E402

_PUSHERS = threading.local()
_LOG = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) (\d+|-)')
ARCHES = (("amd64", None), ("arm64", "v8"))


@dataclass
class Scan:
    """What one scan run cost and found."""

    seconds: float
    peak_rss_mb: float
    exit_code: int
    requests: dict[str, int]
    response_bytes: int
    events: int
    failures: int
    replay: list[tuple[str, str]]  # (method, path) of every request, from the access log


def images_for(repo: str, build: str) -> list[Image]:
    """Two platform images sharing a Debian bookworm layer; `build` changes their digests."""
    return [
        build_image(
            [debian_files("bookworm"), {"app": f"{repo}-{arch}".encode()}],
            architecture=arch,
            variant=variant,
            labels={"build": build},
        )
        for arch, variant in ARCHES
    ]


def pusher(server: RegistryServer) -> Pusher:
    """One pushing client per thread (an httpx.Client shared by threads can break a socket)."""
    if getattr(_PUSHERS, "client", None) is None:
        _PUSHERS.client = Pusher(server.url)
    client: Pusher = _PUSHERS.client
    return client


def push_fleet(server: RegistryServer, refs: int, repos: int) -> list[tuple[str, str]]:
    """Push `refs` tags over `repos` repositories: images once per repository, one index per tag."""

    def push_repo(r: int) -> list[tuple[str, str]]:
        repo = f"fleet/app{r:03d}"
        images = images_for(repo, "v1")
        for image in images:
            pusher(server).push_image(repo, None, image)
        tags = [(repo, f"t{t:04d}") for t in range(r, refs, repos)]
        for _, tag in tags:
            index = build_index(images, attestations=False, annotations={"tag": tag})
            pusher(server).push_manifest(repo, tag, index.manifest)
        return tags

    with ThreadPoolExecutor(8) as pool:
        return [tag for tags in pool.map(push_repo, range(repos)) for tag in tags]


def rebuild(server: RegistryServer, tags: list[tuple[str, str]]) -> None:
    """Give each tag new platform images (as a rebuild on the same OS does)."""

    def one(item: tuple[str, str]) -> None:
        repo, tag = item
        images = images_for(repo, f"v2-{tag}")
        for image in images:
            pusher(server).push_image(repo, None, image)
        index = build_index(images, attestations=False, annotations={"tag": tag})
        pusher(server).push_manifest(repo, tag, index.manifest)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, tags))


def write_project(root: Path, tags: list[tuple[str, str]], endpoint: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    names = [f"{repo}:{tag}" for repo, tag in tags]
    (root / "driftwatch.toml").write_text(
        f"images = {json.dumps(names)}\n"
        'db = "history.db"\n'
        f'[registries."docker.io"]\nendpoint = "{endpoint}"\n'
    )


def scan(root: Path, *args: str) -> tuple[float, float, int]:
    """Run `driftwatch scan` in `root`: (seconds, peak RSS in MB, exit code)."""
    env = dict(os.environ, DRIFTWATCH_CACHE_DIR=str(root / "cache"))
    profile = (
        ["-m", "cProfile", "-o", str(root / "scan.prof")] if os.environ.get("FLEET_PROFILE") else []
    )
    command = driftwatch_command("scan", "--no-progress", *args, python=profile)
    start = time.perf_counter()
    with open(root / "scan.out", "w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, process.returncode


def log_since(
    server: RegistryServer, mark: int
) -> tuple[dict[str, int], int, list[tuple[str, str]]]:
    time.sleep(0.3)
    lines = _LOG.findall(server.log_path.read_text(errors="replace"))[mark:]
    counts: dict[str, int] = {}
    for method, path, _, _ in lines:
        kind = f"{method} {'manifest' if '/manifests/' in path else 'blob' if '/blobs/' in path else 'other'}"
        counts[kind] = counts.get(kind, 0) + 1
    size = sum(int(size) for *_, size in lines if size.isdigit())
    return counts, size, [(method, path) for method, path, _, _ in lines]


def curl_replay(server: RegistryServer, root: Path, requests: list[tuple[str, str]]) -> float:
    """Seconds curl takes for the same requests: all HEADs, then all GETs, 16 at once each."""
    total = 0.0
    for method in ("HEAD", "GET"):
        paths = [path for m, path in requests if m == method and path.startswith("/v2/")]
        if not paths:
            continue
        config = root / f"replay-{method}.txt"
        config.write_text(
            "".join(f'url = "{server.url}{path}"\noutput = "/dev/null"\n' for path in paths)
        )
        command = [
            "curl",
            "--parallel",
            "--parallel-max",
            "16",
            "--silent",
            "--no-progress-meter",
            "--config",
            str(config),
        ]
        for header in MANIFEST_HEADERS:
            command += ["--header", header]
        start = time.perf_counter()
        subprocess.run(command + (["--head"] if method == "HEAD" else []), check=True)
        total += time.perf_counter() - start
    return total


def log_mark(server: RegistryServer) -> int:
    time.sleep(0.3)
    return len(_LOG.findall(server.log_path.read_text(errors="replace")))


def history(root: Path) -> tuple[int, int, set[tuple[str, str, str]]]:
    """(drift events, failures of the last run, event keys) recorded in `root`'s database."""
    store = HistoryStore.open(f"sqlite:///{root / 'history.db'}")
    try:
        events = store.events()
        keys = {
            (str(e.drift.reference), e.drift.kind.value, e.drift.platform or "") for e in events
        }
        failures = (
            store.engine.connect()
            .exec_driver_sql(
                "SELECT count(*) FROM check_failure WHERE run_id = (SELECT max(id) FROM run)"
            )
            .scalar()
        )
        return len(events), int(failures or 0), keys
    finally:
        store.close()


def measured(server: RegistryServer, root: Path) -> tuple[Scan, set[tuple[str, str, str]]]:
    mark = log_mark(server)
    seconds, rss, code = scan(root)
    requests, size, replay = log_since(server, mark)
    events, failures, keys = history(root)
    return Scan(seconds, rss, code, requests, size, events, failures, replay), keys


def faulted(
    server: RegistryServer, root: Path, rate: float, seed: int
) -> tuple[Scan, set[tuple[str, str, str]], int]:
    among = tuple(f for f in ALL_FAULTS if f is not Fault.STALL)
    with FaultProxy(server.url, [Rule("random", rate=rate, among=among)], seed=seed) as proxy:
        config = root / "driftwatch.toml"
        config.write_text(
            re.sub(r'endpoint = ".*"', f'endpoint = "{proxy.url}"', config.read_text())
        )
        result, keys = measured(server, root)
        result.requests = {
            "through proxy": len(proxy.events),
            "faults injected": len(proxy.injections),
        }
        return result, keys, len(proxy.injections)


def report(name: str, result: Scan, refs: int, changed: int) -> None:
    total = sum(v for k, v in result.requests.items() if k != "faults injected")
    print(
        f"{name}: exit {result.exit_code}, {result.seconds:.1f} s, peak RSS {result.peak_rss_mb:.0f} MB"
    )
    print(f"  requests {result.requests} = {total / refs:.3f} per reference")
    if result.response_bytes:
        print(
            f"  response bytes {result.response_bytes} = {result.response_bytes / max(changed, 1):.0f} per changed reference (all bytes / changed refs)"
        )
    print(
        f"  drift events recorded (cumulative) {result.events}, could not check {result.failures}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--refs", type=int, default=10000)
    parser.add_argument("--changed", type=float, default=0.2, help="share of tags rebuilt")
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=8)
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    parser.add_argument("--storage", default=shm, help="parent dir of all files (default /dev/shm)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftwatch-fleet-", dir=args.storage))
    server = RegistryServer("anonymous", work / "registry").start()
    try:
        run(server, work, args)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(server: RegistryServer, work: Path, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    tags = push_fleet(server, args.refs, min(args.repos, args.refs))
    print(
        f"pushed {len(tags)} tags over {min(args.repos, args.refs)} repositories in {time.perf_counter() - t0:.0f} s"
    )
    clean = work / "clean"
    write_project(clean, tags, server.url)
    first, _ = measured(server, clean)
    report("first scan (baseline, every tag new)", first, len(tags), len(tags))
    changed = tags[:: max(1, round(1 / args.changed))] if args.changed else []
    t0 = time.perf_counter()
    rebuild(server, changed)
    print(f"rebuilt {len(changed)} tags in {time.perf_counter() - t0:.0f} s")
    faulty = work / "faulty"
    shutil.copytree(clean, faulty)
    second, clean_keys = measured(server, clean)
    report("second scan, clean", second, len(tags), len(changed))
    floor = curl_replay(server, work, second.replay)
    print(
        f"  curl replaying its {len(second.replay)} requests: {floor:.1f} s; "
        f"scan / replay {second.seconds / floor:.2f}x (load {load()})"
    )
    if os.environ.get("FLEET_PROFILE"):
        import pstats

        pstats.Stats(str(clean / "scan.prof")).sort_stats("tottime").print_stats(25)
    third, fault_keys, injected = faulted(server, faulty, args.fault_rate, args.seed)
    report(
        f"second scan, {args.fault_rate:.0%} faults (seed {args.seed})",
        third,
        len(tags),
        len(changed),
    )
    false = fault_keys - clean_keys
    print(f"  drift events not in the clean run (false changes): {len(false)}")
    print(
        f"  changes found under faults: {third.events - first.events} of {second.events - first.events}"
    )
    print(f"  injected {injected}; references that could not be checked: {third.failures}")


if __name__ == "__main__":
    main()
