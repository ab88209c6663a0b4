"""Plain text for terminals: `file:line:col: severity RULE: message`, then the fix."""

from __future__ import annotations

from collections.abc import Sequence

from driftwatch.report.finding import SEVERITIES, Finding

__all__ = ["render_text"]


def render_text(findings: Sequence[Finding]) -> str:
    """One block per finding and a count at the end."""
    lines = []
    for f in findings:
        lines.append(f"{f.file}:{f.line}:{f.column}: {f.severity.value} {f.rule_id}: {f.message}")
        if f.help:
            lines.append(f"    fix: {f.help}")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in reversed(SEVERITIES)}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    lines.append(
        f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
        + (f" ({summary})" if summary else "")
    )
    return "\n".join(lines) + "\n"
