"""OS detection costs for a new digest: bytes with and without a hint, peak RSS on a 300 MB layer,
requests for an already-seen digest.

Run: .venv/bin/python benchmarks/osinfo.py [--layer-mb 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from driftwatch.cache import DiskValues  # noqa: E402
from driftwatch.osinfo import detect_os  # noqa: E402
from tests.testbed.distros import app_layer, debian  # noqa: E402
from tests.testbed.images import file  # noqa: E402
from tests.testbed.memory import ImageStore, MemorySource  # noqa: E402

HISTORY = "# debian.sh --arch 'amd64' out/ 'bookworm' '@1749513600'"
MB = 1024 * 1024


def sized(store: ImageStore, digest: str) -> dict[str, int]:
    """Sizes of an image's config and layers, by digest."""
    import json

    manifest = json.loads(store.manifests[digest][0])
    return {d["digest"]: d["size"] for d in [manifest["config"], *manifest["layers"]]}


def bytes_with_hint() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer(size=3 * MB)], history=[HISTORY])
    source = MemorySource(store)
    release = asyncio.run(detect_os(source, digest))
    config = sized(store, digest)
    config_size = next(size for d, size in config.items() if d == source.blob_requests()[0][1])
    print(
        f"with a hint:    {source.bytes_read:>10,} bytes read (config blob {config_size:,} bytes; "
        f"image {sum(config.values()):,} bytes) -> {release.describe()} via {release.source}"
    )


def bytes_without_hint() -> None:
    store = ImageStore()
    filler = [file(f"usr/share/filler/{i}", random.Random(i).randbytes(MB)) for i in range(20)]
    base = store.add_layer(filler)
    os_layer = store.add_layer(debian(link=False))
    top = store.add_layer(app_layer(size=3 * MB))
    digest = store.add_image([base, os_layer, top])
    source = MemorySource(store)
    release = asyncio.run(detect_os(source, digest))
    sizes = sized(store, digest)
    config_size = sum(sizes.values()) - base["size"] - os_layer["size"] - top["size"]
    needed = config_size + top["size"] + os_layer["size"]
    print(
        f"without a hint: {source.bytes_read:>10,} bytes read (config + layers down to the one with the "
        f"file: {needed:,}; whole image {sum(sizes.values()):,}) -> {release.describe()}"
    )


def seen_digest_requests() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer()])
    with tempfile.TemporaryDirectory() as folder:
        cache = DiskValues(Path(folder))
        asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
        cache.store.close()
        again = MemorySource(store)
        release = asyncio.run(detect_os(again, digest, cache=DiskValues(Path(folder))))
    print(
        f"seen digest:    {len(again.requests)} requests (disk cache) -> {release.describe()} via {release.source}"
    )


def big_tar(megabytes: int, compressible: bool) -> Iterator[bytes]:
    """Tar bytes of `megabytes` MiB of 1 MiB files, os-release last, produced piece by piece."""
    rng = random.Random(0)
    for i in range(megabytes):
        info = tarfile.TarInfo(f"opt/data/{i:05d}.bin")
        info.size = MB
        yield info.tobuf(tarfile.PAX_FORMAT)
        yield (
            (f"line {i} of a rather repetitive file\n".encode() * MB)[:MB]
            if compressible
            else rng.randbytes(MB)
        )
    text = b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
    info = tarfile.TarInfo("etc/os-release")
    info.size = len(text)
    yield info.tobuf(tarfile.PAX_FORMAT) + text + bytes(-len(text) % 512) + bytes(1024)


def make_big_layer(path: Path, megabytes: int, codec: str) -> None:
    """A gzip layer of incompressible files, or a zstd layer of very compressible ones."""
    with path.open("wb") as raw:
        if codec == "gzip":
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
                for piece in big_tar(megabytes, compressible=False):
                    out.write(piece)
        else:
            with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as out:
                for piece in big_tar(megabytes, compressible=True):
                    out.write(piece)


def peak_rss(megabytes: int, codec: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        layer = Path(folder) / f"layer.tar.{codec}"
        started = time.monotonic()
        make_big_layer(layer, megabytes, codec)
        made = time.monotonic() - started
        out = subprocess.run(
            [sys.executable, __file__, "--scan", str(layer)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            f"big {codec} layer: {layer.stat().st_size / MB:,.1f} MiB blob holding {megabytes} MiB of files "
            f"(made in {made:.0f}s); {out.stdout.strip()}"
        )


def high_water_mib() -> float:
    """Peak RSS of this process image (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scan_only(layer: Path) -> None:
    store = ImageStore()
    media = "application/vnd.oci.image.layer.v1.tar+" + layer.suffix.lstrip(".")
    descriptor = store.add_file_layer(layer, media)
    digest = store.add_image([descriptor])
    baseline = high_water_mib()
    source = MemorySource(store, chunk_size=64 * 1024)
    started = time.monotonic()
    release = asyncio.run(detect_os(source, digest, max_bytes=2**40, max_seconds=3600))
    took = time.monotonic() - started
    peak = high_water_mib()
    print(
        f"peak RSS {peak:.0f} MiB (process before scan {baseline:.0f} MiB), {source.bytes_read / MB:,.1f} MiB streamed "
        f"in {took:.2f}s -> {release.describe()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layer-mb", type=int, default=300)
    parser.add_argument("--scan", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan:
        scan_only(args.scan)
        return
    bytes_with_hint()
    bytes_without_hint()
    seen_digest_requests()
    peak_rss(args.layer_mb, "gzip")
    peak_rss(args.layer_mb, "zstd")


if __name__ == "__main__":
    main()
