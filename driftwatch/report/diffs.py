"""`driftwatch diff` output: text for terminals, Markdown for notes (JSON: `ImageDiff.to_json`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftwatch.pkgdiff import PackageDiff, VersionChange

if TYPE_CHECKING:
    from driftwatch.usecases.diffs import ImageDiff, PlatformDiff

__all__ = ["render_diff_markdown", "render_diff_text"]


def _sections(diff: PackageDiff) -> list[tuple[str, list[str]]]:
    """(title, lines) in the order people need: libraries gone first, then packages."""
    return [
        (
            "Libraries no longer in the image",
            [f"{so} ({owner})" if owner else so for so, owner in diff.libraries_gone],
        ),
        ("Removed", [f"{p.name} {p.version}" for p in diff.removed]),
        ("Added", [f"{p.name} {p.version}" for p in diff.added]),
        ("Upgraded", [f"{c.name} {c.old} -> {c.new}" for c in diff.upgraded]),
        ("Downgraded", [f"{c.name} {c.old} -> {c.new}" for c in diff.downgraded]),
        (
            "Changed (versions not comparable)",
            [f"{c.name} {c.old} -> {c.new}" for c in diff.changed],
        ),
    ]


def _moved(change: VersionChange) -> str:
    return f"{change.name} {change.old} -> {change.new}"


def _summary(item: PlatformDiff) -> str:
    found = item.explanation
    if item.old is None:
        return f"new platform ({item.new})"
    if item.new is None:
        return f"platform removed (was {item.old})"
    if item.old == item.new:
        return "unchanged (same digest)"
    if found is None or found.diff is None:
        return f"{found.move}: the same layers" if found else "unknown"
    if found.diff.problem:
        return f"{found.move}: package changes unknown ({found.diff.problem})"
    if found.diff.empty:
        return f"{found.move}: no package changed"
    return f"{found.move} ({found.diff.manager})"


def render_diff_text(result: ImageDiff) -> str:
    """Heading, then per platform its move and the lists (libraries gone first)."""
    lines = [f"{result.reference.familiar}: {result.old} -> {result.new}"]
    for item in result.platforms:
        lines.append(f"{item.platform}: {_summary(item)}")
        found = item.explanation
        if found is None or found.diff is None:
            continue
        for title, rows in _sections(found.diff):
            if rows:
                lines.append(f"  {title} ({len(rows)}):")
                lines += [f"    {row}" for row in rows]
    return "\n".join(lines) + "\n"


def render_diff_markdown(result: ImageDiff) -> str:
    """A section per platform with bulleted lists, for job summaries and issues."""
    out = [f"## `{result.reference.familiar}`", "", f"`{result.old}` -> `{result.new}`", ""]
    for item in result.platforms:
        out += [f"### {item.platform}", "", _summary(item), ""]
        found = item.explanation
        if found is None or found.diff is None:
            continue
        for title, rows in _sections(found.diff):
            if rows:
                out += [f"**{title}** ({len(rows)})", ""] + [f"- `{row}`" for row in rows] + [""]
    return "\n".join(out)
