"""The core of every online command: references in, Observations (digests + OS per platform) out.

resolve (registry) -> OS release of each platform image not seen before (osinfo) -> Observation.
Never prints; a reference that fails comes back as a ResolveFailure, a tag that is gone as an
Observation with no digest (so history can tell "vanished" from "could not check").
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from driftwatch.errors import DeadlineExceeded, DriftwatchError, NotFound, RegistryError
from driftwatch.models import (
    Observation,
    OsRelease,
    OsSource,
    Platform,
    PlatformImage,
    Resolution,
    ResolveFailure,
)
from driftwatch.reference import ImageReference

__all__ = ["OsDetector", "Resolver", "observation_from", "to_observation", "with_os"]

# (resolution, platform image) -> its OS release; raises driftwatch errors on failure.
OsDetector = Callable[[Resolution, PlatformImage], Awaitable[OsRelease]]
Resolver = Callable[
    [Sequence[ImageReference], Sequence[Platform]], Awaitable[list[Resolution | ResolveFailure]]
]
OS_CONCURRENCY = 8


def observation_from(resolution: Resolution, observed_at: datetime) -> Observation:
    """The Observation a successful resolution amounts to."""
    return Observation(
        reference=resolution.reference,
        observed_at=observed_at,
        digest=resolution.digest,
        media_type=resolution.media_type,
        platforms=resolution.platforms,
    )


def to_observation(
    result: Resolution | ResolveFailure, observed_at: datetime
) -> Observation | ResolveFailure:
    """A resolution as an Observation; a tag the registry says is gone as one without digest."""
    if isinstance(result, Resolution):
        return observation_from(result, observed_at)
    if result.error_type == "NotFound":
        return Observation(reference=result.reference, observed_at=observed_at, digest=None)
    return result


async def with_os(
    results: Sequence[Resolution | ResolveFailure],
    detect_os: OsDetector,
    *,
    strict: bool = False,
    limit: asyncio.Semaphore | None = None,
) -> list[Resolution | ResolveFailure]:
    """Detect the OS of every platform image, a bounded number at once, keeping order.

    `strict` (check, lock, scan): a registry failure while reading an image makes the whole
    reference "could not check", so an OS release change is never taken for a mere digest
    change. Not strict (`resolve --os`): the failure is that image's undetermined OS.
    A 404 here is a registry fault (the tag resolved), never a vanished tag.
    """
    limit = limit or asyncio.Semaphore(OS_CONCURRENCY)
    fatal = RegistryError if strict else DeadlineExceeded

    async def one(resolution: Resolution, image: PlatformImage) -> PlatformImage:
        async with limit:
            try:
                found = await detect_os(resolution, image)
            except fatal as exc:
                raise _Unchecked(image, exc) from exc
            except DriftwatchError as exc:  # one image's failure is data, not a crash
                found = OsRelease(id=None, source=OsSource.ERROR.value, undetermined=exc.message)
        return dataclasses.replace(image, os=found)

    async def each(result: Resolution | ResolveFailure) -> Resolution | ResolveFailure:
        if isinstance(result, ResolveFailure):
            return result
        try:
            images = await asyncio.gather(*(one(result, image) for image in result.platforms))
        except _Unchecked as unchecked:  # half-detected: not checked at all, never recorded
            exc, platform = unchecked.error, unchecked.image.platform
            kind = "InvalidResponse" if isinstance(exc, NotFound) else type(exc).__name__
            reason = f"{platform or 'its image'}: OS release not established: {exc.diagnostics()}"
            return ResolveFailure(result.reference, reason, kind, exc.exit_code)
        return dataclasses.replace(result, platforms=tuple(images))

    return list(await asyncio.gather(*(each(result) for result in results)))


class _Unchecked(Exception):
    """Internal: a registry failure while reading one platform image, with that image."""

    def __init__(self, image: PlatformImage, error: DriftwatchError) -> None:
        super().__init__(error.message)
        self.image = image
        self.error = error
