"""`driftwatch images`: the inventory of base images, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from driftwatch.cli._common import emit, exit_if_unreadable, take_inventory, unreadable
from driftwatch.cli._options import (
    LIST_FORMATS,
    format_option,
    inventory_options,
    output_option,
    platform_option,
)
from driftwatch.models import BaseImageUse

# Moved to cli/_common.py and cli/_options.py (no command module imports another); these names
# stay importable from here for code written before the move.
__all__ = [
    "exit_if_unreadable",
    "images",
    "inventory_options",
    "take_inventory",
    "unreadable",
    "use_record",
]


def use_record(use: BaseImageUse) -> dict[str, Any]:
    """The JSON object for one use."""
    return {
        "file": use.file,
        "line": use.line,
        "column": use.column,
        "kind": use.kind.value,
        "written": use.written,
        "reference": str(use.reference) if use.reference else None,
        "problem": use.problem,
        "stage": use.stage,
        "platform": use.platform,
        "notes": list(use.notes),
    }


def _text_line(use: BaseImageUse) -> str:
    target = str(use.reference) if use.reference else f"(unresolved: {use.problem})"
    return f"{use.file}:{use.line}:{use.column}\t{use.kind.value}\t{use.written}\t{target}"


@click.command("images")
@inventory_options
@platform_option
@format_option(LIST_FORMATS, schema="images")
@output_option
@click.pass_context
def images(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    platforms: tuple[str, ...],
    fmt: str,
    output: str | None,
) -> None:
    """List every base image PATHs use (default: the current directory), offline."""
    _, inventory = take_inventory(ctx, paths, build_args, platforms=platforms)
    if fmt == "json":
        emit(json.dumps([use_record(use) for use in inventory.uses], indent=2) + "\n", output)
    else:
        emit("".join(f"{_text_line(use)}\n" for use in inventory.uses), output)
        click.echo(_summary(len(inventory.uses), len(inventory.files)), err=True)
    exit_if_unreadable(inventory)


def _summary(references: int, files: int) -> str:
    """`1 image reference in 1 file`, `2 image references in 3 files`: plural only when needed."""
    return (
        f"{references} image reference{'' if references == 1 else 's'} "
        f"in {files} file{'' if files == 1 else 's'}"
    )
