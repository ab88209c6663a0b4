"""Platforms: read from index entries and image configs, and matched against a filter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftwatch.errors import InvalidResponse
from driftwatch.models import Platform, PlatformImage
from driftwatch.oci.jsondoc import load_json

__all__ = ["platform_from_config", "platform_matches", "platform_of", "select_platforms"]


def platform_of(value: Any) -> Platform | None:
    """A Platform from a platform object (index entry or config); None when it names none."""
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
    doc = load_json(config, f"{where}: image config is not valid JSON")
    platform = platform_of(doc) if isinstance(doc, dict) else None
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
