"""The content-addressed cache: a digest seen before costs no request; files on disk survive runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from driftwatch.cache import DiskValues, MemoryValues
from driftwatch.models import OsRelease
from driftwatch.osinfo import BoundSource, detect_os
from driftwatch.osinfo.osrelease import release_from_json, release_to_json
from driftwatch.reference import ImageReference, parse_reference
from tests.testbed.distros import app_layer, debian
from tests.testbed.memory import ImageStore, MemorySource


def test_seen_manifest_costs_no_request_at_all(tmp_path: Path) -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer()])
    first = MemorySource(store)
    cache = DiskValues(tmp_path)
    found = asyncio.run(detect_os(first, digest, cache=cache))
    cache.flush()  # the registry client flushes the store when it closes
    again = MemorySource(store)
    cached = asyncio.run(detect_os(again, digest, cache=DiskValues(tmp_path)))
    assert first.requests and again.requests == []
    assert (
        cached.source == f"cache:{found.source}" and cached.codename == found.codename == "bookworm"
    )
    assert cached.point_release == "12.4"


def test_new_manifest_over_known_layers_fetches_only_its_manifest() -> None:
    store = ImageStore()
    base = store.add_layer(debian())
    first = store.add_image([base, app_layer(seed=1)])
    second = store.add_image(
        [base, app_layer(seed=1)], style="docker"
    )  # same layers, other manifest
    cache = MemoryValues()
    asyncio.run(detect_os(MemorySource(store), first, cache=cache))
    source = MemorySource(store)
    release = asyncio.run(detect_os(source, second, cache=cache))
    assert release.codename == "bookworm"
    assert [kind for kind, _ in source.requests] == ["manifest"]  # config and layers were seen


def test_layer_facts_say_nothing_too() -> None:
    store = ImageStore()
    app = store.add_layer(app_layer())
    digest = store.add_image([debian(), app])
    cache = MemoryValues()
    asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
    assert cache.data[("os-layer", app["digest"])] == {
        "entries": [["app", "dir", None, None]],
        "opaque": [],
    }


def test_modes_are_cached_apart() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian()], annotations={"org.opencontainers.image.version": "bullseye"}
    )
    cache = MemoryValues()
    fast = asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
    full = asyncio.run(detect_os(MemorySource(store), digest, cache=cache, mode="full"))
    assert (fast.codename, full.codename) == ("bullseye", "bookworm")
    assert full.disagreement is not None


def test_undetermined_results_are_not_cached() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer(size=100_000)])
    cache = MemoryValues()
    release = asyncio.run(detect_os(MemorySource(store), digest, cache=cache, max_bytes=5000))
    assert release.undetermined
    assert not [kind for kind, _ in cache.data if kind.startswith("os-manifest")]
    settled = asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
    assert settled.codename == "bookworm"


def test_release_json_round_trip_and_bad_shapes() -> None:
    release = OsRelease("debian", "12", "bookworm", "Debian", "12.5", "layer:etc/os-release")
    assert release_from_json(release_to_json(release)) == release
    assert release_from_json({"id": 3}) is None
    assert release_from_json({}) is None


class ClientLike:
    """Something shaped like the registry client: every call names the repository."""

    def __init__(self, source: MemorySource) -> None:
        self.source = source
        self.seen: set[str] = set()

    async def get_manifest(self, ref: ImageReference, digest: str) -> tuple[bytes, str]:
        self.seen.add(str(ref))
        return await self.source.get_manifest(digest)

    async def get_blob(self, ref: ImageReference, digest: str, max_bytes: int) -> bytes:
        self.seen.add(str(ref))
        return await self.source.get_blob(digest, max_bytes)

    def stream_blob(
        self, ref: ImageReference, digest: str
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        self.seen.add(str(ref))
        return self.source.stream_blob(digest)


def test_bound_source_adapts_a_client_to_one_repository() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer()])
    client = ClientLike(MemorySource(store))
    ref = parse_reference("localhost:5000/base/debian:12")
    release = asyncio.run(detect_os(BoundSource(client, ref), digest))
    assert release.codename == "bookworm" and client.seen == {"localhost:5000/base/debian:12"}
