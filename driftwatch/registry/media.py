"""Manifest media types, digest checks and index parsing (pure: no I/O)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftwatch.errors import DigestMismatch, InvalidResponse, UnsupportedManifest
from driftwatch.models import Platform, PlatformImage

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)
ACCEPT_MANIFESTS = ", ".join(MANIFEST_TYPES)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"
_HASHES = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST = re.compile(r"(sha256|sha384|sha512):([a-f0-9]+)")


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest or index: its media type, platforms (index) or config digest (image)."""

    media_type: str
    platforms: tuple[PlatformImage, ...] = ()
    config_digest: str | None = None

    @property
    def is_index(self) -> bool:
        """True for an OCI index or a Docker manifest list."""
        return self.media_type in INDEX_TYPES


def check_digest_syntax(digest: str, where: str) -> str:
    """Return `digest` when it is a well-formed sha256/384/512 digest, else InvalidResponse."""
    match = _DIGEST.fullmatch(digest)
    if not match or len(match.group(2)) != _HASHES[match.group(1)]:
        raise InvalidResponse(f"{where}: malformed digest {digest[:80]!r}")
    return digest


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """The content digest of `data` with `algorithm`."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify_digest(data: bytes, expected: str, where: str) -> None:
    """Raise DigestMismatch unless `data` hashes to `expected`."""
    algorithm = expected.split(":", 1)[0]
    if algorithm not in _HASHES:
        raise UnsupportedManifest(f"{where}: unsupported digest algorithm {algorithm!r}")
    actual = compute_digest(data, algorithm)
    if actual != expected:
        raise DigestMismatch(f"{where}: content hashes to {actual}, expected {expected}")


def base_type(content_type: str | None) -> str:
    """`application/x; charset=utf-8` -> `application/x`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def refuse_schema1(media_type: str, where: str) -> None:
    """Raise UnsupportedManifest for Docker schema1 (its digest is not the body's sha256)."""
    if media_type in SCHEMA1_TYPES:
        raise UnsupportedManifest(f"{where}: schema1 manifests are not supported ({media_type})")


def parse_manifest(body: bytes, content_type: str | None, where: str) -> Manifest:
    """Parse manifest bytes; the body's mediaType wins over the Content-Type header."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidResponse(f"{where}: manifest is not valid JSON") from exc
    if not isinstance(doc, dict):
        raise InvalidResponse(f"{where}: manifest is not a JSON object")
    if doc.get("schemaVersion") == 1:
        raise UnsupportedManifest(f"{where}: schema1 manifests are not supported")
    media_type = _media_type_of(doc, content_type)
    refuse_schema1(media_type, where)
    if media_type in INDEX_TYPES:
        return Manifest(media_type, platforms=_index_platforms(doc, where))
    if media_type in (OCI_MANIFEST, DOCKER_MANIFEST):
        config = doc.get("config")
        digest = config.get("digest") if isinstance(config, dict) else None
        if not isinstance(digest, str):
            raise InvalidResponse(f"{where}: image manifest has no config digest")
        return Manifest(media_type, config_digest=check_digest_syntax(digest, where))
    raise UnsupportedManifest(f"{where}: unsupported manifest media type {media_type!r}")


def _media_type_of(doc: Mapping[str, Any], content_type: str | None) -> str:
    """mediaType from the body, else the header, else guessed from the shape (OCI may omit it)."""
    declared = doc.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = base_type(content_type)
    if header in MANIFEST_TYPES or header in SCHEMA1_TYPES:
        return header
    if "manifests" in doc:
        return OCI_INDEX
    return OCI_MANIFEST if "config" in doc else header


def _index_platforms(doc: Mapping[str, Any], where: str) -> tuple[PlatformImage, ...]:
    """One PlatformImage per entry of an index that is not an attestation, in index order.

    An index with no such entry (none, or attestations only) is a registry lie (InvalidResponse).
    Entries without a platform (platform None) and duplicates are kept: whether they may be
    used depends on the platforms asked for, judged after selection (`online._checked_index`).
    """
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise InvalidResponse(f"{where}: index has no manifests list")
    images = []
    for entry in entries:
        if not isinstance(entry, dict) or _is_attestation(entry):
            continue
        digest = entry.get("digest")
        if not isinstance(digest, str):
            raise InvalidResponse(f"{where}: index entry without digest")
        size = entry.get("size")
        images.append(
            PlatformImage(
                platform=_platform_of(entry.get("platform")),
                digest=check_digest_syntax(digest, where),
                media_type=str(entry.get("mediaType", "")),
                size=size if isinstance(size, int) else None,
            )
        )
    if not images:
        raise InvalidResponse(f"{where}: index has no platform image (only attestations or none)")
    return tuple(images)


def _is_attestation(entry: Mapping[str, Any]) -> bool:
    """BuildKit attestations: annotated, or with the `unknown/unknown` platform."""
    annotations = entry.get("annotations")
    if isinstance(annotations, dict) and (
        annotations.get(ATTESTATION_ANNOTATION) == "attestation-manifest"
    ):
        return True
    platform = entry.get("platform")
    return isinstance(platform, dict) and (platform.get("os"), platform.get("architecture")) == (
        "unknown",
        "unknown",
    )


def _platform_of(value: Any) -> Platform | None:
    """A Platform from an index entry's platform object; None when it names none."""
    if not isinstance(value, dict):
        return None
    os_name, arch = value.get("os"), value.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
        return None
    variant = value.get("variant")
    os_version = value.get("os.version")
    return Platform(
        os_name,
        arch,
        variant if isinstance(variant, str) and variant else None,
        os_version if isinstance(os_version, str) and os_version else None,
    )


def platform_from_config(config: bytes, where: str) -> Platform:
    """The platform an image config declares (os, architecture, variant)."""
    try:
        doc = json.loads(config)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidResponse(f"{where}: image config is not valid JSON") from exc
    platform = _platform_of(doc) if isinstance(doc, dict) else None
    if platform is None:
        raise InvalidResponse(f"{where}: image config has no os/architecture")
    return platform


def platform_matches(wanted: Platform, actual: Platform) -> bool:
    """True when `actual` satisfies the filter `wanted` (no variant in the filter: any variant)."""
    if (wanted.os, wanted.architecture) != (actual.os, actual.architecture):
        return False
    if wanted.variant is None:
        return True
    return _norm_variant(actual) == _norm_variant(wanted)


def _norm_variant(platform: Platform) -> str | None:
    """arm64 without a variant means v8, as in containerd's platform matcher."""
    if platform.architecture == "arm64" and platform.variant is None:
        return "v8"
    return platform.variant


def select_platforms(
    images: Sequence[PlatformImage], wanted: Sequence[Platform]
) -> tuple[PlatformImage, ...]:
    """The images whose platform matches one of `wanted` (all of them when `wanted` is empty)."""
    if not wanted:
        return tuple(images)
    return tuple(
        image
        for image in images
        if image.platform is not None and any(platform_matches(w, image.platform) for w in wanted)
    )
