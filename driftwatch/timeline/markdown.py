"""The report's overview as a Markdown table, for a pull-request comment or a job summary."""

from __future__ import annotations

from driftwatch.timeline.model import ReferenceReport, Report
from driftwatch.timeline.words import (
    eol_words,
    last_move_words,
    lock_words,
    moves_words,
    now_on,
)

__all__ = ["render_markdown"]

_FLAGS = {"bad": "⛔ ", "soon": "⚠️ "}


def render_markdown(report: Report) -> str:
    """A heading, one line about the period and one table row per reference."""
    count = len(report.references)
    lines = [
        "## driftwatch: base image history",
        "",
        f"{count} reference{'s' if count != 1 else ''}, {report.start:%Y-%m-%d} to "
        f"{report.end:%Y-%m-%d}, generated {report.generated_at:%Y-%m-%d %H:%M} UTC.",
        "",
    ]
    if not report.references:
        return "\n".join([*lines, "Nothing recorded yet: run `driftwatch scan`.", ""])
    locked = report.lockfile is not None
    head = ["reference", "now on", "last move", "end of life", "moves in period"]
    head += ["lock"] if locked else []
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + " --- |" * len(head))
    lines += [_row(ref, report, locked) for ref in report.references]
    return "\n".join(lines) + "\n"


def _row(ref: ReferenceReport, report: Report, locked: bool) -> str:
    now = "<br>".join(
        f"{release.label if release else 'not served'} ({', '.join(platforms)})"
        for release, platforms in now_on(ref)
    )
    eol, level = eol_words(ref.eol, report.generated_at.date())
    cells = [
        f"`{ref.name}`",
        now or "-",
        last_move_words(ref),
        _FLAGS.get(level, "") + eol,
        moves_words(ref),
    ]
    if locked:
        cells.append(lock_words(ref.lock) or "-")
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(text: str) -> str:
    """A table cell: pipes escaped, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")
