"""Benchmark a repeated `driftwatch scan` and a `check` on a fresh runner against a warm
`driftwatch resolve` of the same references and against curl.

    .venv/bin/python benchmarks/scan.py [--refs 2000] [--repos 200] [--rounds 3] [--db URL]

Pushes N tags (each an index of two Debian platforms with real os-release layouts, plus
attestations) to a fresh Debian docker-registry on loopback, warms the manifest cache with one
`resolve`, the history with a first `scan` and writes `driftwatch.lock` with `lock`, then times,
interleaved over several rounds (order reversed every other round), whole processes (interpreter
start included): `resolve --from-file` of every reference (warm cache), a further `scan` of the same
unchanged watch list (`images = [...]` in driftwatch.toml), `check` against the lock file with an
empty cache directory (a fresh CI runner), and `curl --parallel --head` of the same manifests with
the same headers. The registry's access log gives the requests of each scan and check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from wire import (  # noqa: E402
    curl_command,
    curl_config,
    driftwatch_command,
    interleave,
    load,
    timed,
)

from tests.testbed.distros import debian_image  # noqa: E402
from tests.testbed.images import build_index  # noqa: E402
from tests.testbed.registry import RegistryServer  # noqa: E402


def push_all(server: RegistryServer, refs: int, repos: int) -> list[str]:
    """Push `refs` index tags over `repos` repositories (one Debian build per repository)."""
    per_repo = [refs // repos + (1 if r < refs % repos else 0) for r in range(repos)]

    def push_repo(r: int) -> list[str]:
        repo = f"bench/app{r:03d}"
        images = [
            debian_image("bookworm", seed=repo),
            debian_image("bookworm", seed=repo, architecture="arm64", variant="v8"),
        ]
        found = []
        for t in range(per_repo[r]):
            tag = f"t{t:03d}"
            server.pusher.push_index(repo, tag, build_index(images, annotations={"tag": tag}))
            found.append(f"{server.host}/{repo}:{tag}")
        return found

    with ThreadPoolExecutor(8) as pool:
        return [ref for found in pool.map(push_repo, range(repos)) for ref in found]


def cli(work: Path, *args: str, python: tuple[str, ...] = (), cache: str = "cache") -> float:
    """Run the CLI in `work`; its wall time. Any failure stops the benchmark."""
    env = dict(os.environ, DRIFTWATCH_CACHE_DIR=str(work / cache))
    start = time.perf_counter()
    done = subprocess.run(
        driftwatch_command(*args, python=python),
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, (done.returncode, done.stderr[-800:], done.stdout[-800:])
    return elapsed


def write_dockerfiles(folder: Path, refs: list[str]) -> None:
    """One multi-stage Dockerfile per repository, a FROM per tag (the base images `lock` pins)."""
    by_repo: dict[str, list[str]] = {}
    for ref in refs:
        by_repo.setdefault(ref.rsplit(":", 1)[0].rsplit("/", 1)[1], []).append(ref)
    for repo, found in by_repo.items():
        (folder / repo).mkdir(parents=True, exist_ok=True)
        stages = "".join(f"FROM {ref} AS s{n}\nRUN true\n" for n, ref in enumerate(found))
        (folder / repo / "Dockerfile").write_text(stages)


def requests_by_kind(server: RegistryServer, mark: int) -> dict[str, int]:
    """Manifest HEADs, manifest GETs and blob requests since `mark` (from the access log)."""
    counts = {"HEAD manifest": 0, "GET manifest": 0, "blob": 0, "other": 0}
    for method, path, _ in server.requests_since(mark):
        if "/manifests/" in path:
            counts[f"{'HEAD' if method == 'HEAD' else 'GET'} manifest"] += 1
        elif "/blobs/" in path:
            counts["blob"] += 1
        else:
            counts["other"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--refs", type=int, default=2000)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="history database URL (default: a SQLite file on disk)")
    parser.add_argument(
        "--profile", metavar="FILE", help="also run one scan under cProfile to FILE"
    )
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    parser.add_argument("--storage", default=shm, help="parent dir of the registry storage")
    args = parser.parse_args()
    storage = Path(tempfile.mkdtemp(prefix="driftwatch-scanbench-", dir=args.storage))
    work = Path(tempfile.mkdtemp(prefix="driftwatch-scanbench-"))
    server = RegistryServer("anonymous", storage / "registry").start()
    try:
        run(server, work, args)
    finally:
        server.stop()
        shutil.rmtree(storage, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def run(server: RegistryServer, work: Path, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    repos = min(args.repos, args.refs)
    refs = push_all(server, args.refs, repos)
    n = len(refs)
    print(f"pushed {n} tags over {repos} repositories in {time.perf_counter() - t0:.1f} s")
    (work / "refs.txt").write_text("\n".join(refs) + "\n")
    watch = ",\n".join(f'  "{ref}"' for ref in refs)
    (work / "driftwatch.toml").write_text(f"images = [\n{watch}\n]\n")
    write_dockerfiles(work / "services", refs)  # what `lock` and `check` read
    db = args.db or f"sqlite:///{work / 'history.db'}"
    if db.startswith("postgres"):
        cli(work, "db", "upgrade", "--db", db)
    resolve = ("resolve", "--from-file", "refs.txt")
    scan = ("scan", "--db", db, "--fail-on", "digest")
    print(f"warm-up: resolve {cli(work, *resolve):.2f} s (manifest cache filled)")
    mark = server.mark()
    print(f"warm-up: first scan {cli(work, *scan):.2f} s (history and OS cache filled)")
    print(f"  first scan requests: {requests_by_kind(server, mark)}")
    print(f"warm-up: lock {cli(work, 'lock'):.2f} s (driftwatch.lock written)")
    names = [ref.split("/", 1)[1] for ref in refs]
    urls = curl_config(work / "curl.txt", server.url, names)
    times: dict[str, list[float]] = {"resolve": [], "scan": [], "check": [], "curl": []}
    counts: dict[str, dict[str, int]] = {}

    def counted(name: str, command: tuple[str, ...], cache: str = "cache") -> None:
        mark = server.mark()
        times[name].append(cli(work, *command, cache=cache))
        counts[name] = requests_by_kind(server, mark)

    def fresh_check() -> None:
        shutil.rmtree(work / "fresh-cache", ignore_errors=True)
        counted("check", ("check",), cache="fresh-cache")

    interleave(
        args.rounds,
        [
            lambda: times["resolve"].append(cli(work, *resolve)),
            lambda: counted("scan", scan),
            fresh_check,
            lambda: times["curl"].append(timed(curl_command(urls, 16, head=True))),
        ],
    )
    med = {name: statistics.median(values) for name, values in times.items()}
    report(n, med["resolve"], med["scan"], counts["scan"], args.rounds)
    check = counts["check"]
    print(
        f"check, fresh runner      {med['check']:.2f} s  ({med['check'] / med['curl']:.2f}x curl "
        f"HEADs); manifest requests / ref {(check['HEAD manifest'] + check['GET manifest']) / n:.3f} "
        f"(HEAD {check['HEAD manifest']}, GET {check['GET manifest']}), blobs {check['blob']}"
    )
    print(
        f"curl --parallel --head   {med['curl']:.2f} s; scan / curl {med['scan'] / med['curl']:.2f}x"
    )
    print(f"load {load()}")
    if args.profile:
        cli(work, *scan, python=("-m", "cProfile", "-o", str(Path(args.profile).absolute())))


def report(n: int, resolve: float, scan: float, counts: dict[str, int], rounds: int) -> None:
    print()
    print(f"references: {n}, rounds: {rounds} (medians, CLI wall time incl. interpreter start)")
    print(f"resolve                  {resolve:.2f} s  {resolve / n * 1000:.2f} ms/ref")
    print(f"scan (unchanged)         {scan:.2f} s  {scan / n * 1000:.2f} ms/ref")
    print(f"ratio scan / resolve     {scan / resolve:.2f}  (target <= 1.3)")
    manifests = counts["HEAD manifest"] + counts["GET manifest"]
    print(
        f"manifest requests / ref  {manifests / n:.3f}  "
        f"(HEAD {counts['HEAD manifest']}, GET {counts['GET manifest']}; target 1, a HEAD)"
    )
    print(f"blob requests            {counts['blob']}  (target 0); other {counts['other']}")


if __name__ == "__main__":
    main()
