"""Manifest media types and the size caps every manifest or config read is held to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftwatch.errors import UnsupportedManifest

__all__ = [
    "ACCEPT_MANIFESTS",
    "ATTESTATION_ANNOTATION",
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "IMAGE_TYPES",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "MAX_CONFIG_BYTES",
    "MAX_MANIFEST_BYTES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "SCHEMA1_TYPES",
    "base_type",
    "media_type_of",
    "refuse_schema1",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)
ACCEPT_MANIFESTS = ", ".join(MANIFEST_TYPES)
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"

# The distribution spec has registries accept manifests up to 4 MiB; an image config is JSON of
# the same kind (typically a few KiB). One cap for both, held in memory and cached by digest.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def base_type(content_type: str | None) -> str:
    """`application/x; charset=utf-8` -> `application/x`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def refuse_schema1(media_type: str, where: str) -> None:
    """Raise UnsupportedManifest for Docker schema1 (its digest is not the body's sha256)."""
    if media_type in SCHEMA1_TYPES:
        raise UnsupportedManifest(f"{where}: schema1 manifests are not supported ({media_type})")


def media_type_of(doc: Mapping[str, Any], content_type: str | None) -> str:
    """mediaType from the body, else the header, else told by the shape (OCI may omit it, and
    BuildKit-era registries serve bodies without either)."""
    declared = doc.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = base_type(content_type)
    if header in MANIFEST_TYPES or header in SCHEMA1_TYPES:
        return header
    if "manifests" in doc:
        return OCI_INDEX
    return OCI_MANIFEST if "config" in doc else header
