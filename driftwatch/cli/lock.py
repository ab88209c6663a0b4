"""`driftwatch lock`: record the digests and OS release of every base image in driftwatch.lock."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import click

from driftwatch.cli._common import (
    EXIT_OK,
    EXIT_REGISTRY,
    lock_path,
    repo_root,
    take_inventory,
    unreadable,
    warn,
)
from driftwatch.cli._options import (
    inventory_options,
    os_detect_option,
    parse_platforms,
    platform_option,
)
from driftwatch.errors import InputError
from driftwatch.lockfile import (
    LockEntry,
    LockFile,
    LockUse,
    entry_from_resolution,
    read_lock,
    write_lock,
)
from driftwatch.models import BaseImageUse, Observation, Platform, ResolveFailure, Undetermined
from driftwatch.reference import ImageReference
from driftwatch.sources import Inventory

# repo_root and lock_path moved to cli/_common.py; still importable from here for older code.
__all__ = ["LockChoices", "lock", "lock_path", "repo_root", "unlockable"]


@click.command("lock")
@inventory_options
@click.option("--lockfile", help="Lock file to write (default: driftwatch.lock at the repo root).")
@platform_option
@os_detect_option
@click.pass_context
def lock(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    lockfile: str | None,
    platforms: tuple[str, ...],
    os_detect: str | None,
) -> None:
    """Write driftwatch.lock: digests and OS release of every external base image."""
    from driftwatch.usecases.check import group_uses, locked_os, locked_platforms
    from driftwatch.usecases.online import OsOptions, observe_online

    config, inventory = take_inventory(ctx, paths, build_args, root=repo_root, platforms=platforms)
    unread = unreadable(inventory)
    if unread:  # a full lock would forget the images of a file it could not read
        raise InputError(f"{unread[0].file} could not be read ({unread[0].reason}): not locking")
    path = lock_path(lockfile, inventory.root)
    previous = _previous_lock(path)
    uses = group_uses(inventory.resolvable)
    wanted = parse_platforms(platforms or config.platforms)
    options = OsOptions.from_config(config, os_detect, known=locked_os(previous).get)
    results = observe_online(
        list(uses),
        config,
        strict=True,
        platforms=wanted,
        os_options=options,
        known_platforms=locked_platforms(previous),
    )
    partial = any(p.resolve() != inventory.root for p in paths)  # `lock .` at the root is full
    outside = _unread_uses(previous, inventory) if partial else {}
    how = LockChoices(os_detect=options.mode, platforms=tuple(wanted))
    entries, failed = _entries(results, uses, previous, outside, how)
    if failed and not entries:  # offline, or every image failed: an empty lock would guard nothing
        click.echo(f"{os.path.relpath(path)}: not written: no image could be locked", err=True)
        sys.exit(EXIT_REGISTRY)
    changed = write_lock(path, entries)
    state = "updated" if changed else "unchanged"
    click.echo(f"{os.path.relpath(path)}: {len(entries)} image(s) locked, {state}", err=True)
    sys.exit(EXIT_REGISTRY if failed else EXIT_OK)


@dataclass(frozen=True)
class LockChoices:
    """What the user chose for this lock run, recorded in each entry it writes."""

    os_detect: str
    platforms: tuple[Platform, ...]


def _entries(
    results: Sequence[Observation | ResolveFailure],
    uses: Mapping[ImageReference, Sequence[BaseImageUse]],
    previous: LockFile,
    outside: Mapping[ImageReference, tuple[LockUse, ...]],
    how: LockChoices,
) -> tuple[list[LockEntry], int]:
    """Fresh entries, old ones for images that failed (warned about), and how many failed.

    An image is locked only when every platform's OS was established (or detection is off by
    choice) and it has at least one platform: a lock never records an unknown OS.
    """
    entries: list[LockEntry] = []
    failed = 0
    for result in results:
        written = {LockUse(use.file, use.written) for use in uses[result.reference]}
        written.update(outside.get(result.reference, ()))
        if isinstance(result, Observation) and not result.missing:
            problem = unlockable(result, how.os_detect)
            if problem is None:
                entries.append(
                    entry_from_resolution(
                        result, written, os_detect=how.os_detect, platform_filter=how.platforms
                    )
                )
                continue
            result = ResolveFailure(result.reference, problem, "Undetermined")
        failed += 1
        kept = previous.get(result.reference)
        note = " (kept the old entry)" if kept else ""
        warn(f"{result.reference.familiar}: {_reason(result)}{note}")
        if kept is not None:
            entries.append(kept)
    known = {entry.reference for entry in entries}
    for reference, others in outside.items():
        old = previous.get(reference)
        if old is not None and reference not in known:
            entries.append(replace(old, uses=others))
    return entries, failed


def unlockable(observation: Observation, os_detect: str) -> str | None:
    """Why an observation must not be locked: no platform, or a platform of unknown OS."""
    if not observation.platforms:
        return "the registry lists no platform for it: could not check"
    if os_detect == "off":
        return None
    for image in observation.platforms:
        unsure = image.os.unsettled if image.os else Undetermined("no OS release detected")
        if unsure is not None:
            where = image.platform or "its image"
            return f"could not check {where}: its OS release is unknown ({unsure.reason})"
    return None


def _unread_uses(
    previous: LockFile, inventory: Inventory
) -> dict[ImageReference, tuple[LockUse, ...]]:
    """Locked uses in existing files this run did not read: locking some PATHs keeps the rest."""
    read = set(inventory.files)
    found: dict[ImageReference, tuple[LockUse, ...]] = {}
    for reference, entry in previous.entries.items():
        others = tuple(
            use
            for use in entry.uses
            if use.file not in read and (inventory.root / use.file).is_file()
        )
        if others:
            found[reference] = others
    return found


def _previous_lock(path: Path) -> LockFile:
    """The lock file being replaced (its OS findings are reused), or an empty one."""
    if not path.exists():
        return LockFile({})
    try:
        return read_lock(path)
    except InputError as exc:
        warn(f"{exc.message}; writing a new one")
        return LockFile({})


def _reason(result: Observation | ResolveFailure) -> str:
    if isinstance(result, ResolveFailure):
        return result.reason
    return "tag not found in the registry"
