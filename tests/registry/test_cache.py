"""The content-addressed manifest cache on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from driftwatch.oci.digest import compute_digest
from driftwatch.registry.cache import (
    STORE_NAME,
    CacheStore,
    DiskManifestCache,
    DiskTagMemo,
    MemoryManifestCache,
)


def test_round_trip_and_corruption_is_a_miss(tmp_path: Path) -> None:
    cache = DiskManifestCache(tmp_path)
    data = b'{"schemaVersion": 2}'
    digest = compute_digest(data)
    assert cache.get(digest) is None
    cache.put(digest, data)
    assert cache.get(digest) == data  # pending, not yet written
    cache.flush()
    assert DiskManifestCache(tmp_path).get(digest) == data
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        db.execute("UPDATE manifests SET body = ?", (b"tampered",))
    assert DiskManifestCache(tmp_path).get(digest) is None
    assert cache.get("../../etc:passwd") is None


def test_tags_are_written_once_per_run_and_only_when_changed(tmp_path: Path) -> None:
    memo = DiskTagMemo(tmp_path)
    assert not memo.seen("r/a:1")
    memo.remember("r/a:1", "sha256:1")
    memo.remember("r/b:1", "sha256:2")
    assert memo.seen("r/a:1") and not DiskTagMemo(tmp_path).seen("r/a:1")
    memo.flush()
    again = DiskTagMemo(tmp_path)
    assert again.seen("r/a:1") and again.seen("r/b:1") and not again.seen("r/c:1")
    again.remember("r/a:1", "sha256:1")  # unchanged: nothing to write
    assert again.store._pending_tags == {}
    again.remember("r/a:1", "sha256:3")
    again.flush()
    assert DiskTagMemo(tmp_path).store.tag("r/a:1") == "sha256:3"


def test_manifests_and_tags_share_one_file(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    store = CacheStore(root)
    DiskTagMemo(root, store=store).remember("r/a:1", compute_digest(b"x"))
    DiskManifestCache(root, store=store).put(compute_digest(b"x"), b"x")
    store.close()
    assert [p.name for p in root.iterdir() if not p.name.startswith(STORE_NAME + "-")] == [
        STORE_NAME
    ]
    assert DiskManifestCache(root).get(compute_digest(b"x")) == b"x"


def test_a_file_that_is_not_a_database_starts_again(tmp_path: Path) -> None:
    (tmp_path / STORE_NAME).write_bytes(b"garbage" * 1000)
    memo = DiskTagMemo(tmp_path)
    assert not memo.seen("r/a:1")
    memo.remember("r/a:1", "sha256:1")
    memo.flush()
    assert DiskTagMemo(tmp_path).seen("r/a:1")


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
    cache.flush()
    assert DiskManifestCache(blocker).get(compute_digest(b"a")) is None


def test_memory_cache() -> None:
    cache = MemoryManifestCache()
    cache.put("sha256:x", b"1")
    assert cache.get("sha256:x") == b"1" and cache.get("sha256:y") is None
