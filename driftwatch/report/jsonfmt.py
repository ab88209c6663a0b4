"""JSON: a list of finding objects, stable keys, for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from driftwatch.report.finding import Finding

__all__ = ["render_json"]


_OPTIONAL = ("move", "changes")  # present only on findings that have them


def render_json(findings: Sequence[Finding]) -> str:
    """`[{"rule_id", "severity", "file", "line", "column", "title", "message", "help"}, ...]`,
    plus `move` and `changes` (the package diff) on drifts that were explained."""
    return json.dumps([_object(f) for f in findings], indent=2) + "\n"


def _object(finding: Finding) -> dict[str, object]:
    data = asdict(finding)
    for key in _OPTIONAL:
        if data[key] is None:
            del data[key]
    return data
