"""Views of the cache store by what they hold: manifests, tags seen, values by kind and digest.

Each has an in-memory twin (tests, benchmarks, library use) and a Protocol its users type against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from driftwatch.cache.store import CacheStore, default_root
from driftwatch.errors import DigestMismatch, UnsupportedManifest
from driftwatch.oci.digest import verify_digest

__all__ = [
    "DiskManifestCache",
    "DiskTagMemo",
    "DiskValues",
    "ManifestCache",
    "MemoryManifestCache",
    "MemoryTagMemo",
    "MemoryValues",
    "TagMemo",
    "ValueCache",
]


class ManifestCache(Protocol):
    """What the registry client needs: verified bytes by digest (manifests, small configs)."""

    def get(self, digest: str) -> bytes | None:
        """The bytes stored under `digest`, or None."""

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` (already verified to hash to `digest`)."""


class MemoryManifestCache:
    """A manifest cache in a dict: for tests, benchmarks and one-shot library use."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, digest: str) -> bytes | None:
        """The bytes stored under `digest`, or None."""
        return self._data.get(digest)

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest`."""
        self._data[digest] = data


class DiskManifestCache:
    """Manifests in the cache store; re-verified on read, best effort on write."""

    def __init__(self, root: Path | None = None, *, store: CacheStore | None = None) -> None:
        self.store = store if store is not None else CacheStore(root)
        self.root = self.store.root

    @classmethod
    def default(cls) -> DiskManifestCache:
        """The cache under `$DRIFTWATCH_CACHE_DIR` or the platform's user cache directory."""
        return cls(default_root())

    def get(self, digest: str) -> bytes | None:
        """The verified bytes under `digest`; a corrupt or unreadable entry counts as a miss."""
        data = self.store.manifest(digest)
        if data is None:
            return None
        try:
            verify_digest(data, digest, "cache")
        except (DigestMismatch, UnsupportedManifest):
            return None
        return data

    def put(self, digest: str, data: bytes) -> None:
        """Keep `data`; a read-only or full disk only costs a later cache miss."""
        self.store.add_manifest(digest, data)

    def flush(self) -> None:
        """Write what is pending (the client calls this when it closes)."""
        self.store.flush()


class TagMemo(Protocol):
    """Which tags this machine has resolved before: a hint for HEAD-first vs one GET."""

    def seen(self, reference: str) -> bool:
        """True when `reference` (canonical) was resolved here before."""

    def remember(self, reference: str, digest: str) -> None:
        """Note that `reference` was resolved (to `digest`)."""

    def digest(self, reference: str) -> str | None:
        """The digest `reference` last resolved to here, if any."""


class MemoryTagMemo:
    """A tag memo in a dict (tests, benchmarks, library use)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def seen(self, reference: str) -> bool:
        """True when `reference` was remembered."""
        return reference in self._seen

    def remember(self, reference: str, digest: str) -> None:
        """Remember `reference`."""
        self._seen[reference] = digest

    def digest(self, reference: str) -> str | None:
        """The digest `reference` was remembered with, if any."""
        return self._seen.get(reference)


class DiskTagMemo:
    """The tags resolved on this machine, in the cache store; only a hint, failures ignored."""

    def __init__(self, root: Path | None = None, *, store: CacheStore | None = None) -> None:
        self.store = store if store is not None else CacheStore(root)
        self.root = self.store.root

    @classmethod
    def default(cls) -> DiskTagMemo:
        """The memo in the default cache store."""
        return cls(default_root())

    def seen(self, reference: str) -> bool:
        """True when `reference` was resolved here before."""
        return self.store.tag(reference) is not None

    def digest(self, reference: str) -> str | None:
        """The digest `reference` last resolved to here, if any."""
        return self.store.tag(reference)

    def remember(self, reference: str, digest: str) -> None:
        """Note the tag's digest (written once per run, and only when it changed)."""
        self.store.add_tag(reference, digest)

    def flush(self) -> None:
        """Write what is pending (the client calls this when it closes)."""
        self.store.flush()


class ValueCache(Protocol):
    """JSON objects by (kind, digest): what a stage learned from content, kept for ever."""

    def get(self, kind: str, digest: str) -> Mapping[str, Any] | None:
        """The value stored under (`kind`, `digest`), or None (a broken entry is a miss)."""

    def put(self, kind: str, digest: str, value: Mapping[str, Any]) -> None:
        """Store `value`; failures to store are silent (the cache is only a saving)."""


class MemoryValues:
    """A ValueCache in a dict: for one run, tests and benchmarks."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, kind: str, digest: str) -> Mapping[str, Any] | None:
        """The stored value, or None."""
        return self.data.get((kind, digest))

    def put(self, kind: str, digest: str, value: Mapping[str, Any]) -> None:
        """Store a copy of the value (round-tripped through JSON, as on disk)."""
        self.data[(kind, digest)] = json.loads(json.dumps(value))


class DiskValues:
    """A ValueCache in the cache store; a value that is not a JSON object reads as a miss."""

    def __init__(self, root: Path | None = None, *, store: CacheStore | None = None) -> None:
        self.store = store if store is not None else CacheStore(root)
        self.root = self.store.root

    def get(self, kind: str, digest: str) -> Mapping[str, Any] | None:
        """The stored value, or None."""
        text = self.store.value(kind, digest)
        try:
            value = json.loads(text) if text is not None else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put(self, kind: str, digest: str, value: Mapping[str, Any]) -> None:
        """Keep the value (written at the next flush)."""
        self.store.add_value(kind, digest, json.dumps(value, separators=(",", ":")))

    def flush(self) -> None:
        """Write what is pending."""
        self.store.flush()
