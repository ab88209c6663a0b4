"""Builders shared by the history tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from driftwatch.models import Observation, OsRelease, Platform, PlatformImage
from driftwatch.reference import ImageReference, parse_reference

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
AMD = Platform("linux", "amd64")
ARM = Platform("linux", "arm64", "v8")
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CODENAMES = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"}


def digest(text: str) -> str:
    """A valid-looking sha256 digest derived from `text`."""
    import hashlib

    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def debian(codename: str | None, point: str | None = None) -> OsRelease:
    return OsRelease("debian", CODENAMES.get(codename or ""), codename, point_release=point)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def observe(
    ref: ImageReference | str,
    days: float,
    build: str,
    os: OsRelease | None,
    platforms: tuple[Platform, ...] = (AMD, ARM),
) -> Observation:
    """An index observation whose platform digests all derive from `build`."""
    reference = parse_reference(ref) if isinstance(ref, str) else ref
    images = tuple(
        PlatformImage(p, digest(f"{reference}|{build}|{p}"), MANIFEST, os=os) for p in platforms
    )
    return Observation(reference, at(days), digest(f"{reference}|{build}|index"), INDEX, images)


def missing(ref: ImageReference | str, days: float) -> Observation:
    reference = parse_reference(ref) if isinstance(ref, str) else ref
    return Observation(reference, at(days), None)
