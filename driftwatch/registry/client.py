"""The registry client: resolve tags to per-platform digests; read verified manifests and blobs.

HEAD first (free on Docker Hub); a GET only when the body is needed and not cached; every
body fetched is checked against its digest. One bad reference never aborts the others.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import TypeVar

import httpx

from driftwatch.cache import DiskManifestCache, DiskTagMemo, ManifestCache, TagMemo
from driftwatch.config import Config
from driftwatch.errors import (
    DeadlineExceeded,
    DigestMismatch,
    DriftwatchError,
    InvalidResponse,
    NotFound,
    PlatformNotFound,
    TransferBroken,
    TruncatedBody,
)
from driftwatch.models import Platform, PlatformImage, Resolution, ResolveFailure
from driftwatch.oci.digest import check_digest_syntax, compute_digest, verify_digest
from driftwatch.oci.media import (
    IMAGE_TYPES,
    MAX_CONFIG_BYTES,
    MAX_MANIFEST_BYTES,
    base_type,
    refuse_schema1,
)
from driftwatch.oci.model import Index, Manifest, parse_manifest
from driftwatch.oci.platforms import platform_from_config, select_platforms
from driftwatch.reference import ImageReference
from driftwatch.registry.budget import parse_remaining
from driftwatch.registry.credentials import CredentialStore
from driftwatch.registry.endpoints import candidate_bases
from driftwatch.registry.inflight import unbounded_body, until_deadline
from driftwatch.registry.manifestreq import (
    digest_by_get,
    head_unsure,
    manifest_request,
    served_by_get,
)
from driftwatch.registry.responses import (
    check_status,
    content_length,
    read_capped,
    read_small,
    verified_chunks,
)
from driftwatch.registry.session import RegistrySession, backoff

__all__ = ["RETRY_WHOLE", "RegistryClient"]

T = TypeVar("T")
# Errors met while reading or checking a body: the whole fetch is worth another try.
RETRY_WHOLE = (TransferBroken, TruncatedBody, DigestMismatch)

PARSED_KEPT = 4096
_BLOB_HEADERS = {"Accept-Encoding": "identity"}


class RegistryClient:
    """Async client for OCI distribution registries: `async with RegistryClient(cfg) as c`."""

    def __init__(
        self,
        config: Config,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        credentials: CredentialStore | None = None,
        cache: ManifestCache | None = None,
        tags: TagMemo | None = None,
    ) -> None:
        for host, settings in config.registries.items():
            candidate_bases(host, settings)  # refuse bad endpoints before any request
        self.config = config
        if cache is None:  # one disk store for manifests and tags
            store = tags.store if isinstance(tags, DiskTagMemo) else None
            cache = DiskManifestCache(store=store)
        self.cache: ManifestCache = cache
        self.tags = tags  # without a history: which tags this machine resolved before
        self.session = RegistrySession(config, transport, credentials)
        self.baseline: Mapping[str, str | None] | None = None  # see _believable
        self.known_indexes: Mapping[str, Index] = {}  # by digest, e.g. from the lock: no GET
        self.deadline: float | None = None  # time.monotonic() by which the run must end
        self.on_resolved: Callable[[ImageReference], None] | None = None  # progress hook
        self._manifests: dict[str, Manifest] = {}  # parsed, by digest (see _parsed)

    async def __aenter__(self) -> RegistryClient:
        if self.deadline is None and self.config.deadline:  # the run's default time limit
            self.deadline = time.monotonic() + self.config.deadline
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.close()
        for store in (self.cache, self.tags):
            flush = getattr(store, "flush", None)
            if flush is not None:  # the disk caches write once per run
                flush()

    async def resolve(self, ref: ImageReference, platforms: Sequence[Platform] = ()) -> Resolution:
        """What `ref` points to now: top digest and per-platform digests (filtered)."""
        resolution = await self._resolve(ref, platforms)
        if self.tags is not None and ref.digest is None:
            self.tags.remember(str(ref), resolution.digest)
        return resolution

    async def _resolve(self, ref: ImageReference, platforms: Sequence[Platform]) -> Resolution:
        where = str(ref)
        if self._first_sighting(ref):  # its body must be hashed anyway: one GET, no HEAD
            return await self._resolve_by_get(ref, platforms)
        response = await manifest_request(self.session, ref, "HEAD", ref.manifest_reference)
        await response.aclose()
        if head_unsure(self.config, ref, response):  # the GET says what the HEAD could not
            return await self._resolve_by_get(ref, platforms, parse_remaining(response.headers))
        check_status(response, where, "manifest unknown")
        media_type = base_type(response.headers.get("content-type"))
        refuse_schema1(media_type, where)
        ratelimit = parse_remaining(response.headers)
        digest = _pinned_digest(ref, response.headers.get("docker-content-digest"), where)
        if digest and not self._believable(ref, digest):
            body, media_type, digest = await self._get_by_tag(ref, expect=digest)
        elif digest and media_type in IMAGE_TYPES and not platforms:
            image = PlatformImage(None, digest, media_type, content_length(response.headers))
            return Resolution(ref, digest, media_type, (image,), ratelimit)
        elif digest and (known := self.known_indexes.get(digest)) is not None:
            images = await self._platform_images(ref, digest, known, 0, platforms)
            return Resolution(ref, digest, known.media_type, images, ratelimit)
        elif digest:
            body, media_type = await self._get_named(ref, digest)
        else:
            body, media_type, digest = await self._get_by_tag(ref)
        return await self._resolution(ref, digest, body, media_type, platforms, ratelimit)

    async def _resolution(
        self,
        ref: ImageReference,
        digest: str,
        body: bytes,
        media_type: str,
        platforms: Sequence[Platform],
        ratelimit: int | None,
    ) -> Resolution:
        """The Resolution a verified manifest body amounts to."""
        manifest = self._parsed(digest, body, media_type, str(ref))
        images = await self._platform_images(ref, digest, manifest, len(body), platforms)
        return Resolution(ref, digest, manifest.media_type, images, ratelimit)

    async def _resolve_by_get(
        self, ref: ImageReference, platforms: Sequence[Platform], ratelimit: int | None = None
    ) -> Resolution:
        """Resolve with one GET by tag, the body hashed (a tag never seen before, or a HEAD
        whose answer cannot be trusted)."""
        body, media_type, digest = await self._get_by_tag(ref)
        return await self._resolution(ref, digest, body, media_type, platforms, ratelimit)

    def _first_sighting(self, ref: ImageReference) -> bool:
        """A tag never seen (by the history, or else by this machine): HEAD would only name a
        digest whose body must be fetched and hashed anyway, so one GET does both.

        Docker Hub keeps HEAD first: it is free there and reports the pull budget before any GET
        is spent.
        """
        if ref.digest is not None or ref.is_docker_hub:
            return False
        if self.baseline is not None:
            return str(ref) not in self.baseline
        return self.tags is not None and not self.tags.seen(str(ref))

    def _believable(self, ref: ImageReference, digest: str) -> bool:
        """A HEAD's digest header is taken on trust only when it is the digest seen last time.

        Any other digest (a change, or a first sighting) is confirmed by hashing the body fetched
        by tag, so a lying `Docker-Content-Digest` can never become a recorded change.
        """
        return (
            self.baseline is None or ref.digest is not None or self.baseline.get(str(ref)) == digest
        )

    async def _get_named(self, ref: ImageReference, digest: str) -> tuple[bytes, str]:
        """The manifest a HEAD named; a 404 for it is an inconsistent registry, not a gone tag."""
        try:
            return await self.get_manifest(ref, digest)
        except NotFound as exc:
            raise InvalidResponse(
                f"{ref}: the registry named {digest} but does not serve it"
            ) from exc

    async def resolve_all(
        self, refs: Sequence[ImageReference], platforms: Sequence[Platform] = ()
    ) -> list[Resolution | ResolveFailure]:
        """Resolve every reference concurrently, in order; failures come back as data."""
        unique = list(dict.fromkeys(refs))
        results = await asyncio.gather(*(self.resolve_or_fail(r, platforms) for r in unique))
        found = dict(zip(unique, results, strict=True))
        return [found[ref] for ref in refs]

    async def within_deadline(self, work: Awaitable[T], where: str) -> T:
        """Await `work` unless the run's deadline passes first (then DeadlineExceeded)."""
        if self.deadline is None:
            return await work
        try:
            if self.deadline <= time.monotonic():
                raise asyncio.TimeoutError
            return await until_deadline(self.deadline, work)
        except asyncio.TimeoutError:
            if inspect.iscoroutine(work):
                work.close()
            raise DeadlineExceeded(f"{where}: could not check: deadline") from None

    async def retrying(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` again (with backoff) when a body broke off or did not hash right."""
        for attempt in range(self.config.retries):
            try:
                return await work()
            except RETRY_WHOLE:  # noqa: PERF203 - a retry loop
                await self.session.sleep(backoff(attempt))
        return await work()

    async def get_manifest(self, ref: ImageReference, digest: str) -> tuple[bytes, str]:
        """The verified bytes and media type of manifest `digest` in `ref`'s repository (cached)."""
        where = f"{ref.name}@{digest}"
        check_digest_syntax(digest, where)
        cached = self.cache.get(digest)
        if cached is not None:
            return cached, self._parsed(digest, cached, None, where).media_type
        response = await manifest_request(self.session, ref, "GET", digest)
        body = await read_capped(response, MAX_MANIFEST_BYTES, where, "manifest unknown")
        verify_digest(body, digest, where)
        content_type = response.headers.get("content-type")
        media_type = self._parsed(digest, body, content_type, where).media_type
        self.cache.put(digest, body)
        return body, media_type

    async def has_manifest(self, ref: ImageReference, reference: str) -> bool:
        """Whether `ref`'s repository serves manifest `reference` (a tag or digest): one HEAD,
        and a GET when the HEAD's answer cannot be trusted (see `manifestreq.head_unsure`)."""
        response = await manifest_request(self.session, ref, "HEAD", reference)
        await response.aclose()
        if head_unsure(self.config, ref, response):
            return await served_by_get(self.session, ref, reference)
        if response.status_code == 404:
            return False
        check_status(response, f"{ref.name}:{reference}", "manifest unknown")
        return True

    async def head_digest(self, ref: ImageReference, tag: str) -> str | None:
        """The digest tag `tag` of `ref`'s repository names (one HEAD, free on Docker Hub);
        None when the tag is unknown or the registry does not say. A GET is spent only where the
        HEAD's answer cannot be trusted (404 off Docker Hub, 405)."""
        response = await manifest_request(self.session, ref, "HEAD", tag)
        await response.aclose()
        if head_unsure(self.config, ref, response):  # Nexus, Harbor: 404 to a HEAD; GET knows
            return await digest_by_get(self.session, ref, tag)
        if response.status_code == 404:
            return None
        check_status(response, f"{ref.name}:{tag}", "manifest unknown")
        header = response.headers.get("docker-content-digest")
        return check_digest_syntax(header, f"{ref.name}:{tag}") if header else None

    def _parsed(self, digest: str, body: bytes, content_type: str | None, where: str) -> Manifest:
        """`body` parsed, once per digest and run (a warm resolve reads each index twice)."""
        found = self._manifests.get(digest)
        if found is None:
            if len(self._manifests) >= PARSED_KEPT:
                self._manifests.clear()
            found = self._manifests[digest] = parse_manifest(body, content_type, where)
        return found

    async def get_blob(self, ref: ImageReference, digest: str, max_bytes: int) -> bytes:
        """A whole blob (e.g. an image config), verified, refused when over `max_bytes`."""
        where = f"{ref.name}@{digest}"
        check_digest_syntax(digest, where)
        response = await self.session.request(
            ref, "GET", _blob_path(ref, digest), _BLOB_HEADERS, follow=True
        )
        body = await read_capped(response, max_bytes, where, "blob unknown")
        verify_digest(body, digest, where)
        return body

    def stream_blob(
        self, ref: ImageReference, digest: str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Chunks of a blob; the iterator raises DigestMismatch at the end on wrong bytes."""
        return self._stream_blob(ref, digest)

    @asynccontextmanager
    async def _stream_blob(
        self, ref: ImageReference, digest: str
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        where = f"{ref.name}@{digest}"
        check_digest_syntax(digest, where)
        response = await self.session.request(
            ref, "GET", _blob_path(ref, digest), _BLOB_HEADERS, follow=True
        )
        unbounded_body(response)  # a layer: OS detection bounds its time and bytes
        try:
            if response.status_code != 200:
                check_status(response, where, "blob unknown", await read_small(response))
            yield verified_chunks(response, digest, where)
        finally:
            await response.aclose()

    async def resolve_or_fail(
        self, ref: ImageReference, platforms: Sequence[Platform] = ()
    ) -> Resolution | ResolveFailure:
        """Resolve one reference within the run's deadline; a failure comes back as data."""
        try:
            return await self.within_deadline(
                self.retrying(lambda: self.resolve(ref, platforms)), str(ref)
            )
        except DriftwatchError as exc:
            return ResolveFailure(ref, exc.diagnostics(), type(exc).__name__, exc.exit_code)
        finally:
            if self.on_resolved is not None:
                self.on_resolved(ref)

    async def _get_by_tag(
        self, ref: ImageReference, expect: str | None = None
    ) -> tuple[bytes, str, str]:
        """GET by tag and hash the body (checked against any digest header and `expect`)."""
        where = str(ref)
        response = await manifest_request(self.session, ref, "GET", ref.manifest_reference)
        body = await read_capped(response, MAX_MANIFEST_BYTES, where, "manifest unknown")
        header = response.headers.get("docker-content-digest")
        digest = compute_digest(body)  # sha256, hashed once; other algorithms hash again
        for wanted in (header and check_digest_syntax(header, where), ref.digest, expect):
            if wanted and wanted != digest:
                verify_digest(body, wanted, where)
                digest = wanted
        self.cache.put(digest, body)
        return body, response.headers.get("content-type", ""), digest

    async def _platform_images(
        self,
        ref: ImageReference,
        digest: str,
        manifest: Manifest,
        size: int,
        platforms: Sequence[Platform],
    ) -> tuple[PlatformImage, ...]:
        """Index entries, or the one image (its config read only when a filter needs it)."""
        if isinstance(manifest, Index):
            images = manifest.platforms
        else:
            platform = None
            if platforms:
                config_digest = manifest.config.digest
                config = await self.get_blob(ref, config_digest, MAX_CONFIG_BYTES)
                platform = platform_from_config(config, f"{ref.name}@{config_digest}")
            images = (PlatformImage(platform, digest, manifest.media_type, size),)
        selected = select_platforms(images, platforms)
        if platforms and not selected:
            have = ", ".join(str(i.platform) for i in images) or "none"
            wanted = ", ".join(str(p) for p in platforms)
            raise PlatformNotFound(f"{ref}: no manifest for platform {wanted} (has {have})")
        return selected


def _blob_path(ref: ImageReference, digest: str) -> str:
    return f"/v2/{ref.repository}/blobs/{digest}"


def _pinned_digest(ref: ImageReference, header: str | None, where: str) -> str | None:
    """The digest HEAD reported (checked against a pinned digest), or the pinned one."""
    if header:
        check_digest_syntax(header, where)
        if ref.digest and header != ref.digest:
            raise DigestMismatch(f"{where}: registry reports digest {header}")
        return header
    return ref.digest
