"""Findings and their output formats; independent of which command produced the findings.

`render(findings, "sarif", rules=RULES)` gives the whole document as a string; writing it
(stdout, $GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT) is the CLI's job, helped by report.github.
"""

from __future__ import annotations

from collections.abc import Sequence

from driftwatch.report.finding import SEVERITIES, Finding, Rule, at_or_above
from driftwatch.report.github import render_github
from driftwatch.report.gitlab import render_gitlab
from driftwatch.report.jsonfmt import render_json
from driftwatch.report.markdown import render_markdown
from driftwatch.report.sarif import render_sarif
from driftwatch.report.text import render_text

__all__ = ["FORMATS", "SEVERITIES", "Finding", "Rule", "at_or_above", "render"]

FORMATS = ("text", "json", "github", "sarif", "markdown", "gitlab")


def render(
    findings: Sequence[Finding],
    format: str,
    *,
    rules: Sequence[Rule] = (),
    version: str = "0",
    command: str = "",
) -> str:
    """The findings in `format` (one of FORMATS); ValueError for an unknown format.

    `command` names the producing command in the JSON envelope.
    """
    ordered = sorted(findings)
    if format == "sarif":
        return render_sarif(ordered, rules, version)
    if format == "json":
        return render_json(ordered, version=version, command=command)
    renderers = {
        "text": render_text,
        "github": render_github,
        "markdown": render_markdown,
        "gitlab": render_gitlab,
    }
    if format not in renderers:
        raise ValueError(f"unknown format {format!r} (known: {', '.join(FORMATS)})")
    return renderers[format](ordered)
