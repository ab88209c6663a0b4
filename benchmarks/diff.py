"""What explaining a move costs (issue 17): bytes read for a package diff, and whole processes.

    .venv/bin/python benchmarks/diff.py [--app-mb 64]

1. In process: the inventory of the bullseye and bookworm test images (real-format dpkg databases)
   and of the same images under an incompressible app layer of --app-mb MiB: bytes streamed, time,
   and the byte bound refusing the big one (bounded: it reads at most `os_max_bytes`).
2. Whole processes against a local Debian docker-registry: `check` after bullseye -> bookworm with
   `--explain on` (cold cache, warm cache) and `--explain off`, and `diff`: wall time and blob GETs
   from the registry's access log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from driftwatch.osinfo.packages import read_inventory  # noqa: E402
from tests.testbed.pkgimages import MemorySource, debian_pkg_image, debian_pkg_index  # noqa: E402
from tests.testbed.registry import RegistryServer, push_index  # noqa: E402

MB = 1024 * 1024


def in_process(app_mb: int) -> None:
    """Bytes and time of one inventory read per image; the bound on a big image."""
    print("inventory read (in process)")
    noise = os.urandom(app_mb * MB)
    for codename in ("bullseye", "bookworm"):
        for label, extra in (("", []), (f" + {app_mb} MiB app layer", [{"app/blob": noise}])):
            image = debian_pkg_image(codename, extra=extra)
            source = MemorySource(image)
            started = time.perf_counter()
            found = asyncio.run(read_inventory(source, image.digest))
            took = time.perf_counter() - started
            total = sum(layer.size for layer in image.layers)
            print(
                f"  {codename}{label}: {len(found.packages)} packages, {len(found.libraries)} "
                f"libraries; streamed {source.streamed:,} of {total:,} layer bytes in {took:.3f}s"
            )
    image = debian_pkg_image("bookworm", extra=[{"app/blob": noise}])
    source = MemorySource(image)
    bound = asyncio.run(read_inventory(source, image.digest, max_bytes=8 * MB))
    print(f"  8 MiB bound: {bound.problem}; streamed {source.streamed:,} bytes")


def _blob_gets(registry: RegistryServer, mark: int) -> int:
    return sum(
        1
        for method, path, _ in registry.requests_since(mark)
        if method == "GET" and "/blobs/" in path
    )


def _run(root: Path, registry: RegistryServer, cache: Path, *args: str) -> tuple[float, int, int]:
    mark = registry.mark()
    env = {**os.environ, "DRIFTWATCH_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "driftwatch", *args],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started, done.returncode, _blob_gets(registry, mark)


def processes() -> None:
    """check with and without explaining, cold and warm, and diff, as real processes."""
    print("whole processes (local registry)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        registry = RegistryServer("anonymous", work / "registry").start()
        try:
            tag = f"bench-{uuid.uuid4().hex[:8]}"
            root = work / "project"
            root.mkdir()
            (root / "Dockerfile").write_text(f"FROM python:{tag}\n")
            (root / "driftwatch.toml").write_text(
                f'[registries."docker.io"]\nendpoint = "{registry.url}"\n'
            )
            push_index(registry, "library/python", tag, debian_pkg_index("bullseye", seed="a"))
            subprocess.run(
                [sys.executable, "-m", "driftwatch", "lock"],
                cwd=root,
                check=True,
                capture_output=True,
                env={**os.environ, "DRIFTWATCH_CACHE_DIR": str(work / "lockcache")},
            )
            push_index(registry, "library/python", tag, debian_pkg_index("bookworm", seed="b"))
            cache = work / "cache"
            for label, args, where in (
                ("check --explain off", ("check", "--explain", "off"), work / "offcache"),
                ("check (explain, cold cache)", ("check",), cache),
                ("check (explain, warm cache)", ("check",), cache),
                ("diff (warm cache)", ("diff", f"python:{tag}"), cache),
            ):
                seconds, code, gets = _run(root, registry, where, *args)
                print(f"  {label}: {seconds:.2f}s, exit {code}, {gets} blob GETs")
        finally:
            registry.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app-mb", type=int, default=64)
    args = parser.parse_args()
    in_process(args.app_mb)
    processes()


if __name__ == "__main__":
    main()
