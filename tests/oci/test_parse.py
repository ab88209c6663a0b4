"""The shared model as OS detection reads it: image manifests, indexes, lenient decoding."""

from __future__ import annotations

import json

import pytest

from driftwatch.errors import InvalidResponse, UnsupportedManifest
from driftwatch.oci.media import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST
from driftwatch.oci.model import (
    ImageManifest,
    Index,
    parse_image_manifest,
    parse_index,
    parse_manifest,
)

OCI = OCI_MANIFEST
A, B, C, D = ("sha256:" + x * 64 for x in "abcd")


def test_schema1_is_unsupported() -> None:
    body = json.dumps({"schemaVersion": 1, "name": "x", "fsLayers": []}).encode()
    with pytest.raises(UnsupportedManifest):
        parse_manifest(body, "application/vnd.docker.distribution.manifest.v1+prettyjws", "x")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schemaVersion": 2, "config": []}).encode(),
        json.dumps(
            {"schemaVersion": 2, "config": {"mediaType": "x", "digest": "d"}, "layers": []}
        ).encode(),
        json.dumps(
            {"schemaVersion": 2, "config": {"mediaType": "x", "digest": A}, "layers": {"a": 1}}
        ).encode(),
        json.dumps({"schemaVersion": 2, "config": {"digest": A}, "layers": [{"size": 1}]}).encode(),
    ],
)
def test_malformed_manifests_are_invalid_responses(body: bytes) -> None:
    with pytest.raises(InvalidResponse):
        parse_manifest(body, OCI, "x")


def _index_body() -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "annotations": {"org.opencontainers.image.base.name": "debian:12"},
            "manifests": [
                {
                    "mediaType": OCI,
                    "digest": A,
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "arm", "variant": "v7"},
                    "annotations": {"org.opencontainers.image.version": "12"},
                },
                {
                    "mediaType": OCI,
                    "digest": B,
                    "size": 1,
                    "platform": {"os": "unknown", "architecture": "unknown"},
                },
                {
                    "mediaType": OCI,
                    "digest": C,
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "amd64"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                },
            ],
        }
    ).encode()


def test_index_skips_attestations_and_reads_platforms_and_annotations() -> None:
    index = parse_index(_index_body(), "", "x")  # no media type anywhere: told by its shape
    assert index.media_type == OCI_INDEX and index.is_index
    assert [str(e.platform) for e in index.manifests] == ["linux/arm/v7"]
    assert index.annotations == {"org.opencontainers.image.base.name": "debian:12"}
    assert index.manifests[0].annotations == {"org.opencontainers.image.version": "12"}
    with pytest.raises(InvalidResponse):
        parse_index(json.dumps({"manifests": ["x"]}).encode(), "", "x")


def test_an_index_is_told_by_its_media_type_not_by_a_word_in_its_body() -> None:
    """The old osinfo parser called any body containing '"manifests"' an index."""
    image = {
        "schemaVersion": 2,
        "mediaType": OCI,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": A},
        "layers": [],
        "annotations": {"note": 'this image lists "manifests" in an annotation'},
    }
    parsed = parse_manifest(json.dumps(image).encode(), "", "x")
    assert isinstance(parsed, ImageManifest) and parsed.config.digest == A
    docker_list = {
        "schemaVersion": 2,
        "manifests": [{"digest": D, "platform": {"os": "linux", "architecture": "amd64"}}],
    }
    parsed_list = parse_manifest(json.dumps(docker_list).encode(), DOCKER_LIST, "x")
    assert isinstance(parsed_list, Index) and parsed_list.media_type == DOCKER_LIST


def test_buildkit_style_entries_without_media_type_or_size_are_read() -> None:
    body = json.dumps(
        {"manifests": [{"digest": D, "platform": {"os": "linux", "architecture": "amd64"}}]}
    ).encode()
    (entry,) = parse_index(body, None, "x").manifests
    assert (entry.media_type, entry.size, str(entry.platform)) == ("", None, "linux/amd64")


def test_expecting_the_wrong_kind_is_unsupported() -> None:
    image = json.dumps({"schemaVersion": 2, "config": {"digest": A}}).encode()
    assert parse_image_manifest(image, OCI, "x").layers == ()
    with pytest.raises(UnsupportedManifest, match="image manifest where an index"):
        parse_index(image, OCI, "x")
    with pytest.raises(UnsupportedManifest, match="index where an image manifest"):
        parse_image_manifest(_index_body(), None, "x")
