"""Helpers every command shares: loading config, writing output, the exit code convention."""

from __future__ import annotations

from pathlib import Path

import click

from driftwatch.config import Config, load_config
from driftwatch.redact import mask_userinfo, printable

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
