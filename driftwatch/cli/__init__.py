"""The `driftwatch` command: a click group whose subcommands are imported only when used.

This package is the only place that prints or exits; everything below it returns data or raises
driftwatch.errors. Exit codes: 0 ok, 1 drift/findings, 2 usage/config/input, 3 registry.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from driftwatch import __version__
from driftwatch.errors import DriftwatchError

# name -> "module:attribute"; modules load lazily so `driftwatch --help` stays fast.
COMMANDS: dict[str, str] = {
    "check": "driftwatch.cli.check:check",
    "db": "driftwatch.cli.db:db",
    "events": "driftwatch.cli.events:events",
    "history": "driftwatch.cli.history:history",
    "images": "driftwatch.cli.images:images",
    "lint": "driftwatch.cli.lint:lint",
    "lock": "driftwatch.cli.lock:lock",
    "notify": "driftwatch.cli.notify:notify",
    "pin": "driftwatch.cli.pin:pin",
    "report": "driftwatch.cli.report:report",
    "resolve": "driftwatch.cli.resolve:resolve",
    "scan": "driftwatch.cli.scan:scan",
}

EXIT_INTERNAL = 70


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="driftwatch")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="DRIFTWATCH_CONFIG",
    help="Config file (default: driftwatch.toml or [tool.driftwatch] found upward).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Guard container base images: know when a tag's digest or OS release moves."""
    ctx.obj = {"config_path": config_path}


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the group and turn every error into a one-line message."""
    try:
        code = cli.main(args=argv, prog_name="driftwatch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("driftwatch: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except DriftwatchError as exc:
        click.echo(f"driftwatch: error: {exc.diagnostics()}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("driftwatch: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        if os.environ.get("DRIFTWATCH_DEBUG"):
            raise
        click.echo(
            f"driftwatch: internal error: {type(exc).__name__}: {exc} "
            "(set DRIFTWATCH_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
