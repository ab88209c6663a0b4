"""MkDocs hook: generate the CLI and configuration references from the code, so they cannot drift."""

from __future__ import annotations

from typing import Any

import click
from mkdocs.structure.files import File, Files


def on_files(files: Files, config: Any) -> Files:
    """Add reference/cli.md and reference/configuration.md, built from click and driftwatch.config."""
    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
    files.append(File.generated(config, "reference/configuration.md", content=config_reference()))
    files.append(File.generated(config, "reference/lock-file.md", content=lock_reference()))
    return files


def cli_reference() -> str:
    """Every command's usage, help and options, read from the click group."""
    from driftwatch.cli import cli

    lines = ["# CLI reference", "", "Generated from the code at build time.", "", *_COMMON, ""]
    root = click.Context(cli, info_name="driftwatch")
    lines += _command_section(cli, root, "driftwatch")
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is not None:
            context = click.Context(command, info_name=name, parent=root)
            lines += _command_section(command, context, f"driftwatch {name}")
    return "\n".join(lines) + "\n"


_COMMON = [
    "Options that mean the same on every command that has them: `--config FILE` (every command,",
    "before or after its name), `--format` (one list of names: `text` and `json` everywhere, the",
    "report formats `github`, `sarif`, `markdown`, `gitlab` on `check`, `lint` and `scan`),",
    "`--output FILE` (the chosen format goes to FILE, replaced atomically, instead of stdout),",
    "`--sarif FILE` (a SARIF copy of the findings) and `--platform` (repeatable; default: config",
    "`platforms`, else every platform). Each `--format json` follows a schema shipped in",
    "`driftwatch/schemas/`: see [JSON output](../json-output.md).",
]


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
    """The table of config keys, from driftwatch.config.reference() (built from the model)."""
    from driftwatch.config import reference
    from driftwatch.configmodel import NotifyEnvModel
    from driftwatch.validation import iter_keys, range_text

    lines = [
        "# Configuration reference",
        "",
        "Generated from the code at build time (`driftwatch/configmodel.py`).",
        "",
        "driftwatch reads `driftwatch.toml` (or `[tool.driftwatch]` in `pyproject.toml`) from the working",
        "directory upward; `--config FILE` (before or after the subcommand) or `DRIFTWATCH_CONFIG` name",
        "another file. The file must be UTF-8 and at most 1 MiB.",
        "",
        'Every value is checked before any work starts: unknown keys, wrong types (`"8"` is not a',
        "number, `true` is not 1), numbers out of range, NaN or infinity and malformed URLs are errors",
        "(exit 2) of one line naming the file, the key, the value and what is allowed, e.g.",
        "",
        "```text",
        "driftwatch: error: driftwatch.toml: retries = -1: should be greater than or equal to 0; "
        "allowed: an integer from 0 to 10",
        "```",
        "",
        "## Secrets: `${VAR}`",
        "",
        "`${NAME}` in any string is replaced by the environment variable `NAME` (an unset variable is",
        "an error; `$${` writes a literal `${`). This is how credentials reach the configuration",
        "without being committed:",
        "",
        "```toml",
        'db = "postgresql+psycopg://driftwatch:${DRIFTWATCH_DB_PASSWORD}@db/driftwatch"',
        'notify = ["${SLACK_WEBHOOK_URL}"]',
        "```",
        "",
        "Registry endpoints take no credentials at all (`http://user:pass@host` is refused): registry",
        "credentials come from the Docker config file or its credential helpers. Messages never show",
        "the user-info of a URL, and `repr(Config)` shows no URL.",
        "",
        "## Keys",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{key}` | {kind} | {default} | {text} |" for key, kind, default, text in reference()
    ]
    lines += [
        "",
        "## Environment",
        "",
        "| variable | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for spec in iter_keys(NotifyEnvModel):
        extra = spec.field.json_schema_extra
        assert isinstance(extra, dict)
        kind = f"{extra['doc_type']}, {range_text(spec.field)}"
        lines.append(f"| `{spec.key}` | {kind} | {extra['doc_default']} | {extra['description']} |")
    return "\n".join(lines) + "\n"


def lock_reference() -> str:
    """The lock file's rules and its JSON Schema, from the file shipped in the package."""
    import json

    from driftwatch.lockschema import shipped_schema

    schema = json.dumps(shipped_schema(), indent=2, sort_keys=True)
    lines = [
        "# Lock file reference",
        "",
        "Generated from the code at build time. `driftwatch lock` writes `driftwatch.lock`: JSON with",
        "sorted keys and entries and no timestamps, so re-locking an unchanged world is byte-identical.",
        "",
        "Reading a lock file (`check`, `lock`) validates it before anything else; a file that breaks a",
        "rule is an error (exit 2) of one line naming the field and the value:",
        "",
        "- `version` is the integer 1 (a newer version asks you to upgrade driftwatch);",
        "- digests are `sha256:` and 64 lower-case hex digits;",
        '- strings are strings (`"version_id": 12` is refused), no unknown fields, no key twice in',
        "  one object, no image or platform locked twice, no NaN or Infinity;",
        "- `uses[].file` is a path inside the repository (relative, no `..`);",
        "- at most 64 MiB and nested at most 32 deep;",
        "- a lock with no images is valid, but `check` warns that it checks nothing.",
        "",
        "The JSON Schema ships inside the package as `driftwatch/lock.schema.json` (for editors and",
        "other tools); it is generated from `driftwatch/lockschema.py` and the tests keep them equal.",
        "",
        "```json",
        schema,
        "```",
    ]
    return "\n".join(lines) + "\n"
