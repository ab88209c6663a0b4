"""`driftwatch diff`: what changed between two digests of a reference, platform by platform.

Which two: `--from`/`--to`, else the locked and the live digest (a repository with a lock file),
else the last two digests in the history. Each digest is read as an index (its platforms) or a
single manifest; platforms are paired by their normalised name and explained like drifts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from driftwatch.errors import InvalidResponse, UsageError
from driftwatch.models import Platform
from driftwatch.pkgdiff import Explanation
from driftwatch.reference import ImageReference
from driftwatch.usecases.changes import explain_pair, inventory_cache

if TYPE_CHECKING:
    from driftwatch.config import Config
    from driftwatch.history import HistoryStore
    from driftwatch.osinfo import BlobSource

__all__ = ["ImageDiff", "PlatformDiff", "diff_digests", "history_digests"]


@dataclass(frozen=True)
class PlatformDiff:
    """One platform: its two manifest digests and what changed (None when on one side only)."""

    platform: str
    old: str | None
    new: str | None
    explanation: Explanation | None = None

    def to_json(self) -> dict[str, Any]:
        """Stable JSON for `diff --format json`."""
        found = self.explanation
        return {
            "platform": self.platform,
            "from": self.old,
            "to": self.new,
            "move": found.move if found else ("platform-only"),
            "packages": found.diff.to_json() if found and found.diff else None,
        }


@dataclass(frozen=True)
class ImageDiff:
    """Two digests of one reference and the diff of every platform."""

    reference: ImageReference
    old: str
    new: str
    platforms: tuple[PlatformDiff, ...]

    @property
    def unknown(self) -> bool:
        """True when a platform's packages could not be compared (the command exits 3)."""
        return any(
            p.explanation and p.explanation.diff and p.explanation.diff.problem
            for p in self.platforms
        )

    def to_json(self) -> dict[str, Any]:
        """Stable JSON for `diff --format json`."""
        return {
            "reference": str(self.reference),
            "from": self.old,
            "to": self.new,
            "platforms": [p.to_json() for p in self.platforms],
        }


def history_digests(store: HistoryStore, reference: ImageReference) -> tuple[str, str]:
    """The last two top digests the history holds for a reference (UsageError with fewer)."""
    seen: dict[str, object] = {}
    for entry in sorted(store.timeline(reference), key=lambda e: e.first_seen):
        digest = entry.index_digest or entry.digest
        if digest:
            seen.pop(digest, None)
            seen[digest] = entry.first_seen
    digests = list(seen)
    if len(digests) < 2:
        raise UsageError(
            f"the history has {len(digests)} digest(s) of {reference}: give --from and --to, "
            "or run `driftwatch scan` after it moves"
        )
    return digests[-2], digests[-1]


def diff_digests(reference: ImageReference, old: str, new: str, config: Config) -> ImageDiff:
    """Read both digests' platforms and explain each pair (bounded, cached by digest)."""
    from driftwatch.osinfo import BoundSource
    from driftwatch.usecases.online import _client, _store

    async def run() -> ImageDiff:
        store = _store()
        async with _client(config, store) as client:
            source = BoundSource(client, reference)
            before, after = await _platforms(source, old), await _platforms(source, new)
            cache = inventory_cache(store)
            found = []
            for key in sorted(before.keys() | after.keys()):
                was, now = before.get(key), after.get(key)
                explained = None
                if was and now:
                    explained = await explain_pair(source, "digest", was, now, config, cache)
                found.append(PlatformDiff(key, was, now, explained))
            return ImageDiff(reference, old, new, tuple(found))

    return asyncio.run(run())


async def _platforms(source: BlobSource, digest: str) -> Mapping[str, str]:
    """Platform name -> manifest digest: the index's entries, or the single manifest under the
    platform its config declares (so an index on one side pairs with a single manifest on the
    other). Two entries under one name cannot be paired: a registry lie, said as an error."""
    from driftwatch.oci.media import MAX_CONFIG_BYTES
    from driftwatch.oci.model import Index, parse_manifest
    from driftwatch.oci.platforms import platform_from_config

    body, media_type = await source.get_manifest(digest)
    manifest = parse_manifest(body, media_type, digest)
    if not isinstance(manifest, Index):
        config = await source.get_blob(manifest.config.digest, MAX_CONFIG_BYTES)
        return {str(platform_from_config(config, digest).normalized()): digest}
    names = [
        str((entry.platform or Platform("unknown", "unknown")).normalized())
        for entry in manifest.manifests  # attestations are already left out of an Index
    ]
    if len(set(names)) != len(names):
        raise InvalidResponse(f"{digest}: the index lists one platform twice; pick a --platform")
    return dict(zip(names, (entry.digest for entry in manifest.manifests), strict=True))
