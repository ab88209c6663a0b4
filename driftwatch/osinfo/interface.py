"""What OS detection needs from the outside: the blobs of one repository."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from driftwatch.reference import ImageReference

__all__ = ["BlobSource", "BoundSource", "RegistryBlobs"]


class BlobSource(Protocol):
    """Verified manifests and blobs of one repository (the registry client, bound to a reference).

    Every method checks the bytes against `digest` and raises DigestMismatch when they differ;
    `stream_blob` can only do so at the end of the stream, after its last chunk.
    """

    async def get_manifest(self, digest: str) -> tuple[bytes, str]:
        """The manifest's raw bytes and media type."""
        ...

    async def get_blob(self, digest: str, max_bytes: int) -> bytes:
        """A small blob (a config), refused when larger than `max_bytes`."""
        ...

    def stream_blob(self, digest: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """A large blob (a layer) as chunks, so it is never held in memory whole."""
        ...


class RegistryBlobs(Protocol):
    """The registry client's blob methods, which take the repository on every call."""

    async def get_manifest(self, ref: ImageReference, digest: str) -> tuple[bytes, str]:
        """Verified manifest bytes and media type."""
        ...

    async def get_blob(self, ref: ImageReference, digest: str, max_bytes: int) -> bytes:
        """A verified small blob."""
        ...

    def stream_blob(
        self, ref: ImageReference, digest: str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """A blob as chunks; DigestMismatch after the last one when the bytes lie."""
        ...


@dataclass(frozen=True)
class BoundSource:
    """A BlobSource made of the registry client and one repository: `BoundSource(client, ref)`."""

    client: RegistryBlobs
    reference: ImageReference

    async def get_manifest(self, digest: str) -> tuple[bytes, str]:
        """The manifest from the client, for this repository."""
        return await self.client.get_manifest(self.reference, digest)

    async def get_blob(self, digest: str, max_bytes: int) -> bytes:
        """A small blob from the client, for this repository."""
        return await self.client.get_blob(self.reference, digest, max_bytes)

    def stream_blob(self, digest: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """A streamed blob from the client, for this repository."""
        return self.client.stream_blob(self.reference, digest)
