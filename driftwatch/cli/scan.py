"""`driftwatch scan`: the nightly job: resolve everything watched, record it, alert on drift."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from driftwatch import __version__
from driftwatch.cli._common import EXIT_FINDINGS, EXIT_OK, EXIT_REGISTRY, warn
from driftwatch.cli._fleet import (
    deadline_at,
    fleet_options,
    progress_for,
    reported_one_by_one,
    skip_lines,
)
from driftwatch.cli._options import (
    explain_option,
    fail_on_option,
    notify_option,
    os_detect_option,
    parse_platforms,
    platform_option,
)
from driftwatch.cli.images import inventory_options, take_inventory
from driftwatch.errors import InvalidReference
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:
    from driftwatch.config import Config
    from driftwatch.history import HistoryStore
    from driftwatch.models import BaseImageUse, Drift, Observation
    from driftwatch.usecases.fleet import Shard
    from driftwatch.usecases.scan import ScanResult

FORMATS = ("text", "json", "github", "sarif", "markdown")


@click.command("scan")
@inventory_options
@click.option(
    "--image", "images", multiple=True, metavar="REF", help="Also watch REF (repeatable)."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
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
    config, uses = _watched(ctx, paths, build_args, images)
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
    _report(result, fmt, fail_on or config.fail_on)
    for delivery in result.deliveries:
        if not delivery.result.ok:
            reason = delivery.result.error
            warn(f"alert to {delivery.destination.display} failed ({delivery.fate}): {reason}")
    sys.exit(_exit_code(result, fail_on or config.fail_on))


def _watched(
    ctx: click.Context,
    paths: tuple[Path, ...],
    build_args: tuple[str, ...],
    images: tuple[str, ...],
) -> tuple[Config, dict[ImageReference, tuple[BaseImageUse, ...]]]:
    """Uses from the paths (when given, or when nothing else is watched) plus the watch list."""
    from driftwatch.cli._common import config_from
    from driftwatch.usecases.check import group_uses

    config = config_from(ctx)
    watch = [*config.images, *images]
    refs = [_parse_watched(text) for text in watch]
    uses: dict[ImageReference, tuple[BaseImageUse, ...]] = {}
    if paths or not watch:
        config, inventory = take_inventory(ctx, paths, build_args)
        uses = group_uses(inventory.resolvable)
    for ref in refs:
        uses.setdefault(ref, ())
    return config, uses


def _write_report(
    ctx: click.Context,
    store: HistoryStore,
    references: list[ImageReference],
    result: ScanResult,
    path: Path,
) -> None:
    """`--report FILE`: the HTML history of the scanned references, with the lock when present."""
    from driftwatch.cli.report import build, lock_at_root, render, write_text

    lock, _ = lock_at_root(ctx, None)
    model = build(store, references, lock=lock, uses=result.uses, strict=False)
    write_text(path, render(model, "html"))


def _parse_watched(text: str) -> ImageReference:
    try:
        return parse_reference(text)
    except InvalidReference as exc:
        raise InvalidReference(f"watch list: {exc.message}") from None


def _exit_code(result: ScanResult, fail_on: str) -> int:
    if result.failing(fail_on):
        return EXIT_FINDINGS
    return EXIT_REGISTRY if result.failures or result.undetermined() else EXIT_OK


def _report(result: ScanResult, fmt: str, fail_on: str) -> None:
    if fmt == "json":
        click.echo(
            json.dumps(
                [_json_row(result, obs) for obs in result.observations]
                + [
                    {
                        "reference": f.reference.familiar,
                        "canonical": str(f.reference),
                        "error": f.reason,
                    }
                    for f in result.failures
                ],
                indent=2,
            )
        )
    elif fmt == "text":
        click.echo(_text(result), nl=False)
    else:
        from driftwatch.report import render
        from driftwatch.usecases.check import (
            CHECK_RULES,
            drift_findings,
            failure_findings,
            undetermined_findings,
        )

        findings = drift_findings(result.drifts, result.uses, result.pins, fail_on, result.gone)
        findings += undetermined_findings(result.undetermined(), result.uses, allowed=False)
        findings += failure_findings(result.failures, result.uses, allowed=False)
        click.echo(render(findings, fmt, rules=CHECK_RULES, version=__version__), nl=False)


def _text(result: ScanResult) -> str:
    from driftwatch.usecases.explain import short_digest

    lines = []
    for obs in result.observations:
        if obs.missing:
            lines.append(f"{obs.reference.familiar}  (tag not found)")
        for image in obs.platforms:
            platform = str(image.platform) if image.platform else "-"
            os_text = image.os.describe() if image.os else "-"
            lines.append(
                f"{obs.reference.familiar}  {platform}  {short_digest(image.digest)}  {os_text}"
            )
    lines += [
        f"{f.reference.familiar}: error: {f.reason}"
        for f in result.failures
        if reported_one_by_one(f)
    ]
    lines += skip_lines(result.failures)
    lines += [f"drift: {_describe(result, drift)}" for drift in result.all_drifts()]
    unsure = result.undetermined()
    lines += [
        f"{drift.reference.familiar}: error: could not check {drift.platform}: "
        f"its OS release is unknown ({drift.undetermined.reason if drift.undetermined else ''})"
        for drift in unsure
    ]
    drifts = len(result.all_drifts())
    lines.append(
        f"run {result.run_id}: {len(result.observations)} checked, {drifts} change(s), "
        f"{len(result.failures) + len(unsure)} could not be checked"
    )
    return "\n".join(lines) + "\n"


def _describe(result: ScanResult, drift: Drift) -> str:
    from driftwatch.usecases.explain import describe_drift

    pin = result.pins.get(drift.reference)
    return describe_drift(drift, pin=pin, pin_gone=drift.reference in result.gone)


def _json_row(result: ScanResult, obs: Observation) -> dict[str, Any]:
    from driftwatch.cli._history_output import os_json

    return {
        "reference": obs.reference.familiar,
        "canonical": str(obs.reference),
        "digest": obs.digest,
        "media_type": obs.media_type,
        "platforms": [
            {
                "platform": str(image.platform) if image.platform else None,
                "digest": image.digest,
                "os": os_json(image.os),
            }
            for image in obs.platforms
        ],
        "drifts": [
            {
                "kind": drift.kind.value,
                "platform": drift.platform,
                "severity": drift.severity.name.lower(),
                "message": _describe(result, drift),
                **({"undetermined": drift.undetermined.reason} if drift.undetermined else {}),
                **(drift.explanation.to_json() if drift.explanation else {}),
            }
            for drift in result.drifts.get(obs.reference, ())
        ],
        "uses": [
            {"file": use.file, "line": use.line} for use in result.uses.get(obs.reference, ())
        ],
    }
