"""`driftwatch check`: compare every base image with driftwatch.lock; fail when the OS moved."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftwatch import __version__
from driftwatch.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_REGISTRY,
    emit,
    lock_path,
    repo_root,
    take_inventory,
    unreadable,
    warn,
    write_sarif,
)
from driftwatch.cli._options import (
    FINDINGS_FORMATS,
    explain_option,
    fail_on_option,
    format_option,
    inventory_options,
    notify_option,
    os_detect_option,
    output_option,
    parse_platforms,
    platform_option,
    sarif_option,
)
from driftwatch.lockfile import DEFAULT_LOCKFILE, read_lock
from driftwatch.report import render

if TYPE_CHECKING:  # typing only: keeps `driftwatch --help` light
    from driftwatch.aliases import Aliases
    from driftwatch.config import Config
    from driftwatch.notify import Destination
    from driftwatch.reference import ImageReference
    from driftwatch.report import Finding
    from driftwatch.usecases.check import CheckReport


@click.command("check")
@inventory_options
@click.option("--lockfile", help="Lock file (default: driftwatch.lock at the repository root).")
@fail_on_option
@format_option(FINDINGS_FORMATS, schema="findings")
@output_option
@sarif_option
@click.option(
    "--allow-unreachable",
    is_flag=True,
    help="Pass what could not be checked (unreachable registry, OS unknown), with a warning.",
)
@platform_option
@os_detect_option
@explain_option
@notify_option
@click.pass_context
def check(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    lockfile: str | None,
    fail_on: str | None,
    fmt: str,
    output: str | None,
    sarif: str | None,
    allow_unreachable: bool,
    platforms: tuple[str, ...],
    os_detect: str | None,
    explain: str | None,
    notify_urls: tuple[str, ...],
) -> None:
    """Exit 1 when a locked base image moved (by default: to another OS release)."""
    from driftwatch.eol import load_calendar
    from driftwatch.lint.eol import EolCheck
    from driftwatch.usecases.changes import explain_drifts
    from driftwatch.usecases.check import (
        CHECK_RULES,
        check_findings,
        compare_with_lock,
        group_uses,
        locked_digests,
        locked_indexes,
        locked_os,
        locked_platforms,
        problem_findings,
    )
    from driftwatch.usecases.online import OsOptions, RunLimits, gone_digests, observe_online

    config, inventory = take_inventory(ctx, paths, build_args, root=repo_root, platforms=platforms)
    lock = read_lock(lock_path(lockfile, inventory.root))  # exit 2 before any network
    calendar = load_calendar(config.eol_calendar)
    for message in lock.warnings:
        warn(message)
    policy = fail_on or config.fail_on
    destinations = _destinations(config, notify_urls)
    uses = group_uses(inventory.resolvable)
    locked = [reference for reference in uses if lock.get(reference) is not None]
    wanted = parse_platforms(platforms or config.platforms)
    results = observe_online(
        locked,
        config,
        strict=True,
        platforms=wanted,
        os_options=OsOptions.from_config(config, os_detect, known=locked_os(lock).get),
        known_platforms=locked_platforms(lock),
        limits=RunLimits(baseline=locked_digests(lock), known_indexes=locked_indexes(lock)),
    )
    report = compare_with_lock(lock, uses, results, wanted)
    pins = {ref: entry.digest for ref, entry in report.locked.items() if report.drifts.get(ref)}
    report = replace(report, gone=gone_digests(config, pins))
    report = replace(report, drifts=explain_drifts(report.drifts, config, mode=explain))
    shown = lockfile or DEFAULT_LOCKFILE
    eol = EolCheck(lock, datetime.now(timezone.utc).date(), calendar, config.eol_warn_days)
    findings = check_findings(
        report,
        fail_on=policy,
        allow_unreachable=allow_unreachable,
        lockfile=shown,
        aliases=_aliases(config, report, pins),
        eol=eol,
    )
    unread = unreadable(inventory)
    findings = problem_findings(unread) + findings
    emit(render(findings, fmt, rules=CHECK_RULES, version=__version__, command="check"), output)
    write_sarif(sarif, findings, CHECK_RULES)
    _github_extras(report, findings, policy, summary=fmt == "github")
    if destinations:
        _alert(destinations, report)
    sys.exit(_exit_code(report, policy, allow_unreachable, unread=bool(unread)))


def _aliases(
    config: Config, report: CheckReport, pins: dict[ImageReference, str]
) -> dict[ImageReference, Aliases]:
    """The tags that served what each OS-moved reference had (advice for the fix, bounded)."""
    from driftwatch.usecases.aliases import aliases_online, os_move_queries

    queries = os_move_queries(report.drifts, pins, report.gone)
    answers = aliases_online(config, queries)
    return {query.reference: answers[query] for query in queries}


def _exit_code(
    report: CheckReport, policy: str, allow_unreachable: bool, *, unread: bool = False
) -> int:
    """1 for drift at or above the policy or a file that could not be read; else 3 when
    something could not be checked (unreachable, or moved to an image of unknown OS)."""
    if report.failing(policy) or unread:
        return EXIT_FINDINGS
    if report.could_not_check() and not allow_unreachable:
        return EXIT_REGISTRY
    return EXIT_OK


def _github_extras(
    report: CheckReport, findings: list[Finding], policy: str, *, summary: bool
) -> None:
    """Inside GitHub Actions: step outputs (any format) and, for `github`, the job summary."""
    from driftwatch.report.github import append_step_summary, write_outputs

    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and summary_file:
        append_step_summary(findings, Path(summary_file), "driftwatch check")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        drift = "true" if report.failing(policy) else "false"
        write_outputs({"drift": drift, "changed": str(report.changed_images)}, Path(output))


def _destinations(config: Config, urls: tuple[str, ...]) -> list[Destination]:
    """Alert destinations from config, DRIFTWATCH_NOTIFY and --notify (checked before any work)."""
    if not urls and not config.notify and not os.environ.get("DRIFTWATCH_NOTIFY"):
        return []
    from driftwatch.notify import load_destinations

    return list(load_destinations(config, urls))


def _alert(destinations: list[Destination], report: CheckReport) -> None:
    """One message per destination for this check's drifts and failures (no outbox: no history)."""
    from driftwatch.notify import ImageUsage, deliver, plan

    usages = {
        reference: [ImageUsage(use.file, use.line) for use in items]
        for reference, items in report.uses.items()
    }
    pinned = {reference: entry.digest for reference, entry in report.locked.items()}
    failures = [(failure.reference.familiar, failure.reason) for failure in report.failures]
    failures += [
        (
            drift.reference.familiar,
            f"{drift.platform}: OS release unknown: {drift.undetermined.reason}",
        )
        for drift in report.undetermined()
        if drift.undetermined is not None
    ]
    for destination, message in plan(destinations, report.all_drifts(), failures, usages, pinned):
        result = deliver(destination, message)
        if not result.ok:
            warn(f"alert to {destination.display} failed: {result.error}")
