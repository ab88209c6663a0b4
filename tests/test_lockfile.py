"""The lock file: stable bytes, round trips, and one-line errors for every bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.errors import InputError
from driftwatch.lockfile import (
    LockUse,
    entry_from_resolution,
    read_lock,
    render_lock,
    write_lock,
)
from driftwatch.models import OsRelease, Platform, PlatformImage, Resolution
from driftwatch.reference import parse_reference

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BOOKWORM = OsRelease("debian", "12", "bookworm", point_release="12.5", source="layer")


def _resolution(name: str, digest_char: str) -> Resolution:
    return Resolution(
        reference=parse_reference(name),
        digest="sha256:" + digest_char * 64,
        media_type=INDEX,
        platforms=(
            PlatformImage(Platform("linux", "arm64", "v8"), "sha256:" + "2" * 64, MANIFEST),
            PlatformImage(Platform("linux", "amd64"), "sha256:" + "1" * 64, MANIFEST, os=BOOKWORM),
        ),
    )


def _entries() -> list:  # type: ignore[type-arg]
    uses = [LockUse("b/Dockerfile", "python:3.12-slim"), LockUse("Dockerfile", "python:3.12-slim")]
    return [
        entry_from_resolution(_resolution("python:3.12-slim", "a"), uses),
        entry_from_resolution(_resolution("alpine:3.19", "b"), [LockUse("x", "alpine:3.19")]),
    ]


def test_render_is_sorted_and_independent_of_input_order() -> None:
    entries = _entries()
    text = render_lock(entries)
    assert text == render_lock(list(reversed(entries)))
    data = json.loads(text)
    assert data["version"] == 1
    assert [image["reference"] for image in data["images"]] == [
        "docker.io/library/alpine:3.19",
        "docker.io/library/python:3.12-slim",
    ]
    python = data["images"][1]
    assert [p["platform"] for p in python["platforms"]] == ["linux/amd64", "linux/arm64/v8"]
    assert python["platforms"][0]["os"] == {
        "id": "debian",
        "version_id": "12",
        "codename": "bookworm",
        "point_release": "12.5",
    }
    assert [u["file"] for u in python["uses"]] == ["Dockerfile", "b/Dockerfile"]


def test_write_is_byte_identical_when_nothing_changed(tmp_path: Path) -> None:
    path = tmp_path / "driftwatch.lock"
    assert write_lock(path, _entries()) is True
    first = path.read_bytes()
    assert write_lock(path, list(reversed(_entries()))) is False
    assert path.read_bytes() == first


def test_round_trip_keeps_digests_platforms_and_os(tmp_path: Path) -> None:
    path = tmp_path / "driftwatch.lock"
    write_lock(path, _entries())
    lock = read_lock(path)
    entry = lock.get(parse_reference("python:3.12-slim"))
    assert entry is not None
    assert entry.digest == "sha256:" + "a" * 64
    amd64 = entry.platforms[0]
    assert str(amd64.platform) == "linux/amd64"
    assert amd64.os is not None and amd64.os.codename == "bookworm"
    assert amd64.os.point_release == "12.5"
    assert entry.as_observation().digest == entry.digest
    assert render_lock(lock.entries.values()) == path.read_text()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ("[]", "no version field"),
        ('{"version": 99, "images": []}', "is version 99; this driftwatch reads version 1"),
        ('{"version": 1, "images": [{"reference": "Bad Ref"}]}', "images[0].digest: required"),
        (
            '{"version": 1, "images": [{"reference": "Bad Ref", "media_type": "", "digest": "sha256:'
            + "a" * 64
            + '"}]}',
            "images[0].reference = 'Bad Ref': invalid reference",
        ),
        ('{"version": 1, "images": [{"reference": "python:3"}]}', "images[0].digest: required"),
    ],
)
def test_bad_lock_files_are_one_line_input_errors(
    tmp_path: Path, content: str | None, fragment: str
) -> None:
    path = tmp_path / "driftwatch.lock"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as info:
        read_lock(path)
    assert fragment in info.value.message
    assert "\n" not in info.value.message
    assert info.value.exit_code == 2
