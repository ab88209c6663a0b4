"""Manifests and indexes as frozen descriptors, parsed once for the registry client and osinfo.

`parse_manifest(body, content_type, where)` gives an `Index` (attestations dropped) or an
`ImageManifest`; the body's mediaType wins over the Content-Type header, and a body naming
neither is told by its shape. Schema1 and other types are UnsupportedManifest, malformed
documents InvalidResponse (a registry lie).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from driftwatch.errors import InvalidResponse, UnsupportedManifest
from driftwatch.models import Platform, PlatformImage
from driftwatch.oci.digest import check_digest_syntax
from driftwatch.oci.jsondoc import load_json
from driftwatch.oci.media import (
    ATTESTATION_ANNOTATION,
    IMAGE_TYPES,
    INDEX_TYPES,
    media_type_of,
    refuse_schema1,
)
from driftwatch.oci.platforms import platform_of

__all__ = [
    "Descriptor",
    "ImageManifest",
    "Index",
    "Manifest",
    "parse_image_manifest",
    "parse_index",
    "parse_manifest",
]

_ATTESTATION = "attestation-manifest"
_UNKNOWN = ("unknown", "unknown")


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: what a manifest or index says about one blob or manifest."""

    media_type: str
    digest: str
    size: int | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    artifact_type: str | None = None

    @classmethod
    def from_json(cls, item: Any, where: str) -> Descriptor:
        """A descriptor object; only a well-formed digest is required (mediaType may be left
        out, a platform naming no os/architecture is None)."""
        if not isinstance(item, dict):
            raise InvalidResponse(f"{where}: descriptor is not a JSON object")
        digest = item.get("digest")
        if not isinstance(digest, str):
            raise InvalidResponse(f"{where}: descriptor without digest")
        size = item.get("size")
        return cls(
            media_type=str(item.get("mediaType", "")),
            digest=check_digest_syntax(digest, where),
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            annotations=_strings(item.get("annotations")),
            platform=platform_of(item.get("platform")),
            artifact_type=_string_or_none(item.get("artifactType")),
        )

    @property
    def is_attestation(self) -> bool:
        """Index entries that are no platform image: BuildKit attestations (annotated, or platform
        `unknown/unknown`), and artifacts declared by `artifactType` without a platform (an ORAS
        artifact beside the images; runtimes skip it, its config being no image config)."""
        if self.annotations.get(ATTESTATION_ANNOTATION) == _ATTESTATION:
            return True
        platform = self.platform
        if platform is None:
            return self.artifact_type is not None
        return (platform.os, platform.architecture) == _UNKNOWN

    def platform_image(self) -> PlatformImage:
        """The index entry as the PlatformImage a resolution lists (platform as written)."""
        return PlatformImage(self.platform, self.digest, self.media_type, self.size)


@dataclass(frozen=True)
class ImageManifest:
    """One platform's manifest: its config, its layers (bottom first) and its annotations."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    is_index: ClassVar[bool] = False

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], media_type: str, where: str) -> ImageManifest:
        """An image manifest object (OCI or Docker v2)."""
        if not isinstance(doc.get("config"), dict):
            raise InvalidResponse(f"{where}: image manifest has no config digest")
        config = Descriptor.from_json(doc["config"], where)
        layers = doc.get("layers") or []
        if not isinstance(layers, list):
            raise InvalidResponse(f"{where}: image manifest layers are not a list")
        found = tuple(Descriptor.from_json(layer, where) for layer in layers)
        return cls(media_type, config, found, _strings(doc.get("annotations")))


@dataclass(frozen=True)
class Index:
    """An OCI index or Docker manifest list: its platform manifests (attestations left out)."""

    media_type: str
    manifests: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    is_index: ClassVar[bool] = True

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], media_type: str, where: str) -> Index:
        """An index object; entries that are not objects are skipped, as runtimes do.

        An index with no platform entry (none, or attestations only) is a registry lie. Entries
        without a platform and duplicates are kept: whether they may be used depends on the
        platforms asked for, judged after selection (`online._checked_index`).
        """
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise InvalidResponse(f"{where}: index has no manifests list")
        found = (Descriptor.from_json(e, where) for e in entries if isinstance(e, dict))
        manifests = tuple(entry for entry in found if not entry.is_attestation)
        if not manifests:
            raise InvalidResponse(
                f"{where}: index has no platform image (only attestations or none)"
            )
        return cls(media_type, manifests, _strings(doc.get("annotations")))

    @property
    def platforms(self) -> tuple[PlatformImage, ...]:
        """One PlatformImage per platform manifest, in index order."""
        return tuple(entry.platform_image() for entry in self.manifests)


Manifest = Index | ImageManifest


def parse_manifest(body: bytes, content_type: str | None, where: str) -> Manifest:
    """Parse manifest bytes into an Index or an ImageManifest."""
    doc = _json_object(body, where)
    if doc.get("schemaVersion") == 1:
        raise UnsupportedManifest(f"{where}: schema1 manifests are not supported")
    media_type = media_type_of(doc, content_type)
    refuse_schema1(media_type, where)
    if media_type in INDEX_TYPES:
        return Index.from_json(doc, media_type, where)
    if media_type in IMAGE_TYPES:
        return ImageManifest.from_json(doc, media_type, where)
    raise UnsupportedManifest(f"{where}: unsupported manifest media type {media_type!r}")


def parse_image_manifest(body: bytes, content_type: str | None, where: str) -> ImageManifest:
    """One platform's manifest; an index where an image was expected is UnsupportedManifest."""
    manifest = parse_manifest(body, content_type, where)
    if isinstance(manifest, Index):
        raise UnsupportedManifest(f"{where}: an index where an image manifest was expected")
    return manifest


def parse_index(body: bytes, content_type: str | None, where: str) -> Index:
    """An index; an image manifest where an index was expected is UnsupportedManifest."""
    manifest = parse_manifest(body, content_type, where)
    if not isinstance(manifest, Index):
        raise UnsupportedManifest(f"{where}: an image manifest where an index was expected")
    return manifest


def _json_object(body: bytes, where: str) -> dict[str, Any]:
    doc = load_json(body, f"{where}: manifest is not valid JSON")
    if not isinstance(doc, dict):
        raise InvalidResponse(f"{where}: manifest is not a JSON object")
    return doc


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
