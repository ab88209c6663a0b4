"""driftwatch's one disk cache: what was learned from a digest, kept in `<root>/cache.db`.

A digest names its bytes for ever, so nothing expires. One SQLite file holds three tables:
manifests by digest (re-verified against the digest on every read), the tags this machine
resolved (a hint for HEAD-first), and small JSON values by (kind, digest) -- what OS detection
learned from a manifest, config or layer. `<root>` is `$DRIFTWATCH_CACHE_DIR`, else the user
cache directory (`platformdirs.user_cache_dir("driftwatch")`).

Writes are batched in memory and written in one transaction at `flush()` (the registry client
flushes when it closes; a transaction is all or nothing, so readers never see half a write).
It is only a cache: any failure (read-only disk, a corrupt file, another process holding the
lock) costs a miss, never an error.

Values by digest and kind, for any stage that derives facts from content (a package inventory
per layer, say)::

    values = DiskValues(store=store)            # or MemoryValues() in tests
    values.put("packages-layer", layer_digest, {"packages": [...]})
    values.get("packages-layer", layer_digest)  # -> the mapping, or None (a miss)

`kind` names what the value is (and its format: bump it, e.g. `packages-layer-v2`, when the
shape changes); the value must be a JSON object, and is read back as one.
"""

from __future__ import annotations

from driftwatch.cache.store import CACHE_ENV, STORE_NAME, CacheStore, default_root
from driftwatch.cache.views import (
    DiskManifestCache,
    DiskTagMemo,
    DiskValues,
    ManifestCache,
    MemoryManifestCache,
    MemoryTagMemo,
    MemoryValues,
    TagMemo,
    ValueCache,
)

__all__ = [
    "CACHE_ENV",
    "STORE_NAME",
    "CacheStore",
    "DiskManifestCache",
    "DiskTagMemo",
    "DiskValues",
    "ManifestCache",
    "MemoryManifestCache",
    "MemoryTagMemo",
    "MemoryValues",
    "TagMemo",
    "ValueCache",
    "default_root",
]
