"""The one disk cache (driftwatch.cache): manifests, tags and values by kind and digest in cache.db."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from driftwatch.cache import (
    STORE_NAME,
    CacheStore,
    DiskManifestCache,
    DiskTagMemo,
    DiskValues,
    MemoryManifestCache,
    MemoryValues,
    default_root,
)
from driftwatch.cache import store as store_module
from driftwatch.oci.digest import compute_digest


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
    assert DiskValues().root == CacheStore().root == default_root() == tmp_path / "here"
    monkeypatch.delenv("DRIFTWATCH_CACHE_DIR")
    assert default_root().name == "driftwatch"  # the user cache dir, no subfolder per kind


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


LAYER = "sha256:" + "a" * 64


def test_values_by_kind_and_digest_share_the_file_with_manifests_and_tags(tmp_path: Path) -> None:
    store = CacheStore(tmp_path)
    values = DiskValues(store=store)
    values.put("os-layer", LAYER, {"entries": [], "opaque": []})
    values.put("packages-layer", LAYER, {"packages": ["libc6 2.36"]})
    DiskManifestCache(store=store).put(compute_digest(b"x"), b"x")
    assert values.get("os-layer", LAYER) == {"entries": [], "opaque": []}  # pending
    assert DiskValues(tmp_path).get("os-layer", LAYER) is None  # not written before the flush
    store.close()
    again = DiskValues(tmp_path)
    assert again.get("packages-layer", LAYER) == {"packages": ["libc6 2.36"]}
    assert again.get("os-layer", LAYER) == {"entries": [], "opaque": []}
    assert again.get("os-config", LAYER) is None and again.get("os-layer", "sha256:b") is None
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"manifests", "tags", "digest_values"}


def test_a_value_that_is_not_a_json_object_is_a_miss(tmp_path: Path) -> None:
    values = DiskValues(tmp_path)
    values.put("os-layer", LAYER, {"entries": []})
    values.flush()
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        db.execute("UPDATE digest_values SET value = ?", ("{not json",))
    assert DiskValues(tmp_path).get("os-layer", LAYER) is None
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        db.execute("UPDATE digest_values SET value = ?", ("[1, 2]",))
    assert DiskValues(tmp_path).get("os-layer", LAYER) is None


def test_pending_writes_are_flushed_by_size_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "FLUSH_BYTES", 100)
    values = DiskValues(tmp_path)
    values.put("packages-layer", LAYER, {"packages": ["x" * 200]})  # over the byte bound
    assert DiskValues(tmp_path).get("packages-layer", LAYER) == {"packages": ["x" * 200]}


def test_unwritable_values_are_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    values = DiskValues(blocker / "below")
    values.put("k", LAYER, {"a": 1})
    values.flush()
    assert DiskValues(blocker / "below").get("k", LAYER) is None


def test_memory_values_are_copies() -> None:
    values = MemoryValues()
    value = {"a": [1]}
    values.put("k", LAYER, value)
    value["a"].append(2)
    assert values.get("k", LAYER) == {"a": [1]} and values.get("k", "sha256:b") is None
