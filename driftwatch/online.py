"""Wire the registry client and OS detection into `observe()`: the one way commands go online.

`observe_online(refs, config, ...)` runs one event loop, one RegistryClient, one OS cache; a
platform digest whose OS is already known (from the lock file or the history) costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from driftwatch.models import (
    Observation,
    OsRelease,
    Platform,
    PlatformImage,
    Resolution,
    ResolveFailure,
)
from driftwatch.observe import OS_CONCURRENCY, OsDetector, Resolver, observe, with_os
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.config import Config
    from driftwatch.osinfo import BlobSource, OsCache
    from driftwatch.registry import RegistryClient

__all__ = ["OsOptions", "RunLimits", "observe_online", "resolve_online"]

Results = list[Observation | ResolveFailure]
IN_FLIGHT_PER_REQUEST = 4  # references being worked on per allowed request in flight


@dataclass(frozen=True)
class RunLimits:
    """Fleet-scale settings of one run: overall deadline, digests seen last time, progress hook."""

    deadline: float | None = None  # a time.monotonic() value; work not done by then is skipped
    baseline: Mapping[str, str | None] | None = None  # canonical reference -> last top digest
    on_resolved: Callable[[ImageReference], None] | None = None

    def apply(self, client: RegistryClient) -> None:
        """Hand the limits to a registry client."""
        client.deadline = self.deadline
        client.baseline = self.baseline
        client.on_resolved = self.on_resolved


@dataclass(frozen=True)
class OsOptions:
    """How to find OS releases: mode, bounds, and a lookup of what is known by platform digest."""

    mode: str = "fast"
    max_bytes: int = 256 * 1024 * 1024
    max_seconds: float = 120.0
    known: Callable[[str], OsRelease | None] = field(default=lambda digest: None)
    remember: Callable[[str, OsRelease], None] | None = None  # e.g. the history's OS cache

    @classmethod
    def from_config(cls, config: Config, mode: str | None = None, **extra: object) -> OsOptions:
        """Options from the config, `mode` (a flag) winning over `os_detect`."""
        return cls(
            mode=mode or config.os_detect,
            max_bytes=config.os_max_bytes,
            max_seconds=config.os_max_seconds,
            **extra,  # type: ignore[arg-type]
        )


def resolve_online(
    references: Sequence[ImageReference],
    config: Config,
    *,
    platforms: Sequence[Platform] = (),
    os_options: OsOptions | None = None,
) -> list[Resolution | ResolveFailure]:
    """Resolutions (not observations) with each platform's OS filled: `resolve --os`."""

    async def run() -> list[Resolution | ResolveFailure]:
        async with _client(config) as client:
            results = await client.resolve_all(references, platforms)
            if _detects(os_options):
                results = await with_os(results, _detector(client, os_options))
            return results

    return asyncio.run(run())


def observe_online(
    references: Sequence[ImageReference],
    config: Config,
    *,
    platforms: Sequence[Platform] = (),
    os_options: OsOptions | None = None,
    limits: RunLimits | None = None,
) -> Results:
    """Resolve `references` and (unless the mode is off) the OS of every platform image."""

    async def run() -> Results:
        async with _client(config) as client:
            detector = _detector(client, os_options) if _detects(os_options) else None
            if limits is None:
                return await observe(
                    references, client.resolve_all, platforms=platforms, detect_os=detector
                )
            limits.apply(client)
            resolver = _pipelined(client, detector)
            return await observe(references, resolver, platforms=platforms)

    return asyncio.run(run())


def _pipelined(client: RegistryClient, detector: OsDetector | None) -> Resolver:
    """Resolve then detect per reference, so slow references never hold up the others' OS.

    A registry failure while reading an image makes its reference "could not check" (strict).
    """
    limit = asyncio.Semaphore(OS_CONCURRENCY)

    async def one(
        ref: ImageReference, platforms: Sequence[Platform]
    ) -> Resolution | ResolveFailure:
        results = await client.resolve_all([ref], platforms)
        if detector is not None:
            results = await with_os(results, detector, strict=True, limit=limit)
        return results[0]

    async def resolve(
        refs: Sequence[ImageReference], platforms: Sequence[Platform]
    ) -> list[Resolution | ResolveFailure]:
        unique = list(dict.fromkeys(refs))
        found: dict[ImageReference, Resolution | ResolveFailure] = {}
        pending = iter(unique)

        async def worker() -> None:  # a fixed pool of workers keeps memory flat at any size
            for ref in pending:
                found[ref] = await one(ref, platforms)

        workers = min(len(unique), IN_FLIGHT_PER_REQUEST * client.config.concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        return [found[ref] for ref in refs]

    return resolve


def _client(config: Config) -> RegistryClient:
    """The client every command uses: disk caches of manifests and of the tags seen here."""
    from driftwatch.registry import DiskTagMemo, RegistryClient

    return RegistryClient(config, tags=DiskTagMemo.default())


def _detects(options: OsOptions | None) -> bool:
    return options is not None and options.mode != "off"


def _detector(client: RegistryClient, options: OsOptions | None) -> OsDetector:
    """A detect_os callback: known digests first, then the index hints and the osinfo scan."""
    from driftwatch.osinfo import BoundSource, DiskCache, detect_os

    assert options is not None
    cache: OsCache = DiskCache()
    hints_by_index: dict[str, asyncio.Task[Mapping[str, Mapping[str, str]]]] = {}
    running: dict[str, asyncio.Task[OsRelease]] = {}  # one detection per image and repository

    async def detect(resolution: Resolution, image: PlatformImage) -> OsRelease:
        """Known digests cost nothing; else read once, retried when a body broke off or lied."""
        known = options.known(image.digest)
        if known is not None:
            return known
        # many tags share a platform image: detect it once per repository, the others wait
        key = f"{resolution.reference.name}@{image.digest}"
        task = running.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(client.retrying(lambda: detect_once(resolution, image)))
            running[key] = task
        return await client.within_deadline(asyncio.shield(task), str(resolution.reference))

    async def detect_once(resolution: Resolution, image: PlatformImage) -> OsRelease:
        source = BoundSource(client, resolution.reference)
        hints: Mapping[str, str] = {}
        if resolution.is_index:
            task = hints_by_index.get(resolution.digest)
            if task is None:
                task = asyncio.ensure_future(_index_hints(source, resolution.digest))
                hints_by_index[resolution.digest] = task
            hints = (await task).get(image.digest, {})
        release = await detect_os(
            source,
            image.digest,
            mode=options.mode,
            hints=hints,
            cache=cache,
            max_bytes=options.max_bytes,
            max_seconds=options.max_seconds,
        )
        if options.remember is not None and release.known and not release.undetermined:
            options.remember(image.digest, release)
        return release

    return detect


async def _index_hints(source: BlobSource, digest: str) -> Mapping[str, Mapping[str, str]]:
    """Per platform digest, the index's annotations merged with its entry's (cheapest hints)."""
    from driftwatch.osinfo.manifest import parse_index

    body, _ = await source.get_manifest(digest)
    annotations, entries = parse_index(body)
    return {entry.digest: {**annotations, **entry.annotations} for entry in entries}
