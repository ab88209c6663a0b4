"""The `driftwatch` command: a click group whose subcommands are imported only when used.

This package is the only place that prints or exits; everything below it returns data or raises
driftwatch.errors. Exit codes: 0 ok, 1 drift/findings, 2 usage/config/input, 3 registry.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import typing
from typing import TextIO

import click

from driftwatch import __version__
from driftwatch.errors import DriftwatchError
from driftwatch.redact import mask_userinfo, printable

# name -> "module:attribute"; modules load lazily so `driftwatch --help` stays fast.
COMMANDS: dict[str, str] = {
    "check": "driftwatch.cli.check:check",
    "db": "driftwatch.cli.db:db",
    "diff": "driftwatch.cli.diff:diff",
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


def safe_text(text: str) -> str:
    """A message fit for a terminal: URL user-info masked, control characters escaped."""
    return printable(mask_userinfo(text))


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
        _accept_config_option(command)
        return command


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """`--config` after the subcommand name wins over the group's (and DRIFTWATCH_CONFIG)."""
    if value is not None:
        ctx.ensure_object(dict)["config_path"] = value


def _accept_config_option(command: click.Command) -> None:
    """Give every subcommand (and its subcommands) `--config FILE`, as the group has."""
    if not any(param.name == "config_path" for param in command.params):
        command.params.append(
            click.Option(
                ["--config", "config_path"],
                type=click.Path(dir_okay=False),
                expose_value=False,
                is_eager=True,
                callback=_remember_config,
                help="Config file (same as `driftwatch --config FILE`).",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_config_option(sub)


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


class _EscapingStream:
    """A text stream that masks URL user-info and escapes control characters (not newline, tab).

    Registries and images are untrusted: a tag, codename or error body holding ESC or BEL
    must not drive the terminal, and no `user:password@` reaches a log. Everything driftwatch
    prints passes through here.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.encoding = getattr(stream, "encoding", "utf-8")
        self.errors = getattr(stream, "errors", "strict")

    def write(self, text: str) -> int:
        self._stream.write(terminal_text(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._stream.fileno()


# Control characters but tab and newline; CR only where it ends a CRLF line (a diff of a CRLF file).
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def terminal_text(text: str) -> str:
    """Text as driftwatch writes it (stdout or `--output`): user-info masked, controls escaped."""
    return _TERMINAL_CONTROL.sub(_escape, mask_userinfo(text))


def main(argv: list[str] | None = None) -> None:
    """Console entry point: output escaped for the terminal, every error one line."""
    streams = sys.stdout, sys.stderr
    sys.stdout = typing.cast(TextIO, _EscapingStream(sys.stdout))
    sys.stderr = typing.cast(TextIO, _EscapingStream(sys.stderr))
    try:
        _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: list[str] | None) -> None:
    """Run the group and turn every error into a one-line message and an exit code."""
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
        click.echo(f"driftwatch: error: {safe_text(exc.diagnostics())}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("driftwatch: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        if os.environ.get("DRIFTWATCH_DEBUG"):
            raise
        click.echo(
            f"driftwatch: internal error: {type(exc).__name__}: {safe_text(str(exc))} "
            "(set DRIFTWATCH_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
