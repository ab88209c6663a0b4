"""JSON: a list of finding objects, stable keys, for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from driftwatch.report.finding import Finding

__all__ = ["render_json"]


def render_json(findings: Sequence[Finding]) -> str:
    """`[{"rule_id", "severity", "file", "line", "column", "title", "message", "help"}, ...]`."""
    return json.dumps([asdict(f) for f in findings], indent=2) + "\n"
