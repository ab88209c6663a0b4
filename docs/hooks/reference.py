"""MkDocs hook: generate the CLI and configuration references from the code, so they cannot drift."""

from __future__ import annotations

from typing import Any

import click
from mkdocs.structure.files import File, Files


def on_files(files: Files, config: Any) -> Files:
    """Add reference/cli.md and reference/configuration.md, built from click and driftwatch.config."""
    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
    files.append(File.generated(config, "reference/configuration.md", content=config_reference()))
    return files


def cli_reference() -> str:
    """Every command's usage, help and options, read from the click group."""
    from driftwatch.cli import cli

    lines = ["# CLI reference", "", "Generated from the code at build time.", ""]
    root = click.Context(cli, info_name="driftwatch")
    lines += _command_section(cli, root, "driftwatch")
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is not None:
            context = click.Context(command, info_name=name, parent=root)
            lines += _command_section(command, context, f"driftwatch {name}")
    return "\n".join(lines) + "\n"


def _command_section(command: click.Command, context: click.Context, title: str) -> list[str]:
    lines = [f"## `{title}`", "", "```text", command.get_usage(context), "```", ""]
    lines += [command.help or "", ""]
    rows = [param.get_help_record(context) for param in command.get_params(context)]
    records = [row for row in rows if row]
    if records:
        lines += ["| option | meaning |", "| --- | --- |"]
        lines += [f"| `{opt}` | {text.replace('|', '/')} |" for opt, text in records]
        lines.append("")
    return lines


def config_reference() -> str:
    """The table of config keys, from driftwatch.config.REFERENCE."""
    from driftwatch.config import REFERENCE

    lines = [
        "# Configuration reference",
        "",
        "driftwatch reads `driftwatch.toml` (or `[tool.driftwatch]` in `pyproject.toml`) from the working",
        "directory upward; `--config FILE` or `DRIFTWATCH_CONFIG` name another file. Unknown keys and",
        "wrong types are errors (exit 2) naming the file and the key.",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{key}` | {kind} | {default} | {text} |" for key, kind, default, text in REFERENCE
    ]
    return "\n".join(lines) + "\n"
