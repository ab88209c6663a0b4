"""Benchmark a repeated `driftwatch scan` against a bare `driftwatch resolve` of the same references.

    .venv/bin/python benchmarks/scan.py [--refs 2000] [--repos 200] [--rounds 3] [--db URL]

Pushes N tags (each an index of two Debian platforms with real os-release layouts, plus
attestations) to a fresh Debian docker-registry on loopback, warms the manifest cache with one
`resolve` and the history with a first `scan`, then times, interleaved over several rounds, the CLI
(`python -m driftwatch`, interpreter start included): `resolve --from-file` of every reference vs a
further `scan` of the same unchanged watch list (`images = [...]` in driftwatch.toml). The
registry's access log gives the manifest and blob requests each scan made.
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

from tests.bench.distros import debian_image  # noqa: E402
from tests.bench.images import build_index  # noqa: E402
from tests.bench.registry import RegistryServer  # noqa: E402


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


def cli(work: Path, *args: str, python: tuple[str, ...] = ()) -> float:
    """Run the CLI in `work`; its wall time. Any failure stops the benchmark."""
    env = dict(os.environ, DRIFTWATCH_CACHE_DIR=str(work / "cache"))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *python, "-m", "driftwatch", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, (done.returncode, done.stderr[-800:], done.stdout[-800:])
    return elapsed


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
    db = args.db or f"sqlite:///{work / 'history.db'}"
    if db.startswith("postgres"):
        cli(work, "db", "upgrade", "--db", db)
    resolve = ("resolve", "--from-file", "refs.txt")
    scan = ("scan", "--db", db, "--fail-on", "digest")
    print(f"warm-up: resolve {cli(work, *resolve):.2f} s (manifest cache filled)")
    mark = server.mark()
    print(f"warm-up: first scan {cli(work, *scan):.2f} s (history and OS cache filled)")
    print(f"  first scan requests: {requests_by_kind(server, mark)}")
    resolves, scans, counts = [], [], []
    for round_no in range(args.rounds):
        if round_no % 2:  # alternate the order so neither always runs on a warmer machine
            resolves.append(cli(work, *resolve))
        mark = server.mark()
        scans.append(cli(work, *scan))
        counts.append(requests_by_kind(server, mark))
        if not round_no % 2:
            resolves.append(cli(work, *resolve))
        print(f"round {round_no + 1}: resolve {resolves[-1]:.2f} s, scan {scans[-1]:.2f} s")
    report(n, statistics.median(resolves), statistics.median(scans), counts[-1], args.rounds)
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
