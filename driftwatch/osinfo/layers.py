"""Read the OS release from an image's layers: stream each one top first, stop once it is settled.

Each layer becomes `LayerFacts` (see tarscan); paths are then resolved across the layers read so
far with overlay rules: an upper entry hides lower ones, `.wh.<name>` deletes, `.wh..wh..opq`
hides a directory's lower content, and symlinks are followed inside the image.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from driftwatch.errors import OsDetectionError
from driftwatch.models import OsRelease, OsSource
from driftwatch.osinfo.decode import LayerDecoder
from driftwatch.osinfo.interface import BlobSource
from driftwatch.osinfo.osrelease import POINT_RELEASE_FILES, release_from_files
from driftwatch.osinfo.tarscan import LayerEntry, LayerFacts, TarScanner

__all__ = ["Budget", "NeedMore", "Undetermined", "scan_layer", "settle"]

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
MAX_LINK_HOPS = 40


class Undetermined(Exception):
    """A bound was reached or a layer cannot be read; the message says why (internal)."""


class NeedMore(Exception):
    """The layers read so far do not settle the question; read the next one down (internal)."""


@dataclass
class Budget:
    """Bytes and seconds one image may still cost."""

    max_bytes: int
    max_seconds: float
    used: int = 0
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = self.started or time.monotonic()

    def afford(self, size: int | None, read: int, total: int) -> None:
        """Refuse a layer of `size` bytes before downloading it when it cannot fit."""
        if size is not None and self.used + size > self.max_bytes:
            raise Undetermined(
                f"byte bound of {self.max_bytes} reached after {read} of {total} layers "
                f"({self.used} bytes read, next layer {size} bytes)"
            )

    def spend(self, count: int) -> None:
        """Count downloaded bytes; raise Undetermined past either bound."""
        self.used += count
        if self.used > self.max_bytes:
            raise Undetermined(f"byte bound of {self.max_bytes} reached inside a layer")
        self.tick()

    def tick(self) -> None:
        """Raise Undetermined once the time bound has passed."""
        if time.monotonic() - self.started > self.max_seconds:
            raise Undetermined(f"time bound of {self.max_seconds:g}s reached")


async def scan_layer(
    source: BlobSource, digest: str, media_type: str, budget: Budget
) -> LayerFacts:
    """Stream one layer through decompression and the tar scanner, reading it to its end."""
    label = digest[:19]
    scanner = TarScanner(label)

    def sink(data: bytes) -> None:
        budget.tick()
        scanner.feed(data)

    decoder = LayerDecoder(label, media_type, sink)
    async with source.stream_blob(digest) as chunks:
        try:
            async for chunk in chunks:
                budget.spend(len(chunk))
                decoder.feed(chunk)
            decoder.close()
        except OsDetectionError:
            await _drain(chunks, budget)  # bytes that lie about their digest are the root cause
            raise
    return scanner.finish()


async def _drain(chunks: AsyncIterator[bytes], budget: Budget) -> None:
    """Read a broken layer to its end so the source can raise DigestMismatch if the bytes lie."""
    async for chunk in chunks:
        budget.spend(len(chunk))


class _Layer:
    """LayerFacts indexed for path decisions."""

    def __init__(self, facts: LayerFacts) -> None:
        self.entries = {entry.path: entry for entry in facts.entries}
        self.opaque = frozenset(facts.opaque)
        self.dirs = {parent for path in self.entries for parent in _parents(path)}
        self.dirs.update(d for folder in self.opaque for d in (*_parents(folder), folder))

    def decide(self, path: str) -> LayerEntry | None | bool:
        """The entry this layer gives `path`, None when it hides it, False when it says nothing."""
        entry = self.entries.get(path)
        if entry is not None:
            return None if entry.kind == "whiteout" else entry
        for parent in _parents(path):
            hidden = self.entries.get(parent)
            if parent in self.opaque or (hidden is not None and hidden.kind == "whiteout"):
                return None
        if path in self.dirs:
            return LayerEntry(path, "dir")
        return False


def settle(facts: Sequence[LayerFacts], complete: bool) -> OsRelease:
    """The release the layers (top first) show; NeedMore when lower layers could change it."""
    layers = [_Layer(item) for item in facts]
    for path in OS_RELEASE_PATHS:
        entry = _resolve(layers, path, complete)
        if entry is not None:
            break
    else:
        return OsRelease(id=None, source=OsSource.LAYERS.value)
    if entry.content is None:
        unreadable = f"{path} is unreadable"
        return OsRelease(id=None, source=OsSource.LAYER.at(path), undetermined=unreadable)
    release = release_from_files(entry.content, OsSource.LAYER.at(path))
    extra_path = POINT_RELEASE_FILES.get(release.id or "")
    if extra_path is None:
        return release
    extra = _resolve(layers, extra_path, complete)
    return release_from_files(
        entry.content, OsSource.LAYER.at(path), {extra_path: extra.content if extra else None}
    )


def _lookup(layers: Sequence[_Layer], path: str, complete: bool) -> LayerEntry | None:
    for layer in layers:
        decided = layer.decide(path)
        if decided is not False:
            return decided if isinstance(decided, LayerEntry) else None
    if complete:
        return None
    raise NeedMore(path)


def _resolve(layers: Sequence[_Layer], path: str, complete: bool) -> LayerEntry | None:
    """The regular file at `path` after following symlinks (also in parent directories)."""
    parts, done, hops = path.split("/"), 0, 0
    entry: LayerEntry | None = None
    while done < len(parts):
        entry = _lookup(layers, "/".join(parts[: done + 1]), complete)
        if entry is None:
            return None
        if entry.kind == "symlink":
            hops += 1
            if hops > MAX_LINK_HOPS or entry.target is None:
                return None
            base = "" if entry.target.startswith("/") else "/".join(parts[:done])
            target = posixpath.normpath("/" + base + "/" + entry.target).lstrip("/")
            parts, done = [p for p in target.split("/") if p] + parts[done + 1 :], 0
            continue
        last = done == len(parts) - 1
        if (last and entry.kind != "file") or (not last and entry.kind != "dir"):
            return None
        done += 1
    return entry if parts else None


def _parents(path: str) -> list[str]:
    """Proper ancestors of a path, nearest last: a/b/c -> [a, a/b]."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
