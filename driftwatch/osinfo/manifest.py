"""Image manifests and indexes as frozen descriptors: just what OS detection reads from them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftwatch.errors import InvalidResponse, UnsupportedManifest
from driftwatch.models import Platform

__all__ = ["Descriptor", "ImageManifest", "is_index", "parse_index", "parse_manifest"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ATTESTATION = "attestation-manifest"


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: what a manifest or index says about one blob or manifest."""

    media_type: str
    digest: str
    size: int | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None

    @property
    def is_attestation(self) -> bool:
        """True for build attestations listed in an index (not a platform)."""
        kind = self.annotations.get("vnd.docker.reference.type")
        return kind == ATTESTATION or str(self.platform) == "unknown/unknown"


@dataclass(frozen=True)
class ImageManifest:
    """One platform's manifest: its config, its layers (bottom first) and its annotations."""

    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)


def is_index(body: bytes, media_type: str) -> bool:
    """True when the document is an index or manifest list rather than one manifest."""
    if media_type in (OCI_INDEX, DOCKER_LIST):
        return True
    return media_type not in (OCI_MANIFEST, DOCKER_MANIFEST) and '"manifests"' in body.decode(
        "utf-8", "replace"
    )


def parse_manifest(body: bytes, media_type: str) -> ImageManifest:
    """Read an OCI or Docker v2 image manifest; schema1 and others are UnsupportedManifest."""
    data = _json(body)
    kind = media_type or str(data.get("mediaType", ""))
    if data.get("schemaVersion") != 2 or kind not in (OCI_MANIFEST, DOCKER_MANIFEST, ""):
        raise UnsupportedManifest(f"manifest of type {kind or 'unknown'} is not an image manifest")
    try:
        config = _descriptor(data["config"])
        layers = tuple(_descriptor(item) for item in data.get("layers") or [])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidResponse(f"image manifest is malformed: {exc}") from exc
    return ImageManifest(config, layers, _strings(data.get("annotations")))


def parse_index(body: bytes) -> tuple[Mapping[str, str], tuple[Descriptor, ...]]:
    """An index's annotations and its platform manifests (attestations left out)."""
    data = _json(body)
    try:
        entries = tuple(_descriptor(item) for item in data["manifests"])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidResponse(f"image index is malformed: {exc}") from exc
    return _strings(data.get("annotations")), tuple(e for e in entries if not e.is_attestation)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidResponse(f"manifest is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidResponse("manifest is not a JSON object")
    return data


def _descriptor(item: Any) -> Descriptor:
    platform = item.get("platform")
    return Descriptor(
        media_type=str(item["mediaType"]),
        digest=str(item["digest"]),
        size=int(item["size"]) if "size" in item else None,
        annotations=_strings(item.get("annotations")),
        platform=(
            Platform(str(platform["os"]), str(platform["architecture"]), platform.get("variant"))
            if isinstance(platform, dict)
            else None
        ),
    )


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
