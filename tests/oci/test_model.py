"""Manifest parsing, digest checks and platform selection (pure functions of driftwatch.oci)."""

from __future__ import annotations

import json

import pytest

from driftwatch.errors import DigestMismatch, InvalidResponse, UnsupportedManifest
from driftwatch.models import Platform, PlatformImage
from driftwatch.oci import media
from driftwatch.oci.digest import check_digest_syntax, compute_digest, verify_digest
from driftwatch.oci.model import ImageManifest, parse_manifest
from driftwatch.oci.platforms import platform_of, select_platforms
from tests.testbed.images import build_image, build_index


def test_index_lists_real_platforms_and_skips_attestations() -> None:
    amd, arm = build_image([{}]), build_image([{}], architecture="arm", variant="v7")
    index = build_index([amd, arm], attestations=True)
    parsed = parse_manifest(index.manifest.data, None, "x")
    assert parsed.is_index
    assert [str(p.platform) for p in parsed.platforms] == ["linux/amd64", "linux/arm/v7"]
    assert [p.digest for p in parsed.platforms] == [amd.digest, arm.digest]
    assert len(json.loads(index.manifest.data)["manifests"]) == 4  # 2 attestations were there


def _index(*entries: dict[str, object]) -> bytes:
    return json.dumps({"schemaVersion": 2, "manifests": list(entries)}).encode()


AMD64 = {"digest": "sha256:" + "b" * 64, "platform": {"os": "linux", "architecture": "amd64"}}
UNKNOWN = {"digest": "sha256:" + "a" * 64, "platform": {"os": "unknown", "architecture": "unknown"}}


def test_windows_builds_of_one_os_arch_are_distinct_platforms() -> None:
    ltsc2022 = {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2762"}
    ltsc2019 = {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.6293"}
    parsed = parse_manifest(
        _index(
            AMD64,
            {"digest": "sha256:" + "1" * 64, "platform": ltsc2022},
            {"digest": "sha256:" + "2" * 64, "platform": ltsc2019},
        ),
        media.OCI_INDEX,
        "x",
    )
    assert [str(p.platform.normalized()) for p in parsed.platforms if p.platform] == [
        "linux/amd64",
        "windows/amd64:10.0.20348",
        "windows/amd64:10.0.17763",
    ]


def test_unknown_platform_without_annotation_is_skipped_as_an_attestation() -> None:
    parsed = parse_manifest(_index(UNKNOWN, AMD64), media.OCI_INDEX, "x")
    assert [str(p.platform) for p in parsed.platforms] == ["linux/amd64"]


@pytest.mark.parametrize("entries", [(), (UNKNOWN,)])  # nothing, or attestations only
def test_an_index_without_a_platform_image_is_a_registry_lie(
    entries: tuple[dict[str, object], ...],
) -> None:
    with pytest.raises(InvalidResponse, match="no platform image"):
        parse_manifest(_index(*entries), media.OCI_INDEX, "x")


def test_platform_less_and_duplicate_entries_are_kept_for_the_selection_to_judge() -> None:
    bare = {"digest": "sha256:" + "c" * 64}
    twin = {**AMD64, "digest": "sha256:" + "d" * 64}
    parsed = parse_manifest(_index(AMD64, bare, twin), media.OCI_INDEX, "x")
    assert [str(p.platform) if p.platform else None for p in parsed.platforms] == [
        "linux/amd64",
        None,
        "linux/amd64",
    ]


def test_docker_manifest_list_and_image_manifest() -> None:
    image = build_image([{}], oci=False)
    index = build_index([image], oci=False)
    assert parse_manifest(index.manifest.data, None, "x").media_type == media.DOCKER_LIST
    parsed = parse_manifest(image.manifest.data, None, "x")
    assert isinstance(parsed, ImageManifest)
    assert (
        parsed.media_type == media.DOCKER_MANIFEST and parsed.config.digest == image.config.digest
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"schemaVersion": 1, "name": "x", "fsLayers": []}',
        b'{"mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws"}',
    ],
)
def test_schema1_is_refused(body: bytes) -> None:
    with pytest.raises(UnsupportedManifest, match="schema1"):
        parse_manifest(body, None, "reg/x:1")


def test_unknown_media_type_and_garbage() -> None:
    with pytest.raises(UnsupportedManifest, match="application/vnd.foo"):
        parse_manifest(b'{"mediaType": "application/vnd.foo"}', None, "x")
    with pytest.raises(InvalidResponse, match="not valid JSON"):
        parse_manifest(b"<html>", None, "x")
    with pytest.raises(InvalidResponse, match="malformed digest"):
        check_digest_syntax("sha256:abc", "x")


def test_verify_digest() -> None:
    verify_digest(b"abc", compute_digest(b"abc"), "x")
    verify_digest(b"abc", compute_digest(b"abc", "sha512"), "x")
    with pytest.raises(DigestMismatch, match="expected"):
        verify_digest(b"abd", compute_digest(b"abc"), "x")


def test_platform_selection_with_and_without_variant() -> None:
    images = parse_manifest(
        build_index(
            [
                build_image([{}]),
                build_image([{}], architecture="arm64", variant="v8"),
                build_image([{}], architecture="arm", variant="v6"),
                build_image([{}], architecture="arm", variant="v7"),
            ]
        ).manifest.data,
        None,
        "x",
    ).platforms

    def pick(text):
        return [str(i.platform) for i in select_platforms(images, [Platform.parse(text)])]  # noqa: E731

    assert pick("linux/arm64") == ["linux/arm64/v8"]
    assert pick("linux/arm") == ["linux/arm/v6", "linux/arm/v7"]
    assert pick("linux/arm/v7") == ["linux/arm/v7"]
    assert pick("windows/amd64") == []
    assert len(select_platforms(images, [])) == 4


def test_platform_selection_normalises_as_containerd_does() -> None:
    """Index entries spelt as runtimes accept them: `arm` without a variant is arm/v7 and
    `aarch64` is arm64 (containerd platforms/database.go, normalizeArch); a Windows filter with a
    build takes only that build (`windows/amd64:10.0.20348` is ltsc2022, not ltsc2019)."""

    def entry(**platform: str) -> PlatformImage:
        return PlatformImage(platform_of(platform), "sha256:" + "a" * 64, media.OCI_MANIFEST)

    images = [
        entry(os="linux", architecture="arm"),
        entry(os="linux", architecture="aarch64"),
        entry(os="windows", architecture="amd64", **{"os.version": "10.0.20348.2762"}),
        entry(os="windows", architecture="amd64", **{"os.version": "10.0.17763.6293"}),
    ]

    def pick(text: str) -> list[str]:
        return [str(i.platform) for i in select_platforms(images, [Platform.parse(text)])]

    assert pick("linux/arm/v7") == ["linux/arm"]
    assert pick("linux/arm/v6") == []
    assert pick("linux/arm64/v8") == pick("linux/arm64") == ["linux/aarch64"]
    assert pick("windows/amd64:10.0.20348") == ["windows/amd64:10.0.20348.2762"]
    assert len(pick("windows/amd64")) == 2


def test_an_artifact_entry_without_platform_is_not_a_platform_image() -> None:
    """Indexes may mix images with a platform-less artifact (bazel-contrib/rules_img#742: an ORAS
    artifact holding the release binaries of every platform, index entry without `platform`; its
    descriptor carries `artifactType`, as oras-project/oras#1670 asks). Runtimes skip it (its
    config is no image config); it is no platform of the image, not a registry lie."""
    artifact = {
        "mediaType": media.OCI_MANIFEST,
        "artifactType": "application/vnd.example.release-binaries",
        "digest": "sha256:" + "e" * 64,
        "size": 512,
    }
    parsed = parse_manifest(_index(AMD64, artifact), media.OCI_INDEX, "x")
    assert [str(p.platform) for p in parsed.platforms] == ["linux/amd64"]
    with pytest.raises(InvalidResponse, match="no platform image"):
        parse_manifest(_index(artifact), media.OCI_INDEX, "x")
