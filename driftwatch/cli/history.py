"""`driftwatch history REF`: each digest a reference pointed to, per platform, and the drifts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from driftwatch.cli._common import config_from, emit
from driftwatch.cli._history_output import (
    FORMATS,
    csv_text,
    entry_json,
    json_text,
    open_store,
    short,
    table_text,
    when,
)
from driftwatch.cli._options import format_option, output_option, parse_platforms
from driftwatch.models import Platform
from driftwatch.oci.platforms import platform_matches
from driftwatch.reference import parse_reference

CSV_HEADER = (
    "platform",
    "digest",
    "index_digest",
    "os_id",
    "os_version_id",
    "os_codename",
    "os_point_release",
    "first_seen",
    "last_seen",
    "events",
)

if TYPE_CHECKING:
    from driftwatch.history import TimelineEntry


@click.command("history")
@click.argument("reference")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="OS/ARCH[/VARIANT]",
    help="Only these platforms (repeatable; no variant: any variant; default: every platform).",
)
@format_option(FORMATS, default="table")
@output_option
@click.option("--db", "db_url", metavar="URL", help="Database URL or SQLite file.")
@click.pass_context
def history(
    ctx: click.Context,
    reference: str,
    platforms: tuple[str, ...],
    fmt: str,
    output: str | None,
    db_url: str | None,
) -> None:
    """Show the timeline of REFERENCE: digests, first/last seen, OS release, drift events."""
    ref = parse_reference(reference)
    wanted = parse_platforms(platforms)
    store = open_store(config_from(ctx), db_url)
    entries = [entry for entry in store.timeline(ref) if _shown(entry, wanted)]
    if fmt == "json":
        text = json_text({"reference": str(ref), "entries": [entry_json(e) for e in entries]})
    elif fmt == "csv":
        text = csv_text(CSV_HEADER, [_csv_row(e) for e in entries])
    elif not entries:
        text = f"no history for {ref}\n"
    else:
        header = ("PLATFORM", "DIGEST", "OS", "FIRST SEEN", "LAST SEEN", "EVENTS")
        text = table_text(header, [_table_row(e) for e in entries])
    emit(text, output)


def _shown(entry: TimelineEntry, wanted: Sequence[Platform]) -> bool:
    """Entries of the platforms asked for (matched as check and scan match them: arm64 is
    arm64/v8), and the whole-tag entries (a vanished tag) that concern every platform."""
    if not wanted or entry.platform is None:
        return True
    try:
        actual = Platform.parse(entry.platform)
    except ValueError:  # a key that names no platform matches no filter
        return False
    return any(platform_matches(want, actual) for want in wanted)


def _kinds(entry: TimelineEntry) -> str:
    return ";".join(event.drift.kind.value for event in entry.events)


def _csv_row(entry: TimelineEntry) -> list[str | None]:
    os = entry.os
    return [
        entry.platform,
        entry.digest,
        entry.index_digest,
        os.id if os else None,
        os.version_id if os else None,
        os.codename if os else None,
        os.point_release if os else None,
        when(entry.first_seen),
        when(entry.last_seen),
        _kinds(entry),
    ]


def _table_row(entry: TimelineEntry) -> list[str | None]:
    digest = (
        short(entry.digest)
        if entry.digest
        else ("(tag missing)" if entry.platform is None else "(gone)")
    )
    return [
        entry.platform or "*",
        digest,
        entry.os.describe() if entry.os else None,
        when(entry.first_seen),
        when(entry.last_seen),
        _kinds(entry) or None,
    ]
