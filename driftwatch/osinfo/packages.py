"""The package inventory of one platform image: dpkg or apk database and its shared libraries.

Read with the same bounded streaming layer reader as the OS release (every layer, since a
library can sit in any of them), merged as overlayfs does, and cached by manifest digest for
ever. A database that cannot be read is said so in `Inventory.problem`: never an empty list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from driftwatch.cache import ValueCache
from driftwatch.config import DEFAULT_OS_MAX_BYTES, DEFAULT_OS_MAX_SECONDS
from driftwatch.errors import OsDetectionError
from driftwatch.oci.model import Descriptor, parse_image_manifest
from driftwatch.osinfo.apk import parse_installed
from driftwatch.osinfo.decode import LayerDecoder, readable_layer
from driftwatch.osinfo.dpkg import installed_packages, list_owner
from driftwatch.osinfo.interface import BlobSource
from driftwatch.osinfo.inventory import Inventory, Package, is_library_path
from driftwatch.osinfo.layers import Budget, Undetermined
from driftwatch.osinfo.pkgscan import (
    APK_DB,
    DPKG_INFO,
    DPKG_STATUS,
    DPKG_STATUS_D,
    RPM_DBS,
    PackageScanner,
    merge,
)
from driftwatch.osinfo.tarscan import LayerEntry, LayerFacts

__all__ = ["inventory_from_entries", "layer_digests", "read_inventory"]

CACHE_KIND = "packages-inventory-v2"  # the one cache: values by (kind, manifest digest)


async def read_inventory(
    source: BlobSource,
    manifest_digest: str,
    *,
    cache: ValueCache | None = None,
    max_bytes: int = DEFAULT_OS_MAX_BYTES,
    max_seconds: float = DEFAULT_OS_MAX_SECONDS,
) -> Inventory:
    """The inventory of one platform manifest; bounds reached and unreadable layers become a
    `problem`; registry failures raise driftwatch errors (the caller says "could not read")."""
    cached = cache.get(CACHE_KIND, manifest_digest) if cache else None
    if cached is not None:
        try:
            return Inventory.from_json(cached)
        except (KeyError, TypeError, ValueError):
            pass
    budget = Budget(max_bytes, max_seconds)
    try:
        work = _read(source, manifest_digest, budget)
        inventory = await asyncio.wait_for(work, timeout=max_seconds)
    except Undetermined as exc:
        return _unread(str(exc))
    except asyncio.TimeoutError:
        return _unread(f"time bound of {max_seconds:g}s reached")
    except OsDetectionError as exc:
        return _unread(exc.message)
    if cache is not None:
        cache.put(CACHE_KIND, manifest_digest, inventory.to_json())
    return inventory


def _unread(why: str) -> Inventory:
    """An inventory whose layers were not all read: nothing about it is known."""
    return Inventory(None, problem=f"package database not read: {why}", scanned=False)


async def layer_digests(source: BlobSource, manifest_digest: str) -> tuple[str, ...]:
    """The layer digests of a platform manifest (bottom first): equal tuples, same filesystem."""
    body, media_type = await source.get_manifest(manifest_digest)
    manifest = parse_image_manifest(body, media_type, manifest_digest)
    return tuple(layer.digest for layer in manifest.layers)


async def _read(source: BlobSource, digest: str, budget: Budget) -> Inventory:
    body, media_type = await source.get_manifest(digest)
    layers = parse_image_manifest(body, media_type, digest).layers
    facts: list[LayerFacts] = []
    unreadable: list[str] = []
    for index, layer in enumerate(layers[::-1]):  # top layer first, as for the OS release
        found, why = await _scan(source, layer, budget, index, len(layers))
        facts.append(found)
        unreadable += why
    if unreadable:
        return _unread(unreadable[0])
    return inventory_from_entries(merge(facts[::-1]))


async def _scan(
    source: BlobSource, layer: Descriptor, budget: Budget, index: int, total: int
) -> tuple[LayerFacts, list[str]]:
    """One layer through decompression and the package scanner."""
    if not readable_layer(layer.media_type):
        raise Undetermined(f"layer {layer.digest[:19]} of type {layer.media_type} is not readable")
    budget.afford(layer.size, index, total)
    scanner = PackageScanner(layer.digest[:19])

    def sink(data: bytes) -> None:
        budget.tick()
        scanner.feed(data)

    decoder = LayerDecoder(layer.digest[:19], layer.media_type, sink)
    async with source.stream_blob(layer.digest) as chunks:
        async for chunk in chunks:
            budget.spend(len(chunk))
            decoder.feed(chunk)
        decoder.close()
    return scanner.finish(), scanner.unreadable


def inventory_from_entries(entries: Mapping[str, LayerEntry]) -> Inventory:
    """The inventory the merged entries show: dpkg first, then apk; rpm is said unreadable."""
    libraries = tuple(sorted(path for path in entries if is_library_path(path)))
    status = entries.get(DPKG_STATUS)
    parts = [e.content for p, e in sorted(entries.items()) if p.startswith(DPKG_STATUS_D)]
    if status is not None or parts:
        texts = ([status.content or ""] if status else []) + [text or "" for text in parts]
        packages = _unique(p for text in texts for p in installed_packages(text))
        return Inventory("dpkg", packages, libraries, _dpkg_owners(entries))
    apk = entries.get(APK_DB)
    if apk is not None:
        found, owned = parse_installed(apk.content or "")
        return Inventory("apk", _unique(found), libraries, tuple(sorted(owned)))
    if any(path in RPM_DBS for path in entries):
        return Inventory(None, libraries=libraries, problem="package database not readable: rpm")
    return Inventory(None, libraries=libraries, problem="no package database in the image")


def _dpkg_owners(entries: Mapping[str, LayerEntry]) -> tuple[tuple[str, str], ...]:
    """(library path, package) from every `info/*.list` the image still has."""
    owners: set[tuple[str, str]] = set()
    for path, entry in entries.items():
        if path.startswith(DPKG_INFO) and path.endswith(".list") and entry.content:
            owner = list_owner(path)
            owners.update((line, owner) for line in entry.content.splitlines() if line)
    return tuple(sorted(owners))


def _unique(packages: Iterable[Package]) -> tuple[Package, ...]:
    """Sorted packages without duplicates (a name listed twice keeps its last stanza)."""
    found: dict[tuple[str, str | None], Package] = {}
    for package in packages:
        found[(package.name, package.arch)] = package
    return tuple(sorted(found.values(), key=lambda p: (p.name, p.arch or "", p.version)))
