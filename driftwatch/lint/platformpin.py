"""DW006: a pin that names one platform's manifest where the tag's index was meant.

Offline: only what the lock file knows (an entry for the same repository whose index lists the
pinned digest as one of its platforms). A platform pin builds on that platform and fails
elsewhere with `exec format error`; the fix is the index digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from driftwatch.models import BaseImageUse
from driftwatch.oci.media import DOCKER_MANIFEST, OCI_MANIFEST
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.lockfile import LockEntry

__all__ = ["IndexBook", "KnownIndex", "platform_pin"]


@dataclass(frozen=True)
class KnownIndex:
    """A multi-platform tag as locked: its index digest and the platform digests it lists."""

    reference: ImageReference
    digest: str
    platforms: Mapping[str, str]  # platform manifest digest -> `linux/amd64`


@dataclass(frozen=True)
class IndexBook:
    """What the lock file knows, by repository (`registry/repository`): the indexes, and which
    digest each locked tag had."""

    indexes: Mapping[str, tuple[KnownIndex, ...]]
    tags: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @classmethod
    def from_lock(cls, entries: Iterable[LockEntry]) -> IndexBook:
        """Every locked index (a single-manifest entry lists no other platform) and tag."""
        found: dict[str, list[KnownIndex]] = {}
        tags: dict[str, list[tuple[str, str]]] = {}
        for entry in entries:
            if entry.reference.tag:
                tags.setdefault(entry.reference.name, []).append(
                    (entry.reference.tag, entry.digest)
                )
            if entry.media_type in (OCI_MANIFEST, DOCKER_MANIFEST):
                continue
            platforms = {
                image.digest: str(image.platform) if image.platform else "one platform"
                for image in entry.platforms
                if image.digest != entry.digest
            }
            if platforms:
                known = KnownIndex(entry.reference, entry.digest, platforms)
                found.setdefault(entry.reference.name, []).append(known)
        return cls(
            {name: tuple(items) for name, items in found.items()},
            {name: tuple(items) for name, items in tags.items()},
        )

    def release_aliases(self, reference: ImageReference) -> list[str]:
        """Locked tags of `reference`'s line naming an OS release, at the same digest (the
        pinned one, or the one locked for the tag); the same version first, then most specific."""
        from driftwatch.aliases import candidates, parse_tag

        locked = dict(self.tags.get(reference.name, ()))
        digest = reference.digest or locked.get(reference.tag or "")
        if digest is None or reference.tag is None:
            return []
        same = [tag for tag, found in locked.items() if found == digest and tag != reference.tag]
        version = parse_tag(reference.tag).version
        line = [tag for tag in candidates(reference.tag, same, len(same)) if parse_tag(tag).release]
        return sorted(line, key=lambda tag: parse_tag(tag).version != version)  # same version first

    def index_of(self, reference: ImageReference) -> tuple[KnownIndex, str] | None:
        """The index listing `reference`'s digest as a platform, and that platform; None."""
        if reference.digest is None:
            return None
        candidates = self.indexes.get(reference.name, ())
        same_tag = sorted(candidates, key=lambda known: known.reference.tag != reference.tag)
        for known in same_tag:
            platform = known.platforms.get(reference.digest)
            if platform is not None:
                return known, platform
        return None


def platform_pin(use: BaseImageUse, book: IndexBook) -> tuple[str, str] | None:
    """(message, fix) when `use` pins a platform manifest of a known index; else None."""
    ref = use.reference
    if ref is None or ref.digest is None:
        return None
    found = book.index_of(ref)
    if found is None:
        return None
    known, platform = found
    written = use.written.split("@", 1)[0]
    tag = f"`{known.reference.familiar}`"
    message = (
        f"`{use.written}` pins the {platform} image of {tag}, not its index: builds for any "
        "other platform fail (`exec format error`) or pull the wrong image"
    )
    fix = (
        f"Pin the index digest the lock file knows for {tag}: `{written}@{known.digest}` "
        "(`driftwatch pin --update --write` writes the current one; it never writes a "
        "platform digest)."
    )
    return message, fix
