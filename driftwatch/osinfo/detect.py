"""The OS release behind a manifest digest: hints first (fast), the filesystem (full), or off.

`detect_os` is the entry point for one platform manifest; `detect_platforms` does every platform of
an index. Expected non-answers (scratch images, bounds reached) come back as data in OsRelease;
corrupt layers and registry failures raise driftwatch errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from driftwatch.cache import ValueCache
from driftwatch.config import (
    DEFAULT_OS_DETECT,
    DEFAULT_OS_MAX_BYTES,
    DEFAULT_OS_MAX_SECONDS,
    OS_DETECT_MODES,
)
from driftwatch.errors import ConfigError
from driftwatch.models import OsRelease, OsSource, Platform, PlatformImage
from driftwatch.oci.jsondoc import load_json
from driftwatch.oci.media import MAX_CONFIG_BYTES
from driftwatch.oci.model import (
    Descriptor,
    ImageManifest,
    Index,
    parse_image_manifest,
    parse_manifest,
)
from driftwatch.osinfo.decode import readable_layer
from driftwatch.osinfo.hints import hint_from_annotations, hint_from_config
from driftwatch.osinfo.interface import BlobSource
from driftwatch.osinfo.layers import Budget, NeedMore, Undetermined, scan_layer, settle
from driftwatch.osinfo.osrelease import release_from_json, release_line, release_to_json
from driftwatch.osinfo.tarscan import LayerFacts

__all__ = ["detect_os", "detect_platforms"]

_NO_HINTS: Mapping[str, str] = {}


async def detect_os(
    source: BlobSource,
    manifest_digest: str,
    *,
    mode: str = DEFAULT_OS_DETECT,
    hints: Mapping[str, str] = _NO_HINTS,
    cache: ValueCache | None = None,
    max_bytes: int = DEFAULT_OS_MAX_BYTES,
    max_seconds: float = DEFAULT_OS_MAX_SECONDS,
) -> OsRelease:
    """The OS release of one platform manifest; `hints` are the index's annotations for it."""
    if mode not in OS_DETECT_MODES:
        raise ConfigError(f"os_detect must be one of {', '.join(OS_DETECT_MODES)}, not {mode!r}")
    if mode == "off":
        return OsRelease.off()
    kind = f"os-manifest-{mode}"
    cached = release_from_json(cache.get(kind, manifest_digest) or {}) if cache else None
    if cached is not None:
        return replace(cached, source=OsSource.CACHE.at(cached.source))
    budget = Budget(max_bytes, max_seconds)
    try:
        work = _detect(source, manifest_digest, mode, hints, cache, budget)
        release = await asyncio.wait_for(work, timeout=max_seconds)
    except Undetermined as exc:
        return OsRelease(id=None, source=OsSource.LAYERS.value, undetermined=str(exc))
    except asyncio.TimeoutError:
        return OsRelease(
            id=None,
            source=OsSource.LAYERS.value,
            undetermined=f"time bound of {max_seconds:g}s reached",
        )
    if cache is not None and release.undetermined is None:
        cache.put(kind, manifest_digest, release_to_json(release))
    return release


async def detect_platforms(
    source: BlobSource,
    digest: str,
    *,
    mode: str = DEFAULT_OS_DETECT,
    cache: ValueCache | None = None,
    max_bytes: int = DEFAULT_OS_MAX_BYTES,
    max_seconds: float = DEFAULT_OS_MAX_SECONDS,
) -> tuple[PlatformImage, ...]:
    """Every platform under an index (attestations skipped), or the one manifest, with its OS."""
    body, media_type = await source.get_manifest(digest)
    manifest = parse_manifest(body, media_type, digest)
    if not isinstance(manifest, Index):
        release = await detect_os(
            source, digest, mode=mode, cache=cache, max_bytes=max_bytes, max_seconds=max_seconds
        )
        return (PlatformImage(None, digest, manifest.media_type, len(body), os=release),)
    found = []
    for entry in manifest.manifests:
        hints = {**manifest.annotations, **entry.annotations}
        release = await detect_os(
            source,
            entry.digest,
            mode=mode,
            hints=hints,
            cache=cache,
            max_bytes=max_bytes,
            max_seconds=max_seconds,
        )
        found.append(_platform_image(entry, release))
    return tuple(found)


def _platform_image(entry: Descriptor, release: OsRelease) -> PlatformImage:
    platform = entry.platform or Platform("unknown", "unknown")
    return PlatformImage(platform, entry.digest, entry.media_type, entry.size, os=release)


async def _detect(
    source: BlobSource,
    digest: str,
    mode: str,
    hints: Mapping[str, str],
    cache: ValueCache | None,
    budget: Budget,
) -> OsRelease:
    """Cheapest evidence first; in full mode the filesystem decides and hints are cross-checked."""
    body, media_type = await source.get_manifest(digest)
    manifest = parse_image_manifest(body, media_type, digest)
    annotated = hint_from_annotations({**manifest.annotations, **hints})
    if mode == "fast" and annotated is not None:
        return annotated
    configured = await _config_hint(source, manifest.config, cache, budget)
    if configured is not None and (mode == "fast" or configured.id == "windows"):
        return configured  # Windows has no os-release: its config is the only evidence
    found = await _from_layers(source, manifest, cache, budget)
    return _cross_check(found, [h for h in (annotated, configured) if h is not None])


async def _config_hint(
    source: BlobSource, config: Descriptor, cache: ValueCache | None, budget: Budget
) -> OsRelease | None:
    """The hint the image config gives (history, labels), cached by config digest."""
    cached = cache.get("os-config", config.digest) if cache else None
    if cached is not None:
        return release_from_json(cached.get("hint") or {})
    blob = await source.get_blob(config.digest, min(MAX_CONFIG_BYTES, budget.max_bytes))
    budget.spend(len(blob))
    data = load_json(blob, f"image config {config.digest[:19]} is not JSON")
    hint = hint_from_config(data) if isinstance(data, dict) else None
    if cache is not None:
        cache.put("os-config", config.digest, {"hint": release_to_json(hint) if hint else None})
    return hint


async def _from_layers(
    source: BlobSource, manifest: ImageManifest, cache: ValueCache | None, budget: Budget
) -> OsRelease:
    """Read layers top first until the release is settled (scratch images settle as unknown)."""
    layers = manifest.layers[::-1]
    facts: list[LayerFacts] = []
    for index, layer in enumerate(layers):
        facts.append(await _layer_facts(source, layer, cache, budget, index, len(layers)))
        try:
            return settle(facts, complete=index == len(layers) - 1)
        except NeedMore:
            continue
    return settle(facts, complete=True)


async def _layer_facts(
    source: BlobSource,
    layer: Descriptor,
    cache: ValueCache | None,
    budget: Budget,
    index: int,
    total: int,
) -> LayerFacts:
    """One layer's facts from the cache, else streamed (and cached only once fully verified)."""
    cached = cache.get("os-layer", layer.digest) if cache else None
    if cached is not None:
        try:
            return LayerFacts.from_json(cached)
        except (KeyError, TypeError, ValueError):
            pass
    if not readable_layer(layer.media_type):
        raise Undetermined(f"layer {layer.digest[:19]} of type {layer.media_type} is not readable")
    budget.afford(layer.size, index, total)
    facts = await scan_layer(source, layer.digest, layer.media_type, budget)
    if cache is not None:
        cache.put("os-layer", layer.digest, facts.to_json())
    return facts


def _cross_check(found: OsRelease, hints: list[OsRelease]) -> OsRelease:
    """Note where a cheaper hint names another release than the filesystem shows."""
    seen = release_line(found) or "no os-release"
    notes = [
        f"{hint.source} says {release_line(hint)}, the filesystem shows {seen}"
        for hint in hints
        if not _agrees(hint, found)
    ]
    return replace(found, disagreement="; ".join(notes)) if notes else found


def _agrees(hint: OsRelease, found: OsRelease) -> bool:
    if hint.id != found.id:
        return False
    if hint.codename == "sid" and found.id == "debian" and found.version_id is None:
        return True  # sid's os-release names the testing codename (forky/sid): both unreleased
    if hint.codename and found.codename:
        return hint.codename == found.codename
    return release_line(hint) == release_line(found)
