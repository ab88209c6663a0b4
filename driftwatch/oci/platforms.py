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
    """True when `actual` satisfies the filter `wanted`, both normalised as containerd does
    (`aarch64` is arm64, `arm64` is arm64/v8, `arm` is arm/v7). No variant in the filter: any
    variant; a Windows build in the filter (`windows/amd64:10.0.20348`): that build only."""
    want, have = wanted.normalized(), actual.normalized()
    if (want.os, want.architecture) != (have.os, have.architecture):
        return False
    if want.os_version is not None and want.os_version != have.os_version:
        return False
    return wanted.variant is None or want.variant == have.variant


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
