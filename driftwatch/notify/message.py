"""One alert per run and destination: what moved, where it is used and how to fix it, worst first.

Pure: builds text from Drift values. Markdown for destinations that render it, plain text elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from driftwatch.models import (
    ERROR_ROUTE,
    LIBRARY_ROUTE,
    Drift,
    DriftKind,
    OsRelease,
    PlatformImage,
    Severity,
)
from driftwatch.notify.destinations import Destination
from driftwatch.reference import ImageReference
from driftwatch.usecases.explain import describe_changes, eol_text, pinned_from_line

if TYPE_CHECKING:
    from driftwatch.aliases import Aliases

__all__ = ["ImageUsage", "Message", "compose", "route", "test_message"]

MAX_FAILURES_LISTED = 20
MAX_USAGES_LISTED = 10
_HEADLINES = {
    Severity.RELEASE: "moved to a new OS release",
    Severity.OS: "moved to a new OS point release",
    Severity.DIGEST: "changed",
}
_IMAGE_HEADINGS = {**_HEADLINES, Severity.DIGEST: "new digest"}
_EOL_HEADLINE = "runs an OS release at or near its end of life"


def _headline(drift: Drift, headings: Mapping[Severity, str] = _HEADLINES) -> str:
    """What happened to an image, by its worst drift (end-of-life news has its own words)."""
    return _EOL_HEADLINE if drift.kind is DriftKind.OS_EOL else headings[drift.severity]


@dataclass(frozen=True)
class ImageUsage:
    """Where a reference is used in the repository."""

    file: str
    line: int


@dataclass(frozen=True)
class Message:
    """A composed alert; `markdown` says which body format it was written in."""

    title: str
    body: str
    markdown: bool = False


def route(
    drifts: Sequence[Drift], failures: Sequence[tuple[str, str]], destination: Destination
) -> tuple[list[Drift], list[tuple[str, str]]]:
    """The drifts and registry failures `destination` asked for (by its `on` set)."""
    wanted = [drift for drift in drifts if _wanted(drift, destination)]
    return wanted, list(failures) if destination.wants(ERROR_ROUTE) else []


def _wanted(drift: Drift, destination: Destination) -> bool:
    """By its route (`release`, `os`, `digest`, `eol`), or `library-removed`: a move that took
    a shared library out, whatever its severity, or whose packages could not be read."""
    if destination.wants(drift.route):
        return True
    found = drift.explanation
    return destination.wants(LIBRARY_ROUTE) and found is not None and found.may_remove_library


def test_message(destination: Destination, *, markdown: bool) -> Message:
    """The message `driftwatch notify --test` sends."""
    routes = ", ".join(sorted(destination.on))
    body = f"This is a test from driftwatch. Alerts reach {destination.display} (routes: {routes})."
    return Message("driftwatch test message", body, markdown)


def compose(
    drifts: Sequence[Drift],
    failures: Sequence[tuple[str, str]],
    usages: Mapping[ImageReference, Sequence[ImageUsage]],
    *,
    markdown: bool,
    pinned: Mapping[ImageReference, str] | None = None,
    aliases: Mapping[ImageReference, Aliases] | None = None,
) -> Message | None:
    """One message batching all drifts (worst first) and failures; None when there is no news.

    `pinned` maps a reference to its old top (index) digest when the caller knows it, so the
    suggested FROM line keeps every platform; otherwise the old per-platform digests are used.
    `aliases` (the tags that served the old digest, known only to the run that looked them up)
    let an OS-release fix name a tag that stays on the old release and the exact old tag;
    without them (an event delivered by a later run, a failed lookup) the fix is the digest pin.
    """
    if not drifts and not failures:
        return None
    groups = _group(drifts)
    fmt = _Format(markdown)
    sections = [
        _image_section(fmt, ref, items, usages, (pinned or {}).get(ref), (aliases or {}).get(ref))
        for ref, items in groups
    ]
    if failures:
        sections.append(_failure_section(fmt, failures))
    sections.append("Sent by driftwatch.")
    return Message(_title(groups, len(failures)), "\n\n".join(sections), markdown)


def _group(drifts: Sequence[Drift]) -> list[tuple[ImageReference, list[Drift]]]:
    """Drifts per reference, references worst first then by name, drifts worst first."""
    by_ref: dict[ImageReference, list[Drift]] = defaultdict(list)
    for drift in drifts:
        by_ref[drift.reference].append(drift)
    for items in by_ref.values():
        items.sort(key=lambda d: (-d.severity, d.platform or "", d.kind.value))
    return sorted(by_ref.items(), key=lambda kv: (-kv[1][0].severity, kv[0].familiar))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _title(groups: list[tuple[ImageReference, list[Drift]]], failed: int) -> str:
    """`2 base images moved to a new OS release (+1 more changed); could not check 3 images`."""
    parts = []
    if groups:
        top = _headline(groups[0][1][0])
        worst = sum(1 for _, items in groups if _headline(items[0]) == top)
        parts.append(f"{_plural(worst, 'base image')} {top}")
        if len(groups) > worst:
            parts[0] += f" (+{len(groups) - worst} more changed)"
    if failed:
        parts.append(f"could not check {_plural(failed, 'image')}")
    title = "; ".join(parts)
    return title[0].upper() + title[1:]


class _Format:
    """The few bits of markup that differ between Markdown and plain text."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown

    def heading(self, text: str) -> str:
        """A section heading."""
        return f"### {text}" if self.markdown else f"== {text} =="

    def code(self, text: str) -> str:
        """Text to copy as is (a FROM line, a command)."""
        return f"`{text}`" if self.markdown else text

    def item(self, text: str, level: int = 0) -> str:
        """A list item, nested `level` deep."""
        indent = "    " if self.markdown else "  "  # python-markdown nests at four spaces
        return indent * level + "- " + text

    def lead_in(self, text: str, items: list[str]) -> str:
        """A line introducing a list; Markdown needs a blank line before the list."""
        return (text + ("\n\n" if self.markdown else "\n")) + "\n".join(items)


def _image_section(
    fmt: _Format,
    ref: ImageReference,
    drifts: list[Drift],
    usages: Mapping[ImageReference, Sequence[ImageUsage]],
    pinned: str | None,
    aliases: Aliases | None = None,
) -> str:
    """Heading, one change per platform, where it is used, and the fix."""
    changes = []
    for drift in drifts:
        changes.append(fmt.item(_change_line(drift)))
        digests = _digest_line(fmt, drift)
        if digests:
            changes.append(fmt.item(digests, 1))
        explained = describe_changes(drift.explanation) if drift.explanation else ""
        if explained:
            changes.append(fmt.item(explained, 1))
    found = usages.get(ref) or usages.get(ref.without_digest()) or ()
    fixes = [fmt.item(line) for line in _fix_lines(fmt, ref, drifts, pinned, aliases)]
    return "\n\n".join(
        [
            fmt.heading(f"{ref.familiar}: {_headline(drifts[0], _IMAGE_HEADINGS)}"),
            "\n".join(changes),
            _usage_line(fmt, found),
            fmt.lead_in("To fix:", fixes),
        ]
    )


def _os(image: PlatformImage | None) -> OsRelease | None:
    return image.os if image is not None else None


def _describe(release: OsRelease | None) -> str:
    return release.describe() if release is not None else "unknown OS"


def _change_line(drift: Drift) -> str:
    """What moved on one platform: `linux/amd64: Debian 11 (bullseye) -> Debian 12 (bookworm)`."""
    where = drift.platform or "tag"
    old, new = _os(drift.old), _os(drift.new)
    kind = drift.kind
    if kind is DriftKind.OS_RELEASE:
        return f"{where}: {_describe(old)} -> {_describe(new)}"
    if kind is DriftKind.OS_EOL:
        return f"{where}: {eol_text(drift)}"
    if kind is DriftKind.OS_POINT_RELEASE:
        before = old.point_release if old and old.point_release else "?"
        after = new.point_release if new and new.point_release else "?"
        return f"{where}: {_describe(new)} point release {before} -> {after}"
    text = {
        DriftKind.DIGEST: f"rebuilt, same OS ({_describe(new or old)})",
        DriftKind.PLATFORM_ADDED: f"new platform ({_describe(new)})",
        DriftKind.PLATFORM_REMOVED: "platform removed from the tag",
        DriftKind.TAG_VANISHED: "the tag no longer exists in the registry",
        DriftKind.TAG_REAPPEARED: "the tag exists again",
    }[kind]
    return f"{where}: {text}"


def _short(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}:{hexpart[:12]}"


def _digest_line(fmt: _Format, drift: Drift) -> str | None:
    """`digest sha256:aaaa -> sha256:bbbb` when the drift has digests to show."""
    old = drift.old.digest if drift.old else None
    new = drift.new.digest if drift.new else None
    if old and new and old != new:
        return f"digest {fmt.code(_short(old))} -> {fmt.code(_short(new))}"
    if old or new:
        return f"digest {fmt.code(_short(old or new or ''))}"
    return None


def _usage_line(fmt: _Format, usages: Sequence[ImageUsage]) -> str:
    """`Used in: Dockerfile:1, api/Dockerfile:3` (capped), or a note that no use is recorded."""
    if not usages:
        return "Used in: no file recorded (watched through configuration)"
    ordered = sorted(set(usages), key=lambda u: (u.file, u.line))
    shown = [fmt.code(f"{u.file}:{u.line}") for u in ordered[:MAX_USAGES_LISTED]]
    more = len(ordered) - len(shown)
    return "Used in: " + ", ".join(shown) + (f" and {more} more" if more else "")


def _fix_lines(
    fmt: _Format,
    ref: ImageReference,
    drifts: list[Drift],
    pinned: str | None,
    aliases: Aliases | None = None,
) -> list[str]:
    """How to keep the old build (tags when known, else a pinned FROM line) and how to accept
    the new one."""
    name = ref.without_digest().familiar
    lines = []
    if all(d.kind is DriftKind.OS_EOL for d in drifts):
        return [f"Move to a supported release, then run {fmt.code('driftwatch lock')}"]
    moved = next((d for d in drifts if d.kind is DriftKind.OS_RELEASE), None)
    if moved is not None and aliases is not None and (aliases.stay or aliases.exact):
        lines += _tag_lines(fmt, name, moved, aliases)
    elif pinned:
        lines.append(f"Keep the old build: {fmt.code(f'FROM {name}@{pinned}')}")
    else:
        olds = sorted(
            {(d.platform, d.old.digest) for d in drifts if d.old and d.old.digest},
            key=lambda pair: pair[0] or "",
        )
        if len(olds) == 1:
            lines.append(f"Keep the old build: {fmt.code(f'FROM {name}@{olds[0][1]}')}")
        for platform, digest in olds if len(olds) > 1 else []:
            flag = f"--platform={platform} " if platform else ""
            lines.append(f"Keep the old build: {fmt.code(f'FROM {flag}{name}@{digest}')}")
    lines.append(f"Accept the change: run {fmt.code('driftwatch lock')}")
    return lines


def _tag_lines(fmt: _Format, name: str, moved: Drift, aliases: Aliases) -> list[str]:
    """`Stay on bookworm: FROM python:3.12-slim-bookworm`, and the exact old tag, pinned."""
    from driftwatch.aliases import release_token, retag_written

    lines = []
    if aliases.stay:
        release = release_token(moved.old.os if moved.old else None)
        stay = f"FROM {retag_written(name, aliases.stay)}"
        lines.append(f"Stay on {release or 'the release you had'}: {fmt.code(stay)}")
    exact = retag_written(name, aliases.exact) if aliases.exact else name
    lines.append(f"Keep the old build: {fmt.code(pinned_from_line(exact, aliases.digest))}")
    return lines


def _failure_section(fmt: _Format, failures: Sequence[tuple[str, str]]) -> str:
    """One summary of every reference the registry could not answer for."""
    lines = [fmt.heading(f"Could not check {_plural(len(failures), 'image')}")]
    for ref, reason in sorted(failures)[:MAX_FAILURES_LISTED]:
        lines.append(fmt.item(f"{fmt.code(ref)}: {reason}"))
    if len(failures) > MAX_FAILURES_LISTED:
        lines.append(fmt.item(f"and {len(failures) - MAX_FAILURES_LISTED} more"))
    return "\n".join(lines)
