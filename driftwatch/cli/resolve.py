"""`driftwatch resolve`: print the digest each reference points to now (index and per platform)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from driftwatch.cli._common import EXIT_OK, EXIT_REGISTRY, config_from, emit
from driftwatch.cli._options import (
    LIST_FORMATS,
    format_option,
    os_detect_option,
    output_option,
    parse_platforms,
    platform_option,
)
from driftwatch.errors import InputError, UsageError
from driftwatch.models import (
    OsRelease,
    OsSource,
    Platform,
    PlatformImage,
    Resolution,
    ResolveFailure,
)
from driftwatch.reference import ImageReference, parse_reference

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases
    from driftwatch.config import Config

Result = Resolution | ResolveFailure


@click.command()
@click.argument("references", nargs=-1)
@click.option(
    "--from-file",
    "from_file",
    metavar="FILE",
    help="Read references from FILE (one per line, # comments), '-' for stdin.",
)
@platform_option
@click.option("--os", "with_os", is_flag=True, help="Also find the OS release of each platform.")
@os_detect_option
@click.option(
    "--aliases",
    "with_aliases",
    is_flag=True,
    help="Also list the tags of the same line serving the same digest (HEADs, bounded).",
)
@format_option(LIST_FORMATS, schema="resolve")
@output_option
@click.pass_context
def resolve(
    ctx: click.Context,
    references: tuple[str, ...],
    from_file: str | None,
    platforms: tuple[str, ...],
    with_os: bool,
    os_detect: str | None,
    with_aliases: bool,
    fmt: str,
    output: str | None,
) -> None:
    """Resolve image REFERENCES to the digests their registries serve now."""
    written = list(references) + (_read_list(from_file) if from_file else [])
    if not written:
        raise UsageError("no image references given (arguments or --from-file)")
    refs = [parse_reference(text) for text in written]  # exit 2 before any network
    config = config_from(ctx)
    wanted = parse_platforms(platforms or config.platforms)
    results = _run(config, refs, wanted, with_os or bool(os_detect), os_detect)
    found = _aliases(config, results) if with_aliases else {}
    if fmt == "json":
        from driftwatch.report.jsonfmt import dumps

        rows = [_json_row(t, r, found) for t, r in zip(written, results, strict=True)]
        emit(dumps(rows), output)
    else:
        emit(_text(written, results, found), output)
    failures = [r.exit_code for r in results if isinstance(r, ResolveFailure)]
    if _report_os_errors(written, results):
        failures.append(EXIT_REGISTRY)  # a layer that cannot be read or believed
    # sys.exit, not ctx.exit: the group runs with standalone_mode=False, which swallows Exit codes.
    sys.exit(max(failures) if failures else EXIT_OK)


def _read_list(source: str) -> list[str]:
    """References from a file or stdin: one per line, blank lines and `#` comments skipped."""
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise InputError(f"cannot read reference list {source}: {reason}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _run(
    config: Config,
    refs: list[ImageReference],
    platforms: list[Platform],
    with_os: bool,
    os_detect: str | None,
) -> list[Result]:
    """Resolve everything in one event loop (the registry client is imported only there)."""
    from driftwatch.usecases.online import OsOptions, resolve_online

    options = OsOptions.from_config(config, os_detect) if with_os else None
    return resolve_online(refs, config, strict=False, platforms=platforms, os_options=options)


def _aliases(config: Config, results: Sequence[Result]) -> dict[ImageReference, Aliases]:
    """The tags serving each resolved tag's digest (advice: a failed lookup only says so)."""
    from driftwatch.usecases.aliases import AliasQuery, aliases_online

    queries = [
        AliasQuery(r.reference, r.digest)
        for r in results
        if isinstance(r, Resolution) and (r.reference.tag or not r.reference.digest)
    ]
    answers = aliases_online(config, queries)
    return {query.reference: answers[query] for query in queries}


def _text(
    written: Sequence[str],
    results: Sequence[Result],
    found: Mapping[ImageReference, Aliases] | None = None,
) -> str:
    """`REF  DIGEST [OS...]` per resolved reference (and its aliases); failures go to stderr."""
    lines = []
    for text, result in zip(written, results, strict=True):
        if isinstance(result, ResolveFailure):
            click.echo(f"{text}: error: {result.reason}", err=True)
            continue
        lines.append(f"{text}  {result.digest}{_os_text(result)}\n")
        aliases = (found or {}).get(result.reference)
        if aliases is not None:
            lines.append(f"  same digest: {' '.join(aliases.tags) or '(no other tag found)'}\n")
            if aliases.incomplete:
                click.echo(f"{text}: warning: {aliases.incomplete}", err=True)
    return "".join(lines)


def _report_os_errors(written: Sequence[str], results: Sequence[Result]) -> bool:
    """One stderr line per platform whose OS detection failed (corrupt layer, ...); any?"""
    found = False
    for text, result in zip(written, results, strict=True):
        if isinstance(result, ResolveFailure):
            continue
        for image in result.platforms:
            if image.os is not None and image.os.source == OsSource.ERROR:
                where = f"{image.platform}: " if image.platform else ""
                click.echo(f"{text}: error: {where}{image.os.undetermined}", err=True)
                found = True
    return found


def _json_row(
    text: str, result: Result, found: Mapping[ImageReference, Aliases] | None = None
) -> dict[str, Any]:
    if isinstance(result, ResolveFailure):
        return {"reference": text, "canonical": str(result.reference), "error": result.reason}
    row: dict[str, Any] = {
        "reference": text,
        "canonical": str(result.reference),
        "digest": result.digest,
        "media_type": result.media_type,
        "platforms": [_platform_row(image) for image in result.platforms],
    }
    if result.ratelimit_remaining is not None:
        row["ratelimit_remaining"] = result.ratelimit_remaining
    aliases = (found or {}).get(result.reference)
    if aliases is not None:
        row["aliases"] = {
            "tags": list(aliases.tags),
            "stay": aliases.stay,
            "exact": aliases.exact,
            "incomplete": aliases.incomplete,
        }
    return row


def _platform_row(image: PlatformImage) -> dict[str, Any]:
    row: dict[str, Any] = {
        "platform": str(image.platform) if image.platform else None,
        "digest": image.digest,
    }
    if image.os is not None:
        row["os"] = _os_json(image.os)
    return row


def _os_json(release: OsRelease) -> dict[str, Any]:
    fields = ("id", "version_id", "codename", "point_release", "source")
    row = {name: getattr(release, name) for name in fields}
    if release.undetermined:
        row["undetermined"] = release.undetermined
    if release.disagreement:
        row["disagreement"] = release.disagreement
    return row


def _os_text(result: Resolution) -> str:
    """`  linux/amd64=bookworm linux/arm64/v8=bookworm` when OS releases were asked for."""
    parts = [
        f"{image.platform or 'image'}={_os_word(image.os)}"
        for image in result.platforms
        if image.os is not None
    ]
    return "  " + " ".join(parts) if parts else ""


def _os_word(release: OsRelease) -> str:
    if release.source == OsSource.ERROR:
        return "error"
    if not release.known:
        return f"undetermined ({release.undetermined})" if release.undetermined else "unknown"
    return release.codename or f"{release.id}-{release.version_id or 'unknown'}"
