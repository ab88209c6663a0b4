"""Markdown: one table, for job summaries, merge-request notes and issues."""

from __future__ import annotations

from collections.abc import Sequence

from driftwatch.report.finding import Finding

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    """Text safe inside a table cell: no pipes or line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render_markdown(findings: Sequence[Finding]) -> str:
    """A table of findings, or a one-line all-clear."""
    if not findings:
        return "No findings.\n"
    rows = ["| Severity | Rule | Location | Message | Fix |", "| --- | --- | --- | --- | --- |"]
    for f in findings:
        location = f"`{_cell(f.file)}:{f.line}:{f.column}`"
        rows.append(
            f"| {f.severity.value} | {f.rule_id} | {location} | {_cell(f.message)} "
            f"| {_cell(f.help)} |"
        )
    return "\n".join(rows) + "\n"
