"""Helpers every command shares: config, the repository's inventory, writing output, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftwatch.cli._options import SOURCES_KEY, parse_platforms
from driftwatch.config import Config, load_config
from driftwatch.errors import InputError
from driftwatch.redact import mask_userinfo, printable

if TYPE_CHECKING:
    from driftwatch.report import Finding, Rule
    from driftwatch.sources import FileProblem, Inventory

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_REGISTRY = 3


def config_from(ctx: click.Context) -> Config:
    """The Config for this invocation, honouring the group's `--config`."""
    path = (ctx.obj or {}).get("config_path")
    return load_config(Path(path) if path else None)


def warn(message: str) -> None:
    """One line on stderr, prefixed so it is recognisable in CI logs."""
    click.echo(f"driftwatch: warning: {printable(mask_userinfo(message))}", err=True)


def emit(text: str, output: str | None) -> None:
    """The command's output: on stdout, or (`--output FILE`) written whole to FILE."""
    if output:
        write_text(Path(output), text)
    else:
        click.echo(text, nl=False)


def write_text(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, made safe as stdout is; unwritable: exit 2."""
    from driftwatch.atomic import write_atomic  # tempfile: only for --output
    from driftwatch.cli import terminal_text

    try:
        write_atomic(path, terminal_text(text).encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def write_sarif(path: str | None, findings: Sequence[Finding], rules: Sequence[Rule]) -> None:
    """`--sarif FILE`: the findings as SARIF too, whatever `--format` printed."""
    if path:
        from driftwatch import __version__
        from driftwatch.report import render

        write_text(Path(path), render(findings, "sarif", rules=rules, version=__version__))


def repo_root(config: Config) -> Path:
    """The repository root: lock paths are relative to it and PATH defaults to it."""
    from driftwatch.lockfile import repository_root  # pydantic models: only when needed

    return repository_root(config.path)


def lock_path(option: str | None, root: Path) -> Path:
    """`--lockfile` as given, else driftwatch.lock at the repository root."""
    from driftwatch.lockfile import DEFAULT_LOCKFILE

    return Path(option) if option else root / DEFAULT_LOCKFILE


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


def say_unreadable(inventory: Inventory) -> bool:
    """Say how many files could not be read or parsed, if any; whether there were some."""
    problems = unreadable(inventory)
    if problems:
        click.echo(f"driftwatch: error: {len(problems)} file(s) could not be read", err=True)
    return bool(problems)


def exit_if_unreadable(inventory: Inventory) -> None:
    """Exit 2 (input error) after the output when a file could not be read or parsed."""
    if say_unreadable(inventory):
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
    from driftwatch.sources import find_image_uses

    config = config_from(ctx)
    base = root(config) if root else None
    walk = list(paths) or ([base] if base else [])
    inventory = find_image_uses(
        walk,
        config,
        parse_build_args(build_args),
        root=base,
        platforms=[str(p) for p in parse_platforms(platforms)] or None,
        sources=ctx.meta.get(SOURCES_KEY),
    )
    for problem in inventory.problems:
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        warn(f"{where}: {problem.reason}")
    return config, inventory
