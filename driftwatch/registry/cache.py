"""The registry client's disk cache: manifests by digest (kept forever) and the tags seen here.

One SQLite file, `<root>/cache.db`, holds both: the tag memo is read in one query and written in one
transaction per run (at `flush()`, which the client calls when it closes), and manifest bodies are
re-verified against their digest on every read. It is only a cache: any failure (read-only disk,
a corrupt file, another process holding the lock) costs a miss, never an error.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Protocol

from driftwatch.errors import DigestMismatch, UnsupportedManifest
from driftwatch.oci.digest import verify_digest

CACHE_ENV = "DRIFTWATCH_CACHE_DIR"
STORE_NAME = "cache.db"
FLUSH_EVERY = 1000  # pending writes kept in memory before they are written anyway
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS manifests (digest TEXT PRIMARY KEY, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tags (reference TEXT PRIMARY KEY, digest TEXT NOT NULL)",
)


class ManifestCache(Protocol):
    """What the client needs from a cache; the history database may implement it later."""

    def get(self, digest: str) -> bytes | None:
        """The bytes stored under `digest`, or None."""

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` (already verified to hash to `digest`)."""


class MemoryManifestCache:
    """A cache in a dict: for tests, benchmarks and one-shot library use."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, digest: str) -> bytes | None:
        """The bytes stored under `digest`, or None."""
        return self._data.get(digest)

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` under `digest`."""
        self._data[digest] = data


def default_root() -> Path:
    """`$DRIFTWATCH_CACHE_DIR`, or the platform's user cache directory."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("driftwatch"))


class CacheStore:
    """The SQLite file behind the disk caches; opened on first use, writes batched until flush."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._tags: dict[str, str] | None = None
        self._pending_tags: dict[str, str] = {}
        self._pending_manifests: dict[str, bytes] = {}

    def _connection(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self._db = self._open()
            except (OSError, sqlite3.Error):
                self._broken = True
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / STORE_NAME
        try:
            return _connect(path)
        except sqlite3.DatabaseError:  # not a database: a cache can start again
            path.unlink(missing_ok=True)
            return _connect(path)

    def manifest(self, digest: str) -> bytes | None:
        """The body stored under `digest` (pending or written), unverified; None when absent."""
        pending = self._pending_manifests.get(digest)
        if pending is not None:
            return pending
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute("SELECT body FROM manifests WHERE digest = ?", (digest,)).fetchone()
        except sqlite3.Error:
            return None
        return bytes(row[0]) if row else None

    def add_manifest(self, digest: str, body: bytes) -> None:
        """Keep `body` under `digest` (written at the next flush)."""
        self._pending_manifests[digest] = body
        self._maybe_flush()

    def tag(self, reference: str) -> str | None:
        """The digest `reference` had when last resolved here, or None."""
        if reference in self._pending_tags:
            return self._pending_tags[reference]
        if self._tags is None:
            self._tags = self._read_tags()
        return self._tags.get(reference)

    def _read_tags(self) -> dict[str, str]:
        db = self._connection()
        if db is None:
            return {}
        try:
            return dict(db.execute("SELECT reference, digest FROM tags").fetchall())
        except sqlite3.Error:
            return {}

    def add_tag(self, reference: str, digest: str) -> None:
        """Note `reference` -> `digest` (written at the next flush, only when it changed)."""
        if self.tag(reference) != digest:
            self._pending_tags[reference] = digest
            self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self._pending_tags) + len(self._pending_manifests) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write what is pending in one transaction (dropped if the disk refuses it)."""
        tags, manifests = self._pending_tags, self._pending_manifests
        if not tags and not manifests:
            return
        self._pending_tags, self._pending_manifests = {}, {}
        if self._tags is not None:
            self._tags.update(tags)
        db = self._connection()
        if db is None:
            return
        with contextlib.suppress(sqlite3.Error), db:
            db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?)", tags.items())
            db.executemany("INSERT OR REPLACE INTO manifests VALUES (?, ?)", manifests.items())

    def close(self) -> None:
        """Flush and close the file."""
        self.flush()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=2.0, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            db.execute(statement)
        db.isolation_level = "DEFERRED"
    except sqlite3.Error:
        db.close()
        raise
    return db


class DiskManifestCache:
    """Manifests in the cache store under `root`; re-verified on read, best effort on write."""

    def __init__(self, root: Path, *, store: CacheStore | None = None) -> None:
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


class DiskTagMemo:
    """The tags resolved on this machine, in the cache store; only a hint, failures ignored."""

    def __init__(self, root: Path, *, store: CacheStore | None = None) -> None:
        self.store = store if store is not None else CacheStore(root)
        self.root = self.store.root

    @classmethod
    def default(cls) -> DiskTagMemo:
        """The memo beside the default manifest cache."""
        return cls(default_root())

    def seen(self, reference: str) -> bool:
        """True when `reference` was resolved here before."""
        return self.store.tag(reference) is not None

    def remember(self, reference: str, digest: str) -> None:
        """Note the tag's digest (written once per run, and only when it changed)."""
        self.store.add_tag(reference, digest)

    def flush(self) -> None:
        """Write what is pending (the client calls this when it closes)."""
        self.store.flush()
