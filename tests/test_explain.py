"""The words of every drift: what moved, from what to what, and the pinned FROM line."""

from __future__ import annotations

from datetime import datetime, timezone

from driftwatch.models import Drift, DriftKind, OsRelease, Platform, PlatformImage
from driftwatch.reference import parse_reference
from driftwatch.usecases.explain import describe_drift, pinned_from_line, short_digest, title_for

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
INDEX = "sha256:" + "c" * 64
NOW = datetime(2023, 6, 13, tzinfo=timezone.utc)
BULLSEYE = OsRelease("debian", "11", "bullseye", point_release="11.7")
BOOKWORM = OsRelease("debian", "12", "bookworm", point_release="12.0")
AMD64 = Platform("linux", "amd64")


def _drift(kind: DriftKind, old_os: OsRelease | None, new_os: OsRelease | None) -> Drift:
    return Drift(
        kind=kind,
        reference=parse_reference("python:3.12-slim"),
        platform="linux/amd64",
        old=PlatformImage(AMD64, A, "m", os=old_os),
        new=PlatformImage(AMD64, B, "m", os=new_os),
        detected_at=NOW,
    )


def test_os_release_move_names_both_releases_and_the_fix() -> None:
    text = describe_drift(_drift(DriftKind.OS_RELEASE, BULLSEYE, BOOKWORM), pin=INDEX)
    assert text == (
        "python:3.12-slim (linux/amd64) moved from Debian 11 (bullseye) to Debian 12 (bookworm): "
        "digest sha256:aaaaaaaaaaaa... -> sha256:bbbbbbbbbbbb.... "
        f"To build what you had: FROM python:3.12-slim@{INDEX}; "
        "to move on deliberately: run `driftwatch lock`."
    )


def test_point_release_names_point_versions() -> None:
    old = OsRelease("debian", "12", "bookworm", point_release="12.5")
    new = OsRelease("debian", "12", "bookworm", point_release="12.6")
    text = describe_drift(_drift(DriftKind.OS_POINT_RELEASE, old, new), written="python:3.12-slim")
    assert "moved from Debian 12.5 (bookworm) to Debian 12.6 (bookworm)" in text
    assert f"FROM python:3.12-slim@{A}" in text


def test_rebuild_on_same_os_and_written_form_kept() -> None:
    drift = _drift(DriftKind.DIGEST, BOOKWORM, BOOKWORM)
    text = describe_drift(drift, written="docker.io/library/python:3.12-slim")
    assert text.startswith(
        "docker.io/library/python:3.12-slim (linux/amd64) was rebuilt on the same OS"
    )
    assert title_for(drift) == "Base image rebuilt"


def test_unknown_os_is_said_not_guessed() -> None:
    text = describe_drift(_drift(DriftKind.DIGEST, None, None))
    assert "an unknown OS" in text


def test_helpers() -> None:
    assert short_digest(A) == "sha256:aaaaaaaaaaaa..."
    assert short_digest(None) == "none"
    assert pinned_from_line(f"python:3@{A}", B) == f"FROM python:3@{B}"
    assert pinned_from_line(parse_reference("python:3"), B) == f"FROM python:3@{B}"


def test_os_release_fix_names_the_tags_that_served_the_pin() -> None:
    from driftwatch.aliases import Aliases

    drift = _drift(DriftKind.OS_RELEASE, BULLSEYE, BOOKWORM)
    found = Aliases(INDEX, ("3.12.7-slim-bullseye",), "3.12-slim-bullseye", "3.12.7-slim-bullseye")
    text = describe_drift(
        drift, written="localhost:5000/python:3.12-slim", pin=INDEX, aliases=found
    )
    assert text.endswith(
        "To stay on bullseye: FROM localhost:5000/python:3.12-slim-bullseye; exactly what you "
        f"had: FROM localhost:5000/python:3.12.7-slim-bullseye@{INDEX}; "
        "to move on deliberately: run `driftwatch lock`."
    )
    short = describe_drift(drift, pin=INDEX, aliases=Aliases(INDEX, incomplete="lookup: 500"))
    assert short.endswith(
        f"To build what you had: FROM python:3.12-slim@{INDEX} (lookup: 500); "
        "to move on deliberately: run `driftwatch lock`."
    )
    rebuilt = describe_drift(_drift(DriftKind.DIGEST, BOOKWORM, BOOKWORM), pin=INDEX, aliases=found)
    assert "3.12.7-slim-bullseye" not in rebuilt  # only an OS-release move names tags


def test_alpine_move_stays_on_the_alpine_release() -> None:
    from driftwatch.aliases import Aliases

    old = OsRelease("alpine", "3.19.1")
    drift = _drift(DriftKind.OS_RELEASE, old, OsRelease("alpine", "3.20.3"))
    found = Aliases(INDEX, ("3.12-alpine3.19",), "3.12-alpine3.19", None)
    text = describe_drift(drift, written="python:3.12-alpine", pin=INDEX, aliases=found)
    assert "To stay on alpine3.19: FROM python:3.12-alpine3.19; exactly what you had: " in text
    assert f"FROM python:3.12-alpine@{INDEX}; to move on" in text
