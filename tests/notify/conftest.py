"""Receivers and drift builders shared by the notify tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from receivers import HttpReceiver, SmtpReceiver, free_port

from driftwatch.models import Drift, DriftKind, OsRelease, Platform, PlatformImage
from driftwatch.reference import parse_reference

BULLSEYE = OsRelease("debian", "11", "bullseye", point_release="11.9")
BOOKWORM = OsRelease("debian", "12", "bookworm", point_release="12.5")
BOOKWORM_6 = OsRelease("debian", "12", "bookworm", point_release="12.6")
MEDIA = "application/vnd.oci.image.manifest.v1+json"
WHEN = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)


def digest(n: int) -> str:
    """A distinct, valid sha256 digest per number."""
    return "sha256:" + f"{n:x}".rjust(64, "0")


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


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def failing_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver(status=500) as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def closed_url() -> str:
    """A json:// URL with a secret path on a port nothing listens on."""
    return f"json://127.0.0.1:{free_port()}/down-secret-path-0042"
