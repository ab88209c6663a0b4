"""Manifest and index parsing: media types, attestations, malformed documents."""

from __future__ import annotations

import json

import pytest

from driftwatch.errors import InvalidResponse, UnsupportedManifest
from driftwatch.osinfo.manifest import is_index, parse_index, parse_manifest

OCI = "application/vnd.oci.image.manifest.v1+json"


def test_schema1_is_unsupported() -> None:
    body = json.dumps({"schemaVersion": 1, "name": "x", "fsLayers": []}).encode()
    with pytest.raises(UnsupportedManifest):
        parse_manifest(body, "application/vnd.docker.distribution.manifest.v1+prettyjws")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schemaVersion": 2, "config": []}).encode(),
        json.dumps(
            {"schemaVersion": 2, "config": {"mediaType": "x", "digest": "d"}, "layers": {"a": 1}}
        ).encode(),
    ],
)
def test_malformed_manifests_are_invalid_responses(body: bytes) -> None:
    with pytest.raises(InvalidResponse):
        parse_manifest(body, OCI)


def test_index_skips_attestations_and_reads_platforms() -> None:
    body = json.dumps(
        {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": OCI,
                    "digest": "sha256:a",
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "arm", "variant": "v7"},
                },
                {
                    "mediaType": OCI,
                    "digest": "sha256:b",
                    "size": 1,
                    "platform": {"os": "unknown", "architecture": "unknown"},
                },
                {
                    "mediaType": OCI,
                    "digest": "sha256:c",
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "amd64"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                },
            ],
        }
    ).encode()
    assert is_index(body, "")
    annotations, entries = parse_index(body)
    assert annotations == {} and [str(e.platform) for e in entries] == ["linux/arm/v7"]
    with pytest.raises(InvalidResponse):
        parse_index(json.dumps({"manifests": ["x"]}).encode())
