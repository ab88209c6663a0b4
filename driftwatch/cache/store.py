"""The SQLite file behind the disk cache, `<root>/cache.db`: reads on demand, writes batched."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "FLUSH_BYTES", "FLUSH_EVERY", "STORE_NAME", "CacheStore", "default_root"]

CACHE_ENV = "DRIFTWATCH_CACHE_DIR"
STORE_NAME = "cache.db"
FLUSH_EVERY = 1000  # pending writes kept in memory before they are written anyway
FLUSH_BYTES = 16 * 1024 * 1024  # ... or pending bytes
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS manifests (digest TEXT PRIMARY KEY, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tags (reference TEXT PRIMARY KEY, digest TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS digest_values (kind TEXT NOT NULL, digest TEXT NOT NULL, "
    "value TEXT NOT NULL, PRIMARY KEY (kind, digest))",
)


def default_root() -> Path:
    """`$DRIFTWATCH_CACHE_DIR`, or the platform's user cache directory."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("driftwatch"))


class CacheStore:
    """The SQLite file behind every disk cache; opened on first use, writes batched until flush."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._tags: dict[str, str] | None = None
        self._pending_tags: dict[str, str] = {}
        self._pending_manifests: dict[str, bytes] = {}
        self._pending_values: dict[tuple[str, str], str] = {}
        self._pending_bytes = 0

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

    def _row(self, query: str, *args: str) -> Any:
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute(query, args).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def manifest(self, digest: str) -> bytes | None:
        """The body stored under `digest` (pending or written), unverified; None when absent."""
        pending = self._pending_manifests.get(digest)
        if pending is not None:
            return pending
        body = self._row("SELECT body FROM manifests WHERE digest = ?", digest)
        return bytes(body) if body is not None else None

    def add_manifest(self, digest: str, body: bytes) -> None:
        """Keep `body` under `digest` (written at the next flush)."""
        self._pending_manifests[digest] = body
        self._pending_bytes += len(body)
        self._maybe_flush()

    def value(self, kind: str, digest: str) -> str | None:
        """The JSON text stored under (`kind`, `digest`), or None."""
        pending = self._pending_values.get((kind, digest))
        if pending is not None:
            return pending
        text = self._row(
            "SELECT value FROM digest_values WHERE kind = ? AND digest = ?", kind, digest
        )
        return text if isinstance(text, str) else None

    def add_value(self, kind: str, digest: str, text: str) -> None:
        """Keep JSON `text` under (`kind`, `digest`) (written at the next flush)."""
        self._pending_values[(kind, digest)] = text
        self._pending_bytes += len(text)
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
        pending = len(self._pending_tags) + len(self._pending_manifests) + len(self._pending_values)
        if pending >= FLUSH_EVERY or self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write what is pending in one transaction (dropped if the disk refuses it)."""
        tags, manifests, values = self._pending_tags, self._pending_manifests, self._pending_values
        if not tags and not manifests and not values:
            return
        self._pending_tags, self._pending_manifests, self._pending_values = {}, {}, {}
        self._pending_bytes = 0
        if self._tags is not None:
            self._tags.update(tags)
        db = self._connection()
        if db is None:
            return
        rows = [(kind, digest, text) for (kind, digest), text in values.items()]
        with contextlib.suppress(sqlite3.Error), db:
            db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?)", tags.items())
            db.executemany("INSERT OR REPLACE INTO manifests VALUES (?, ?)", manifests.items())
            db.executemany("INSERT OR REPLACE INTO digest_values VALUES (?, ?, ?)", rows)

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
