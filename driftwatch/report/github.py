"""GitHub Actions: workflow-command annotations, the job summary and step outputs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from driftwatch.report.finding import Finding
from driftwatch.report.markdown import render_markdown

__all__ = [
    "append_step_summary",
    "escape_data",
    "escape_property",
    "render_github",
    "write_outputs",
]


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value: as data, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding]) -> str:
    """`::error file=F,line=L,col=C,title=T::message` lines (`::notice` for notes)."""
    lines = []
    for f in findings:
        props = ",".join(
            f"{key}={escape_property(value)}"
            for key, value in (
                ("file", f.file),
                ("line", str(f.line)),
                ("col", str(f.column)),
                ("title", f"{f.rule_id} {f.title}"),
            )
        )
        message = f"{f.message}\n{f.help}" if f.help else f.message
        lines.append(f"::{f.severity.github} {props}::{escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def append_step_summary(findings: Sequence[Finding], path: Path, heading: str) -> None:
    """Append a Markdown section (heading + table) to the $GITHUB_STEP_SUMMARY file."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"### {heading}\n\n{render_markdown(findings)}\n")


def write_outputs(values: Mapping[str, str], path: Path) -> None:
    """Append `name=value` lines to the $GITHUB_OUTPUT file (heredoc form for multi-line values)."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
                handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{name}={value}\n")
