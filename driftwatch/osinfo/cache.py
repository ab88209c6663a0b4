"""Content-addressed cache of what manifests, configs and layers said about the OS release.

A digest names its bytes for ever, so entries never expire. Keys look like `layer/sha256:...`;
values are small JSON objects. `DiskCache` keeps one file per key under the user cache dir
(`DRIFTWATCH_CACHE_DIR` overrides) until the history database takes the job over.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import platformdirs

from driftwatch.models import OsRelease

__all__ = [
    "CACHE_ENV",
    "DiskCache",
    "MemoryCache",
    "default_cache_dir",
    "release_from_json",
    "release_to_json",
]

CACHE_ENV = "DRIFTWATCH_CACHE_DIR"
_RELEASE_FIELDS = frozenset(f.name for f in fields(OsRelease))


def default_cache_dir() -> Path:
    """`$DRIFTWATCH_CACHE_DIR`, else `<user cache dir>/driftwatch/osinfo`."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("driftwatch")) / "osinfo"


class MemoryCache:
    """An OsCache in a dict: for one run, tests and benchmarks."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> Mapping[str, Any] | None:
        """The stored value, or None."""
        return self.data.get(key)

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        """Store a copy of the value (round-tripped through JSON, as on disk)."""
        self.data[key] = json.loads(json.dumps(value))


class DiskCache:
    """An OsCache of one JSON file per key, written atomically."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_cache_dir()

    def _file(self, key: str) -> Path:
        name = hashlib.sha256(key.encode()).hexdigest()
        return self.root / name[:2] / f"{name}.json"

    def get(self, key: str) -> Mapping[str, Any] | None:
        """The stored value; a missing, unreadable or corrupt file is a miss."""
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        value = data.get("value")
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        """Write the value; a cache that cannot be written only costs the saving."""
        target = self._file(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=target.parent, suffix=".tmp", delete=False, encoding="utf-8"
            ) as handle:
                json.dump({"key": key, "value": value}, handle)
            os.replace(handle.name, target)
        except OSError:
            return


def release_to_json(release: OsRelease) -> dict[str, Any]:
    """An OsRelease as a JSON object."""
    return asdict(release)


def release_from_json(data: Mapping[str, Any]) -> OsRelease | None:
    """An OsRelease back from `release_to_json`, or None when the shape does not fit."""
    if not isinstance(data, Mapping) or "id" not in data:
        return None
    known = {k: v for k, v in data.items() if k in _RELEASE_FIELDS}
    if not all(v is None or isinstance(v, str) for v in known.values()):
        return None
    return OsRelease(**known)
