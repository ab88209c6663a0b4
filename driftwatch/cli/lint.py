"""`driftwatch lint`: DW001-DW004 (DW006 with the lock file) over the inventory, offline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from driftwatch import __version__
from driftwatch.cli._common import (
    EXIT_FINDINGS,
    emit,
    exit_if_unreadable,
    repo_root,
    take_inventory,
    warn,
    write_sarif,
)
from driftwatch.cli._options import (
    FINDINGS_FORMATS,
    format_option,
    inventory_options,
    output_option,
    platform_option,
    sarif_option,
)
from driftwatch.errors import ConfigError
from driftwatch.lint import RULES, IndexBook
from driftwatch.lint import lint as run_lint
from driftwatch.report import SEVERITIES, at_or_above, render
from driftwatch.report.finding import Finding
from driftwatch.report.github import append_step_summary, write_outputs


@click.command("lint")
@inventory_options
@platform_option
@format_option(FINDINGS_FORMATS, schema="findings")
@output_option
@sarif_option
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Exit 1 when findings at or above this remain (default: config, else warning).",
)
@click.option("--disable", multiple=True, metavar="RULE", help="Skip a rule (repeatable).")
@click.pass_context
def lint(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    platforms: tuple[str, ...],
    fmt: str,
    output: str | None,
    sarif: str | None,
    min_severity: str | None,
    disable: tuple[str, ...],
) -> None:
    """Check that every base image has a tag, an OS release, a digest and resolves."""
    config, inventory = take_inventory(ctx, paths, build_args, platforms=platforms)
    minimum = min_severity or config.lint_min_severity
    if minimum not in SEVERITIES:
        raise ConfigError(f"lint.min_severity must be one of {', '.join(SEVERITIES)}")
    indexes = _locked_indexes(repo_root(config))
    findings = run_lint(inventory, (*config.lint_disable, *disable), indexes)
    emit(render(findings, fmt, rules=RULES, version=__version__, command="lint"), output)
    write_sarif(sarif, findings, RULES)
    failing = at_or_above(findings, minimum)
    if fmt == "github":
        _github_extras(findings, failing)
    exit_if_unreadable(inventory)  # an input the gate cannot read fails it: exit 2
    if failing:
        sys.exit(EXIT_FINDINGS)  # ctx.exit is swallowed by main() (standalone_mode=False)


def _locked_indexes(root: Path) -> IndexBook | None:
    """The indexes driftwatch.lock knows (for DW006), or None without a readable lock file."""
    from driftwatch.errors import DriftwatchError
    from driftwatch.lockfile import DEFAULT_LOCKFILE, read_lock

    path = root / DEFAULT_LOCKFILE
    if not path.is_file():
        return None
    try:
        lock = read_lock(path)
    except DriftwatchError as exc:  # `check` reports a broken lock; lint only loses DW006
        warn(f"{path}: not read, DW006 skipped: {exc.message}")
        return None
    return IndexBook.from_lock(lock.entries.values())


def _github_extras(findings: list[Finding], failing: list[Finding]) -> None:
    """Job summary and step outputs, when running inside GitHub Actions."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_step_summary(findings, Path(summary), "driftwatch lint")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        write_outputs({"findings": str(len(findings)), "failing": str(len(failing))}, Path(output))
