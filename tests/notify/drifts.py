"""Builders for Drift values used across the notify tests."""

from __future__ import annotations

from datetime import datetime, timezone

from driftwatch.models import Drift, DriftKind, OsRelease, Platform, PlatformImage
from driftwatch.reference import parse_reference

BULLSEYE = OsRelease("debian", "11", "bullseye", point_release="11.9")
BOOKWORM = OsRelease("debian", "12", "bookworm", point_release="12.5")
BOOKWORM_6 = OsRelease("debian", "12", "bookworm", point_release="12.6")
MEDIA = "application/vnd.oci.image.manifest.v1+json"
WHEN = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)


def digest(n: int) -> str:
    """A distinct, valid sha256 digest per number."""
    return "sha256:" + (f"{n:x}" * 64)[:64]


def image(platform: str, n: int, release: OsRelease | None) -> PlatformImage:
    return PlatformImage(Platform.parse(platform), digest(n), MEDIA, os=release)


def drift(
    kind: DriftKind,
    ref: str,
    platform: str | None = "linux/amd64",
    old: tuple[int, OsRelease | None] | None = (1, BULLSEYE),
    new: tuple[int, OsRelease | None] | None = (2, BOOKWORM),
) -> Drift:
    """A Drift of `ref` on `platform` from old (digest no, release) to new."""
    where = platform or "linux/amd64"
    return Drift(
        kind,
        parse_reference(ref),
        platform,
        image(where, *old) if old else None,
        image(where, *new) if new else None,
        WHEN,
    )
