"""Content-addressed manifest cache: digest -> verified bytes, kept forever (never changes)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from driftwatch.errors import DigestMismatch, UnsupportedManifest
from driftwatch.registry.media import verify_digest

CACHE_ENV = "DRIFTWATCH_CACHE_DIR"


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


class DiskManifestCache:
    """Files under `<root>/manifests/<alg>/<hex>`; re-verified on read, best effort on write."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls) -> DiskManifestCache:
        """The cache under `$DRIFTWATCH_CACHE_DIR` or the platform's user cache directory."""
        override = os.environ.get(CACHE_ENV)
        if override:
            return cls(Path(override))
        import platformdirs

        return cls(Path(platformdirs.user_cache_dir("driftwatch")))

    def _path(self, digest: str) -> Path | None:
        algorithm, _, hexpart = digest.partition(":")
        if not algorithm.isalnum() or not hexpart.isalnum():
            return None
        return self.root / "manifests" / algorithm / hexpart

    def get(self, digest: str) -> bytes | None:
        """The verified bytes under `digest`; a corrupt or unreadable entry counts as a miss."""
        path = self._path(digest)
        if path is None:
            return None
        try:
            data = path.read_bytes()
            verify_digest(data, digest, "cache")
        except (OSError, DigestMismatch, UnsupportedManifest):
            return None
        return data

    def put(self, digest: str, data: bytes) -> None:
        """Write atomically; a read-only or full disk only costs a later cache miss."""
        path = self._path(digest)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


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
    """One small file per tag under `<root>/tags/`; only a hint, so failures are ignored."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "tags"

    @classmethod
    def default(cls) -> DiskTagMemo:
        """The memo beside the default manifest cache."""
        return cls(DiskManifestCache.default().root)

    def _path(self, reference: str) -> Path:
        return self.root / hashlib.sha256(reference.encode()).hexdigest()[:40]

    def seen(self, reference: str) -> bool:
        """True when a file for `reference` exists."""
        return self._path(reference).is_file()

    def remember(self, reference: str, digest: str) -> None:
        """Write the tag's digest; a read-only or full disk only costs a HEAD next time."""
        with contextlib.suppress(OSError):
            self.root.mkdir(parents=True, exist_ok=True)
            self._path(reference).write_text(digest, encoding="ascii")
