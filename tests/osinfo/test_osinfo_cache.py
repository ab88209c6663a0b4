"""The content-addressed cache: a digest seen before costs no request; files on disk survive runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from driftwatch.models import OsRelease
from driftwatch.osinfo import BoundSource, DiskCache, MemoryCache, default_cache_dir, detect_os
from driftwatch.osinfo.cache import release_from_json, release_to_json
from driftwatch.reference import ImageReference, parse_reference
from tests.osinfo.imagefactory import ImageStore, MemorySource, app_layer, debian


def test_seen_manifest_costs_no_request_at_all(tmp_path: Path) -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer()])
    first = MemorySource(store)
    found = asyncio.run(detect_os(first, digest, cache=DiskCache(tmp_path)))
    again = MemorySource(store)
    cached = asyncio.run(detect_os(again, digest, cache=DiskCache(tmp_path)))
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
    cache = MemoryCache()
    asyncio.run(detect_os(MemorySource(store), first, cache=cache))
    source = MemorySource(store)
    release = asyncio.run(detect_os(source, second, cache=cache))
    assert release.codename == "bookworm"
    assert [kind for kind, _ in source.requests] == ["manifest"]  # config and layers were seen


def test_layer_facts_say_nothing_too() -> None:
    store = ImageStore()
    app = store.add_layer(app_layer())
    digest = store.add_image([debian(), app])
    cache = MemoryCache()
    asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
    assert cache.data[f"layer/{app['digest']}"] == {
        "entries": [["app", "dir", None, None]],
        "opaque": [],
    }


def test_modes_are_cached_apart() -> None:
    store = ImageStore()
    digest = store.add_image(
        [debian()], annotations={"org.opencontainers.image.version": "bullseye"}
    )
    cache = MemoryCache()
    fast = asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
    full = asyncio.run(detect_os(MemorySource(store), digest, cache=cache, mode="full"))
    assert (fast.codename, full.codename) == ("bullseye", "bookworm")
    assert full.disagreement is not None


def test_undetermined_results_are_not_cached() -> None:
    store = ImageStore()
    digest = store.add_image([debian(), app_layer(size=100_000)])
    cache = MemoryCache()
    release = asyncio.run(detect_os(MemorySource(store), digest, cache=cache, max_bytes=5000))
    assert release.undetermined
    assert not [key for key in cache.data if key.startswith("manifest/")]
    settled = asyncio.run(detect_os(MemorySource(store), digest, cache=cache))
    assert settled.codename == "bookworm"


def test_disk_cache_corrupt_or_foreign_file_is_a_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    cache.put("layer/sha256:aa", {"entries": [], "opaque": []})
    assert cache.get("layer/sha256:aa") == {"entries": [], "opaque": []}
    stored = next(tmp_path.rglob("*.json"))
    stored.write_text("{not json", encoding="utf-8")
    assert cache.get("layer/sha256:aa") is None
    assert cache.get("layer/sha256:bb") is None


def test_disk_cache_that_cannot_be_written_is_silent(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    cache = DiskCache(blocker / "below")
    cache.put("k", {"a": 1})
    assert cache.get("k") is None


def test_cache_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTWATCH_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert DiskCache().root == tmp_path / "c"
    monkeypatch.delenv("DRIFTWATCH_CACHE_DIR")
    assert default_cache_dir().parts[-2:] == ("driftwatch", "osinfo")


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
