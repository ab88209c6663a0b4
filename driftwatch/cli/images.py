"""`driftwatch images`: the inventory of base images, offline."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from driftwatch.cli._common import EXIT_USAGE, config_from, warn
from driftwatch.cli._options import parse_platforms, platform_option
from driftwatch.config import SOURCE_NAMES, Config, parse_source_names
from driftwatch.models import BaseImageUse
from driftwatch.sources import FileProblem, Inventory, find_image_uses

F = TypeVar("F", bound=Callable[..., Any])


def _remember_sources(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    """`--sources a,b`: kept in the context for take_inventory (no command signature changes)."""
    if value is not None:
        ctx.meta[_SOURCES_KEY] = parse_source_names(value, "--sources")


_SOURCES_KEY = "driftwatch.sources"


def inventory_options(function: F) -> F:
    """PATH..., --build-arg and --sources, shared by every command that reads the repository."""
    function = click.option(
        "--sources",
        metavar="NAMES",
        expose_value=False,
        callback=_remember_sources,
        help=f"Only these sources, comma-separated ({', '.join(SOURCE_NAMES)}); "
        "default: config `sources.enabled`, else all.",
    )(function)
    function = click.option(
        "--build-arg",
        "build_args",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a Dockerfile ARG (repeatable); wins over `build_args` in the config.",
    )(function)
    return click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))(function)


# Problems that leave nothing unread: a folder seen before, a file with no base image in it.
_HARMLESS = (
    "symlink loop (folder already visited)",
    "no instructions (empty Dockerfile)",
    "no FROM instruction",
    "no `services` mapping",
)


def unreadable(inventory: Inventory) -> list[FileProblem]:
    """The files that could not be read or parsed: inputs that fail the gate (exit 2)."""
    return [p for p in inventory.problems if not p.reason.startswith(_HARMLESS)]


def exit_if_unreadable(inventory: Inventory) -> None:
    """Exit 2 (input error) after the output when a file could not be read or parsed."""
    problems = unreadable(inventory)
    if problems:
        click.echo(f"driftwatch: error: {len(problems)} file(s) could not be read", err=True)
        sys.exit(EXIT_USAGE)


def parse_build_args(values: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` strings to a dict; a malformed one is a usage error."""
    result = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--build-arg")
        result[key] = text
    return result


def take_inventory(
    ctx: click.Context,
    paths: Sequence[Path],
    build_args: Sequence[str],
    *,
    root: Callable[[Config], Path] | None = None,
    platforms: Sequence[str] = (),
) -> tuple[Config, Inventory]:
    """Load the config, walk `paths`, and warn (stderr) about every file that could not be read.

    `root(config)`, when given, is the folder paths are reported from and the default PATH;
    `platforms` (else the config's) give BuildKit's automatic platform args their values.
    """
    config = config_from(ctx)
    base = root(config) if root else None
    walk = list(paths) or ([base] if base else [])
    inventory = find_image_uses(
        walk,
        config,
        parse_build_args(build_args),
        root=base,
        platforms=_platforms(platforms),
        sources=ctx.meta.get(_SOURCES_KEY),
    )
    for problem in inventory.problems:
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        warn(f"{where}: {problem.reason}")
    return config, inventory


def _platforms(values: Sequence[str]) -> list[str] | None:
    """`--platform` values, checked; None when none were given (the config's apply)."""
    return [str(platform) for platform in parse_platforms(values)] or None


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
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def images(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    platforms: tuple[str, ...],
    fmt: str,
) -> None:
    """List every base image PATHs use (default: the current directory), offline."""
    _, inventory = take_inventory(ctx, paths, build_args, platforms=platforms)
    if fmt == "json":
        click.echo(json.dumps([use_record(use) for use in inventory.uses], indent=2))
    else:
        for use in inventory.uses:
            click.echo(_text_line(use))
        count = len(inventory.uses)
        click.echo(
            f"{count} image reference{'s' if count != 1 else ''} in {len(inventory.files)} files",
            err=True,
        )
    exit_if_unreadable(inventory)
