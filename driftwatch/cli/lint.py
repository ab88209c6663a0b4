"""`driftwatch lint`: DW001-DW006 over the inventory, offline (DW005/DW006 read the lock file)."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from driftwatch import __version__
from driftwatch.cli._common import (
    EXIT_FINDINGS,
    emit,
    exit_if_unreadable,
    lock_path,
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
from driftwatch.config import Config
from driftwatch.eol import load_calendar
from driftwatch.errors import ConfigError, DriftwatchError
from driftwatch.lint import RULES, EolCheck, IndexBook
from driftwatch.lint import lint as run_lint
from driftwatch.lockfile import LockFile, read_lock
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
@click.option(
    "--lockfile",
    help="Lock file DW005 reads OS releases from (default: driftwatch.lock at the repository "
    "root; DW005 is skipped when there is none).",
)
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
    lockfile: str | None,
) -> None:
    """Check that every base image has a tag, an OS release, a digest, resolves, and (with a
    lock file) runs an OS release that is not at its end of life."""
    config, inventory = take_inventory(ctx, paths, build_args, platforms=platforms)
    minimum = min_severity or config.lint_min_severity
    if minimum not in SEVERITIES:
        raise ConfigError(f"lint.min_severity must be one of {', '.join(SEVERITIES)}")
    lock = _read_lock(lock_path(lockfile, inventory.root), explicit=lockfile is not None)
    eol = _eol_check(config, lock) if lock is not None else None
    indexes = IndexBook.from_lock(lock.entries.values()) if lock is not None else None
    findings = run_lint(inventory, (*config.lint_disable, *disable), indexes, eol=eol)
    emit(render(findings, fmt, rules=RULES, version=__version__, command="lint"), output)
    write_sarif(sarif, findings, RULES)
    failing = at_or_above(findings, minimum)
    if fmt == "github":
        _github_extras(findings, failing)
    exit_if_unreadable(inventory)  # an input the gate cannot read fails it: exit 2
    if failing:
        sys.exit(EXIT_FINDINGS)  # ctx.exit is swallowed by main() (standalone_mode=False)


def _read_lock(path: Path, *, explicit: bool) -> LockFile | None:
    """The lock file DW005 and DW006 read; None without one. A broken lock named by --lockfile
    is an error; the default one only costs those two rules (`check` reports it)."""
    if not explicit and not path.is_file():
        return None
    try:
        return read_lock(path)
    except DriftwatchError as exc:
        if explicit:
            raise
        warn(f"{path}: not read, DW005 and DW006 skipped: {exc.message}")
        return None


def _eol_check(config: Config, lock: LockFile) -> EolCheck:
    """DW005's inputs: the lock file, the calendar and today (UTC)."""
    return EolCheck(
        lock,
        datetime.now(timezone.utc).date(),
        load_calendar(config.eol_calendar),
        config.eol_warn_days,
    )


def _github_extras(findings: list[Finding], failing: list[Finding]) -> None:
    """Job summary and step outputs, when running inside GitHub Actions."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_step_summary(findings, Path(summary), "driftwatch lint")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        write_outputs({"findings": str(len(findings)), "failing": str(len(failing))}, Path(output))
