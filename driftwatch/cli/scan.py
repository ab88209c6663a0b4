"""`driftwatch scan`: the nightly job: resolve everything watched, record it, alert on drift."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from driftwatch.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_REGISTRY,
    EXIT_USAGE,
    emit,
    take_inventory,
    warn,
    write_sarif,
)
from driftwatch.cli._fleet import deadline_at, fleet_options, progress_for
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
from driftwatch.cli._scan_output import render_scan, scan_findings, scan_rules
from driftwatch.errors import InvalidReference
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:
    from driftwatch.config import Config
    from driftwatch.history import HistoryStore
    from driftwatch.models import BaseImageUse
    from driftwatch.usecases.fleet import Shard
    from driftwatch.usecases.scan import ScanResult

FORMATS = FINDINGS_FORMATS  # the same as check and lint, gitlab code quality included


@click.command("scan")
@inventory_options
@click.option(
    "--image", "images", multiple=True, metavar="REF", help="Also watch REF (repeatable)."
)
@format_option(FORMATS, schema="scan")
@output_option
@sarif_option
@click.option("--db", "db_url", metavar="URL", help="History database URL or SQLite file.")
@click.option(
    "--trigger",
    type=click.Choice(["ci", "cron", "manual"]),
    help="What started this run (default: ci inside CI, else manual).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="After the scan, write the HTML history report of the scanned images here.",
)
@fail_on_option
@platform_option
@os_detect_option
@explain_option
@notify_option
@fleet_options
@click.pass_context
def scan(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    images: tuple[str, ...],
    fmt: str,
    output: str | None,
    sarif: str | None,
    db_url: str | None,
    trigger: str | None,
    report_path: str | None,
    fail_on: str | None,
    platforms: tuple[str, ...],
    os_detect: str | None,
    explain: str | None,
    notify_urls: tuple[str, ...],
    shard: Shard | None,
    deadline: float | None,
    progress: bool | None,
) -> None:
    """Resolve every base image and watched image, record the run, alert on what moved."""
    from driftwatch.cli._history_output import open_store
    from driftwatch.notify import load_destinations
    from driftwatch.notify.outbox import RetryPolicy
    from driftwatch.usecases.online import RunLimits
    from driftwatch.usecases.scan import detect_trigger, run_scan

    started = deadline_at(deadline)
    config, uses, unread = _watched(ctx, paths, build_args, images)
    destinations = load_destinations(config, notify_urls)  # bad URLs: exit 2 before any work
    retry = RetryPolicy.from_env() if destinations else None
    wanted = parse_platforms(platforms or config.platforms)
    references = shard.select(uses) if shard else list(uses)
    uses = {ref: uses[ref] for ref in references}
    bar = progress_for(progress, len(references))
    store = open_store(config, db_url)
    try:
        result = run_scan(
            references,
            uses,
            config,
            store,
            trigger=trigger or detect_trigger(),
            platforms=wanted,
            os_mode=os_detect,
            destinations=destinations,
            retry=retry,
            limits=RunLimits(deadline=started, on_resolved=bar),
            explain=explain,
        )
        if report_path is not None:
            _write_report(ctx, store, references, result, Path(report_path))
    finally:
        store.close()
        if bar is not None:
            bar.close()
    findings = scan_findings(result, fail_on or config.fail_on)
    emit(render_scan(result, findings, fmt), output)
    write_sarif(sarif, findings, scan_rules())
    for delivery in result.deliveries:
        if not delivery.result.ok:
            reason = delivery.result.error
            warn(f"alert to {delivery.destination.display} failed ({delivery.fate}): {reason}")
    sys.exit(_exit_code(result, fail_on or config.fail_on, unread=unread))


def _watched(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    images: tuple[str, ...],
) -> tuple[Config, dict[ImageReference, tuple[BaseImageUse, ...]], int]:
    """Uses from the paths (when given, or when nothing else is watched) plus the watch list,
    and how many files could not be read (their images are not checked: the run fails)."""
    from driftwatch.cli._common import config_from, unreadable

    config = config_from(ctx)
    watch = [*config.images, *images]
    refs = [_parse_watched(text) for text in watch]
    uses: dict[ImageReference, tuple[BaseImageUse, ...]] = {}
    unread = 0
    if paths or not watch:
        from driftwatch.usecases.check import group_uses  # not for a watch list alone

        config, inventory = take_inventory(ctx, paths, build_args)
        uses = group_uses(inventory.resolvable)
        unread = len(unreadable(inventory))
    for ref in refs:
        uses.setdefault(ref, ())
    return config, uses, unread


def _write_report(
    ctx: click.Context,
    store: HistoryStore,
    references: list[ImageReference],
    result: ScanResult,
    path: Path,
) -> None:
    """`--report FILE`: the HTML history of the scanned references, with the lock when present."""
    from driftwatch.cli._common import write_text
    from driftwatch.cli._timeline import build, lock_at_root, render

    lock, _ = lock_at_root(ctx, None)
    model = build(store, references, lock=lock, uses=result.uses, strict=False)
    write_text(path, render(model, "html"))


def _parse_watched(text: str) -> ImageReference:
    try:
        return parse_reference(text)
    except InvalidReference as exc:
        raise InvalidReference(f"watch list: {exc.message}") from None


def _exit_code(result: ScanResult, fail_on: str, *, unread: int = 0) -> int:
    """1 for findings at or above the policy; 2 when a file could not be read (its images were
    not checked); 3 when an image could not be checked; else 0."""
    if unread:
        click.echo(f"driftwatch: error: {unread} file(s) could not be read", err=True)
    if result.failing(fail_on):
        return EXIT_FINDINGS
    if unread:
        return EXIT_USAGE
    return EXIT_REGISTRY if result.failures or result.undetermined() else EXIT_OK
