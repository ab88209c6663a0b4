"""JSON: one envelope for every command that reports findings (check, lint, scan), for scripts.

`{"tool": "driftwatch", "version", "command", "findings": [...]}`, described by
driftwatch/schemas/findings.schema.json; scan adds `run` and `images` (scan.schema.json).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from driftwatch.report.finding import Finding

__all__ = ["finding_json", "findings_document", "render_json"]


_OPTIONAL = ("move", "changes")  # present only on findings that have them


def finding_json(finding: Finding) -> dict[str, Any]:
    """`{"file", "line", "column", "rule_id", "severity", "title", "message", "help"}`, plus
    `move` and `changes` (the package diff) on drifts that were explained."""
    data = asdict(finding)
    for key in _OPTIONAL:
        if data[key] is None:
            del data[key]
    return data


def findings_document(
    findings: Sequence[Finding], *, version: str, command: str = ""
) -> dict[str, Any]:
    """The envelope as a dict, for a command that adds its own keys (scan: run, images)."""
    document: dict[str, Any] = {"tool": "driftwatch", "version": version}
    if command:
        document["command"] = command
    document["findings"] = [finding_json(f) for f in findings]
    return document


def render_json(findings: Sequence[Finding], *, version: str = "0", command: str = "") -> str:
    """The envelope, indented, keys in the documented order."""
    return dumps(findings_document(findings, version=version, command=command))


def dumps(document: Any) -> str:
    """Every JSON output of driftwatch: indented by 2, newline-terminated."""
    return json.dumps(document, indent=2) + "\n"
