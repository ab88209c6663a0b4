"""Benchmark `driftwatch resolve` against a local registry: the bare-HEAD floor and skopeo.

    .venv/bin/python benchmarks/resolve.py [--tags 2000] [--repos 200] [--rounds 5] [--concurrency 16]

Pushes N tags (each an index of 2 platforms + attestations, like official images) to a fresh
Debian docker-registry on loopback, then times, interleaved over several rounds:
driftwatch via the API (cold: empty manifest cache and tag memo; warm: both filled), bare concurrent HEADs
with httpx at the same concurrency (no parsing, no auth logic), the CLI once (cold and warm),
and `skopeo inspect` per image on a sample. Manifest requests come from the registry's access log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from driftwatch.config import Config  # noqa: E402
from driftwatch.reference import parse_reference  # noqa: E402
from driftwatch.registry import MemoryManifestCache, MemoryTagMemo, RegistryClient  # noqa: E402
from driftwatch.registry.media import ACCEPT_MANIFESTS  # noqa: E402
from tests.bench.images import build_image, build_index  # noqa: E402
from tests.bench.registry import RegistryServer  # noqa: E402


def push_all(server: RegistryServer, tags: int, repos: int) -> list[str]:
    """Push `tags` index tags spread over `repos` repositories; returns the references."""
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
            refs.append(f"{server.host}/{repo}:{tag}")
        return refs

    with ThreadPoolExecutor(8) as pool:
        return [ref for refs in pool.map(push_repo, range(repos)) for ref in refs]


async def driftwatch_round(
    refs: list[str], concurrency: int, cache: MemoryManifestCache, tags: MemoryTagMemo
) -> float:
    parsed = [parse_reference(r) for r in refs]
    start = time.perf_counter()
    async with RegistryClient(Config(concurrency=concurrency), cache=cache, tags=tags) as client:
        results = await client.resolve_all(parsed)
    elapsed = time.perf_counter() - start
    failures = [r for r in results if not hasattr(r, "digest")]
    assert not failures, failures[:3]
    return elapsed


async def floor_round(server: RegistryServer, refs: list[str], concurrency: int) -> float:
    """Bare concurrent HEADs with the same Accept and concurrency: no parsing, no auth, no checks."""
    urls = [f"{server.url}/v2/{r.split('/', 1)[1].replace(':', '/manifests/')}" for r in refs]
    limit = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    start = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, headers={"Accept": ACCEPT_MANIFESTS}) as client:

        async def head(url: str) -> None:
            # send(stream=True) + aclose: measurably cheaper than client.head(), so the stricter floor
            async with limit:
                response = await client.send(client.build_request("HEAD", url), stream=True)
            await response.aclose()
            response.raise_for_status()

        await asyncio.gather(*(head(u) for u in urls))
    return time.perf_counter() - start


def manifest_requests(server: RegistryServer, mark: int) -> int:
    return sum(1 for _, path, _ in server.requests_since(mark) if "/manifests/" in path)


def cli_run(refs_file: Path, cache_dir: Path) -> float:
    env = dict(os.environ, DRIFTWATCH_CACHE_DIR=str(cache_dir))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "driftwatch", "resolve", "--from-file", str(refs_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=refs_file.parent,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-500:]
    return elapsed


def skopeo_per_tag(sample: list[str]) -> float:
    start = time.perf_counter()
    for ref in sample:
        subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
            check=True,
            capture_output=True,
        )
    return (time.perf_counter() - start) / len(sample)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tags", type=int, default=2000)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skopeo-sample", type=int, default=20)
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    parser.add_argument(
        "--storage",
        default=shm,
        help="parent dir of the registry storage (default: /dev/shm when present)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="driftwatch-bench-", dir=args.storage))
    server = RegistryServer("anonymous", work / "registry").start()
    try:
        run(server, work, args)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(server: RegistryServer, work: Path, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    refs = push_all(server, args.tags, min(args.repos, args.tags))
    print(
        f"pushed {len(refs)} tags over {min(args.repos, args.tags)} repositories in {time.perf_counter() - t0:.1f} s"
    )
    n = len(refs)
    cold, warm, floor = [], [], []
    cold_requests = warm_requests = 0
    for round_no in range(args.rounds):
        cache, tags = MemoryManifestCache(), MemoryTagMemo()  # as the CLI: both on disk
        if round_no % 2:  # alternate the order so neither side always runs on a warmer machine
            floor.append(asyncio.run(floor_round(server, refs, args.concurrency)))
        mark = server.mark()
        cold.append(asyncio.run(driftwatch_round(refs, args.concurrency, cache, tags)))
        cold_requests = manifest_requests(server, mark)
        mark = server.mark()
        warm.append(asyncio.run(driftwatch_round(refs, args.concurrency, cache, tags)))
        warm_requests = manifest_requests(server, mark)
        if not round_no % 2:
            floor.append(asyncio.run(floor_round(server, refs, args.concurrency)))
        print(
            f"round {round_no + 1}: driftwatch cold {cold[-1]:.3f} s, warm {warm[-1]:.3f} s, floor {floor[-1]:.3f} s"
        )
    refs_file = work / "refs.txt"
    refs_file.write_text("\n".join(refs) + "\n")
    cli_cold = cli_run(refs_file, work / "cli-cache")
    cli_warm = cli_run(refs_file, work / "cli-cache")
    sample = random.Random(1).sample(refs, min(args.skopeo_sample, n))
    skopeo = skopeo_per_tag(sample)
    med = {
        name: statistics.median(values)
        for name, values in (("cold", cold), ("warm", warm), ("floor", floor))
    }
    print()
    print(f"tags: {n}, concurrency: {args.concurrency}, rounds: {args.rounds} (medians)")
    print(f"floor (bare HEADs)          {med['floor']:.3f} s  {med['floor'] / n * 1000:.3f} ms/tag")
    print(
        f"driftwatch warm cache       {med['warm']:.3f} s  ratio to floor {med['warm'] / med['floor']:.2f}x"
    )
    print(
        f"driftwatch cold cache       {med['cold']:.3f} s  ratio to floor {med['cold'] / med['floor']:.2f}x"
    )
    print(
        f"driftwatch CLI cold / warm  {cli_cold:.3f} s / {cli_warm:.3f} s (incl. interpreter start)"
    )
    print(
        f"skopeo inspect per tag      {skopeo * 1000:.1f} ms on {len(sample)} tags; "
        f"skopeo/driftwatch per tag: {skopeo / (med['warm'] / n):.0f}x warm, {skopeo / (med['cold'] / n):.0f}x cold"
    )
    print(
        f"manifest requests per tag   warm {warm_requests / n:.3f} (HEAD only), cold {cold_requests / n:.3f} (one GET: a tag new to this machine)"
    )


if __name__ == "__main__":
    main()
