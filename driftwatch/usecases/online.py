"""Wire the registry client and OS detection together: the one way commands go online.

`resolve_online(refs, config, strict=...)` (and `observe_online`, its Observations) runs one event
loop, one RegistryClient, one OS cache; a platform digest whose OS is already known (from the
lock file or the history) costs nothing. Strictness is explicit at every call site.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from driftwatch.config import DEFAULT_OS_DETECT, DEFAULT_OS_MAX_BYTES, DEFAULT_OS_MAX_SECONDS
from driftwatch.errors import DriftwatchError, InvalidResponse, NotFound, RegistryError
from driftwatch.models import (
    Observation,
    OsRelease,
    Platform,
    PlatformImage,
    Resolution,
    ResolveFailure,
)
from driftwatch.reference import ImageReference
from driftwatch.usecases.observe import (
    OS_CONCURRENCY,
    OsDetector,
    Resolver,
    to_observation,
    with_os,
)

if TYPE_CHECKING:
    from driftwatch.cache import CacheStore, ValueCache
    from driftwatch.config import Config
    from driftwatch.oci.model import Index
    from driftwatch.osinfo import BlobSource
    from driftwatch.registry import RegistryClient

__all__ = [
    "OsOptions",
    "RunLimits",
    "gone_digests",
    "observe_online",
    "registry_fault",
    "resolve_online",
]

Results = list[Observation | ResolveFailure]
IN_FLIGHT_PER_REQUEST = 4  # references being worked on per allowed request in flight


@dataclass(frozen=True)
class RunLimits:
    """Fleet-scale settings of one run: overall deadline, digests seen last time, progress hook."""

    deadline: float | None = None  # a time.monotonic() value; work not done by then is skipped
    baseline: Mapping[str, str | None] | None = None  # canonical reference -> last top digest
    on_resolved: Callable[[ImageReference], None] | None = None
    known_indexes: Mapping[str, Index] | None = None  # index digest -> its entries (the lock)

    def apply(self, client: RegistryClient) -> None:
        """Hand the limits to a registry client (without a deadline, the config's default stays)."""
        if self.deadline is not None:
            client.deadline = self.deadline
        client.baseline = self.baseline
        client.on_resolved = self.on_resolved
        client.known_indexes = self.known_indexes or {}


@dataclass(frozen=True)
class OsOptions:
    """How to find OS releases: mode, bounds, and a lookup of what is known by platform digest."""

    mode: str = DEFAULT_OS_DETECT
    max_bytes: int = DEFAULT_OS_MAX_BYTES
    max_seconds: float = DEFAULT_OS_MAX_SECONDS
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
    strict: bool,
    platforms: Sequence[Platform] = (),
    os_options: OsOptions | None = None,
    limits: RunLimits | None = None,
    known_platforms: Mapping[str, Platform] | None = None,
) -> list[Resolution | ResolveFailure]:
    """Resolutions (digests, platforms as the runtimes see them, OS when asked): the one way
    every command goes online (`resolve --os` and `pin` directly, the others through
    `observe_online`).

    `strict`: a registry failure while reading any part of an image (a child manifest, a config,
    a layer) makes the whole reference "could not check"; not strict (`resolve --os`), it is
    reported per platform as an OS that could not be read. A 404 is "tag gone" only when the
    tag itself is gone: a missing blob or child manifest is a registry fault either way.
    `known_platforms` (platform by manifest digest, e.g. from the lock) spares the config read of
    a single manifest seen before: a digest's platform never changes.
    """

    async def run() -> list[Resolution | ResolveFailure]:
        store = _store()
        async with _client(config, store) as client:
            (limits or RunLimits()).apply(client)
            detector = _detector(client, os_options, store) if _detects(os_options) else None
            resolver = _pipelined(client, detector, strict=strict, known=known_platforms or {})
            return await resolver(references, platforms)

    return asyncio.run(run())


def observe_online(
    references: Sequence[ImageReference],
    config: Config,
    *,
    strict: bool,
    platforms: Sequence[Platform] = (),
    os_options: OsOptions | None = None,
    limits: RunLimits | None = None,
    known_platforms: Mapping[str, Platform] | None = None,
) -> Results:
    """`resolve_online` as Observations: a tag that is gone is an Observation without digest."""
    observed_at = datetime.now(timezone.utc)
    results = resolve_online(
        references,
        config,
        strict=strict,
        platforms=platforms,
        os_options=os_options,
        limits=limits,
        known_platforms=known_platforms,
    )
    return [to_observation(result, observed_at) for result in results]


def gone_digests(
    config: Config, pins: Mapping[ImageReference, str], limits: RunLimits | None = None
) -> frozenset[ImageReference]:
    """The references whose pinned digest the registry no longer serves (one HEAD by digest).

    A fix must never pin a digest that cannot be pulled; an answer that cannot be had (an error,
    the run's deadline) leaves the pin as it is: only a 404 proves it gone.
    """
    if not pins:
        return frozenset()

    async def run() -> list[bool]:
        async with _client(config, _store()) as client:
            if limits is not None:
                client.deadline = limits.deadline

            async def one(ref: ImageReference, digest: str) -> bool:
                try:
                    served = client.has_manifest(ref, digest)
                    return not await client.within_deadline(served, str(ref))
                except DriftwatchError:
                    return False

            return list(await asyncio.gather(*(one(r, d) for r, d in pins.items())))

    answers = asyncio.run(run())
    return frozenset(ref for ref, gone in zip(pins, answers, strict=True) if gone)


def _pipelined(
    client: RegistryClient,
    detector: OsDetector | None,
    *,
    strict: bool,
    known: Mapping[str, Platform],
) -> Resolver:
    """Resolve then detect per reference, so slow references never hold up the others' OS."""
    limit = asyncio.Semaphore(OS_CONCURRENCY)

    async def one(
        ref: ImageReference, platforms: Sequence[Platform]
    ) -> Resolution | ResolveFailure:
        result = await client.resolve_or_fail(ref, platforms)
        if isinstance(result, ResolveFailure):
            return await _confirm_gone(client, result)
        try:
            result = await client.within_deadline(_with_platforms(client, result, known), str(ref))
        except RegistryError as exc:
            return registry_fault(ref, exc)
        if detector is not None:
            result = (await with_os([result], detector, strict=strict, limit=limit))[0]
        return result

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


async def _confirm_gone(client: RegistryClient, failure: ResolveFailure) -> ResolveFailure:
    """A NotFound is "tag gone" only when a HEAD of the tag itself says 404 too."""
    if failure.error_type != NotFound.__name__ or failure.reference.digest is not None:
        return failure
    ref = failure.reference
    try:
        gone = not await client.has_manifest(ref, ref.manifest_reference)
    except DriftwatchError as exc:
        return registry_fault(ref, exc)
    if gone:
        return failure
    reason = f"{failure.reason}; the tag itself exists: the registry does not serve all of it"
    return ResolveFailure(ref, reason, "InvalidResponse", failure.exit_code)


async def _with_platforms(
    client: RegistryClient, resolution: Resolution, known: Mapping[str, Platform]
) -> Resolution:
    """A single manifest's platform read from its config (manifest and config cached by digest):
    the same platform whether a tag serves an index or one manifest."""
    if resolution.is_index:
        _checked_index(resolution)
    images = []
    for image in resolution.platforms:
        platform = (
            image.platform
            or known.get(image.digest)
            or await _platform_of(client, resolution, image)
        )
        images.append(dataclasses.replace(image, platform=platform.normalized()))
    return dataclasses.replace(resolution, platforms=tuple(images))


def _checked_index(resolution: Resolution) -> None:
    """Refuse an index a runtime could not pull from reliably (InvalidResponse: a registry lie):
    an entry without a platform, or two entries for one platform (a runtime takes the first, a
    comparison could take another). Only the entries selected count: when the config or
    `--platform` says which platforms to take, the others may be as they like.
    """
    seen: set[Platform] = set()
    where = f"{resolution.reference}@{resolution.digest}"
    for image in resolution.platforms:
        if image.platform is None:
            raise InvalidResponse(f"{where}: index entry without a platform (registry lie)")
        platform = image.platform.normalized()
        if platform in seen:
            raise InvalidResponse(f"{where}: index lists {platform} twice (registry lie)")
        seen.add(platform)


async def _platform_of(
    client: RegistryClient, resolution: Resolution, image: PlatformImage
) -> Platform:
    from driftwatch.oci.media import MAX_CONFIG_BYTES
    from driftwatch.oci.model import parse_image_manifest
    from driftwatch.oci.platforms import platform_from_config

    ref = resolution.reference
    body, media_type = await client.retrying(lambda: client.get_manifest(ref, image.digest))
    where = f"{ref.name}@{image.digest}"
    config_digest = parse_image_manifest(body, media_type, where).config.digest
    source = _CachedConfigs(client, ref)
    config = await client.retrying(lambda: source.get_blob(config_digest, MAX_CONFIG_BYTES))
    return platform_from_config(config, f"{ref.name}@{config_digest}")


@dataclass(frozen=True)
class _CachedConfigs:
    """The client bound to one repository, small blobs (configs) kept in its digest cache: the
    config read for a single manifest's platform is the one OS detection reads next."""

    client: RegistryClient
    reference: ImageReference

    async def get_manifest(self, digest: str) -> tuple[bytes, str]:
        """The verified manifest (cached by the client)."""
        return await self.client.get_manifest(self.reference, digest)

    async def get_blob(self, digest: str, max_bytes: int) -> bytes:
        """A verified small blob, from the cache when read before."""
        cached = self.client.cache.get(digest)
        if cached is not None and len(cached) <= max_bytes:
            return cached
        blob = await self.client.get_blob(self.reference, digest, max_bytes)
        self.client.cache.put(digest, blob)
        return blob

    def stream_blob(self, digest: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """A layer, streamed (never cached here)."""
        return self.client.stream_blob(self.reference, digest)


def registry_fault(ref: ImageReference, exc: DriftwatchError) -> ResolveFailure:
    """A failure after the tag resolved: "could not check", never read as a vanished tag."""
    kind = "InvalidResponse" if isinstance(exc, NotFound) else type(exc).__name__
    return ResolveFailure(ref, exc.diagnostics(), kind, exc.exit_code)


def _store() -> CacheStore:
    """The one disk cache (driftwatch.cache) a run reads and writes: manifests, tags, OS facts."""
    from driftwatch.cache import CacheStore

    return CacheStore()


def _client(config: Config, store: CacheStore) -> RegistryClient:
    """The client every command uses: manifests and the tags seen here in the disk cache (it
    flushes the store, OS facts included, when it closes)."""
    from driftwatch.cache import DiskManifestCache, DiskTagMemo
    from driftwatch.registry import RegistryClient

    tags = DiskTagMemo(store=store)
    return RegistryClient(config, cache=DiskManifestCache(store=store), tags=tags)


def _detects(options: OsOptions | None) -> bool:
    return options is not None and options.mode != "off"


def _detector(client: RegistryClient, options: OsOptions | None, store: CacheStore) -> OsDetector:
    """A detect_os callback: known digests first, then the index hints and the osinfo scan."""
    from driftwatch.cache import DiskValues
    from driftwatch.osinfo import detect_os

    assert options is not None
    cache: ValueCache = DiskValues(store=store)
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
        source = _CachedConfigs(client, resolution.reference)
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
    from driftwatch.oci.model import parse_index

    body, media_type = await source.get_manifest(digest)
    index = parse_index(body, media_type, digest)
    return {entry.digest: {**index.annotations, **entry.annotations} for entry in index.manifests}
