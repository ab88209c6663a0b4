"""Explain every move: classify each drift and, for images that moved, diff their packages.

Runs only on drifts (a steady-state run has none, so it reads nothing): one registry client,
both platform manifests (cached by digest) to tell metadata-only moves from layer changes, then
the package inventory of each side (bounded like OS detection, cached by digest for ever).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from driftwatch.errors import DriftwatchError
from driftwatch.models import Drift, DriftKind
from driftwatch.osinfo.inventory import Inventory
from driftwatch.pkgdiff import Explanation, classify, diff_inventories
from driftwatch.reference import ImageReference

if TYPE_CHECKING:
    from driftwatch.cache import CacheStore, ValueCache
    from driftwatch.config import Config
    from driftwatch.osinfo import BlobSource

__all__ = [
    "EXPLAIN_CONCURRENCY",
    "explain_drifts",
    "explain_one",
    "explain_pair",
    "inventory_cache",
    "needs_reads",
]

EXPLAIN_CONCURRENCY = 4
_READ_KINDS = (DriftKind.DIGEST, DriftKind.OS_RELEASE, DriftKind.OS_POINT_RELEASE)

Drifts = Mapping[ImageReference, Sequence[Drift]]


def inventory_cache(store: CacheStore) -> ValueCache:
    """Where inventories are kept by digest: the one disk cache (flushed with the client)."""
    from driftwatch.cache import DiskValues

    return DiskValues(store=store)


def needs_reads(drift: Drift) -> bool:
    """True for a move between two platform images whose packages can be compared."""
    return (
        drift.kind in _READ_KINDS
        and drift.old is not None
        and drift.new is not None
        and drift.old.digest != drift.new.digest
    )


def explain_drifts(
    drifts: Drifts, config: Config, *, mode: str | None = None, deadline: float | None = None
) -> dict[ImageReference, tuple[Drift, ...]]:
    """Every drift with its Explanation; `off` (flag or config) classifies without reading.
    `deadline` (the run's, time.monotonic()): reads not done by then are said unknown."""
    off = (mode or config.explain) == "off"
    plain = {ref: tuple(_classified(d) for d in found) for ref, found in drifts.items()}
    if off or not any(needs_reads(d) for found in drifts.values() for d in found):
        return plain
    from driftwatch.usecases.online import _client, _store

    async def run() -> dict[ImageReference, tuple[Drift, ...]]:
        store = _store()
        async with _client(config, store) as client:
            if deadline is not None:
                client.deadline = deadline
            limit = asyncio.Semaphore(EXPLAIN_CONCURRENCY)
            cache = inventory_cache(store)

            async def one(ref: ImageReference, drift: Drift) -> Drift:
                if not needs_reads(drift):
                    return drift
                from driftwatch.osinfo import BoundSource

                async with limit:
                    work = explain_one(BoundSource(client, ref), drift, config, cache)
                    try:
                        found = await client.within_deadline(work, str(ref))
                    except DriftwatchError as exc:
                        found = _unknown(drift.kind.value, f"not read: {exc.message}")
                return dataclasses.replace(drift, explanation=found)

            done = {}
            for ref, found in plain.items():
                done[ref] = tuple(await asyncio.gather(*(one(ref, d) for d in found)))
            return done

    return asyncio.run(run())


def _unknown(kind: str, problem: str) -> Explanation:
    """The explanation of a move whose images could not be read: its packages unknown, and why."""
    unread = Inventory(None, problem=problem, scanned=False)
    move = classify(kind, False) or "packages"
    return Explanation(move, diff_inventories(unread, unread))


def _classified(drift: Drift) -> Drift:
    """The move class that needs no read (platform-only, OS moves); digest moves wait."""
    if drift.kind is DriftKind.DIGEST and needs_reads(drift):
        return drift
    move = classify(drift.kind.value, None)
    return dataclasses.replace(drift, explanation=Explanation(move)) if move else drift


async def explain_one(
    source: BlobSource, drift: Drift, config: Config, cache: ValueCache | None
) -> Explanation:
    """Compare the two platform images of a drift: same layers, else their packages."""
    assert drift.old is not None and drift.new is not None
    return await explain_pair(
        source, drift.kind.value, drift.old.digest, drift.new.digest, config, cache
    )


async def explain_pair(
    source: BlobSource, kind: str, old: str, new: str, config: Config, cache: ValueCache | None
) -> Explanation:
    """Two platform manifests of one repository: metadata-only when their layers are the same,
    else the diff of their package inventories."""
    from driftwatch.osinfo.packages import layer_digests

    try:
        same = await layer_digests(source, old) == await layer_digests(source, new)
    except DriftwatchError as exc:
        return _unknown(kind, f"could not read its manifest: {exc.message}")
    move = classify(kind, same) or "packages"
    if same:
        return Explanation(move)
    before = await _inventory(source, old, config, cache)
    after = await _inventory(source, new, config, cache)
    return Explanation(move, diff_inventories(before, after))


async def _inventory(
    source: BlobSource, digest: str, config: Config, cache: ValueCache | None
) -> Inventory:
    """One side's inventory; a registry failure is said, never taken for "no packages"."""
    from driftwatch.osinfo.packages import read_inventory

    try:
        return await read_inventory(
            source,
            digest,
            cache=cache,
            max_bytes=config.os_max_bytes,
            max_seconds=config.os_max_seconds,
        )
    except DriftwatchError as exc:
        return Inventory(None, problem=f"could not read it: {exc.message}", scanned=False)
