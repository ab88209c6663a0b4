"""`driftwatch pin`: rewrite unpinned references to `<as written>@sha256:<index digest>`.

Always the index digest (the one every platform shares), never one platform's manifest.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from driftwatch.cli._common import (
    EXIT_FINDINGS,
    EXIT_REGISTRY,
    EXIT_USAGE,
    say_unreadable,
    take_inventory,
    warn,
)
from driftwatch.cli._options import inventory_options
from driftwatch.config import Config
from driftwatch.errors import InputError
from driftwatch.reference import ImageReference
from driftwatch.sources import Inventory
from driftwatch.usecases.pin import PinEdit, apply_pins, plan_pins, refs_to_resolve, unified_diff


@click.command("pin")
@inventory_options
@click.option("--write", is_flag=True, help="Rewrite the files (default: print a diff).")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when something is unpinned.")
@click.option("--update", is_flag=True, help="Also refresh digests that are pinned but stale.")
@click.option(
    "--suggest",
    is_flag=True,
    help="Also write the most specific tag serving the digest (python:3.12.7-slim-bookworm).",
)
@click.pass_context
def pin(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    write: bool,
    check: bool,
    update: bool,
    suggest: bool,
) -> None:
    """Pin every external base image by its index digest, keeping the tag for readers."""
    if write and check:
        raise click.UsageError("--write and --check exclude each other")
    if suggest and check:
        raise click.UsageError("--suggest rewrites tags; it does not go with --check")
    config, inventory = take_inventory(ctx, paths, build_args)
    if check and not update:
        _check_offline(inventory)
        return
    digests, failed = _resolve(config, refs_to_resolve(inventory, update=update))
    tags = _suggested(config, digests) if suggest else {}
    edits = plan_pins(inventory, digests, update=update, tags=tags)
    for edit in edits:
        if not edit.pinnable:
            warn(f"{edit.file}:{edit.line}:{edit.column}: not pinnable: {edit.reason}")
    changes = [edit for edit in edits if edit.pinnable]
    _rewrite(inventory, changes, write=write, show_diff=not check)
    unread = say_unreadable(inventory)  # its images were neither pinned nor checked
    if failed:
        sys.exit(EXIT_REGISTRY)
    if check and changes:
        click.echo(f"{len(changes)} reference(s) to pin or refresh", err=True)
        sys.exit(EXIT_FINDINGS)  # ctx.exit is swallowed by main() (standalone_mode=False)
    if unread:
        sys.exit(EXIT_USAGE)


def _check_offline(inventory: Inventory) -> None:
    """`--check` without `--update` needs no registry: is any literal reference unpinned?"""
    to_pin = 0
    for edit in plan_pins(inventory, {}):
        where = f"{edit.file}:{edit.line}:{edit.column}"
        if (edit.reason or "").startswith("no digest"):
            to_pin += 1
            warn(f"{where}: {edit.old} is not pinned")
        else:
            warn(f"{where}: not pinnable: {edit.reason}")
    if to_pin:
        click.echo(f"{to_pin} reference(s) to pin (run `driftwatch pin --write`)", err=True)
    unread = say_unreadable(inventory)  # a file it could not read may hold unpinned images
    if to_pin:
        sys.exit(EXIT_FINDINGS)
    if unread:
        sys.exit(EXIT_USAGE)


def _resolve(
    config: Config, refs: Sequence[ImageReference]
) -> tuple[dict[ImageReference, str], int]:
    """Index digests for `refs` from the registry client, and how many failed (warned about)."""
    if not refs:
        return {}, 0
    from driftwatch.models import Resolution
    from driftwatch.usecases.online import resolve_online

    digests: dict[ImageReference, str] = {}
    failed = 0
    for result in resolve_online(list(refs), config, strict=True):
        if isinstance(result, Resolution):
            digests[result.reference.without_digest()] = result.digest
        else:
            failed += 1
            warn(f"{result.reference.familiar}: {result.reason}")
    return digests, failed


def _suggested(config: Config, digests: dict[ImageReference, str]) -> dict[ImageReference, str]:
    """The most specific tag serving each digest (pin --suggest); the tag stays when none is."""
    from driftwatch.usecases.aliases import AliasQuery, aliases_online

    queries = [AliasQuery(ref, digest) for ref, digest in digests.items() if ref.tag]
    tags = {}
    for query, found in aliases_online(config, queries).items():
        if found.exact and found.exact != query.reference.tag:
            tags[query.reference] = found.exact
        elif found.incomplete:
            warn(f"{query.reference.familiar}: tag kept: {found.incomplete}")
    return tags


def _rewrite(inventory: Inventory, changes: list[PinEdit], *, write: bool, show_diff: bool) -> None:
    """Apply the changes file by file: write them, or print a unified diff."""
    by_file: dict[str, list[PinEdit]] = {}
    for edit in changes:
        by_file.setdefault(edit.file, []).append(edit)
    root = os.path.realpath(inventory.root)
    for file, edits in sorted(by_file.items()):
        path = inventory.root / file
        real = os.path.realpath(path)
        if os.path.commonpath([root, real]) != root:
            warn(f"{file}: resolves outside the repository ({real}): not rewritten")
            continue
        try:  # bytes that are not UTF-8 (a Latin-1 comment) are kept exactly as they were
            before = path.read_bytes().decode("utf-8", errors="surrogateescape")
        except OSError as exc:
            raise InputError(f"{file}: cannot be read again: {exc}") from exc
        after = apply_pins(before, edits)
        if write:
            path.write_bytes(after.encode("utf-8", errors="surrogateescape"))
            click.echo(f"pinned {len(edits)} reference(s) in {file}", err=True)
        elif show_diff:
            diff = unified_diff(file, before, after).encode("utf-8", errors="surrogateescape")
            click.echo(diff.decode("utf-8", errors="replace"), nl=False)
