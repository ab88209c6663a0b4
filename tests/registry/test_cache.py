"""The content-addressed manifest cache on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.registry.cache import DiskManifestCache, MemoryManifestCache
from driftwatch.registry.media import compute_digest


def test_round_trip_and_corruption_is_a_miss(tmp_path: Path) -> None:
    cache = DiskManifestCache(tmp_path)
    data = b'{"schemaVersion": 2}'
    digest = compute_digest(data)
    assert cache.get(digest) is None
    cache.put(digest, data)
    assert DiskManifestCache(tmp_path).get(digest) == data
    stored = tmp_path / "manifests" / "sha256" / digest.split(":")[1]
    stored.write_bytes(b"tampered")
    assert cache.get(digest) is None
    assert cache.get("../../etc:passwd") is None


def test_default_location_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTWATCH_CACHE_DIR", str(tmp_path / "here"))
    assert DiskManifestCache.default().root == tmp_path / "here"


def test_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = DiskManifestCache(blocker)  # a file where the directory should be
    cache.put(compute_digest(b"a"), b"a")
    assert cache.get(compute_digest(b"a")) is None


def test_memory_cache() -> None:
    cache = MemoryManifestCache()
    cache.put("sha256:x", b"1")
    assert cache.get("sha256:x") == b"1" and cache.get("sha256:y") is None
