"""GitLab Code Quality report (a JSON array the merge-request widget reads)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from driftwatch.report.finding import Finding

__all__ = ["render_gitlab"]


def fingerprint(finding: Finding) -> str:
    """A stable id for a finding: same rule, file, line and message give the same value."""
    key = "\0".join((finding.rule_id, finding.file, str(finding.line), finding.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def render_gitlab(findings: Sequence[Finding]) -> str:
    """`[{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}]`."""
    issues = [
        {
            "type": "issue",
            "description": f"{f.message} {f.help}".strip(),
            "check_name": f.rule_id,
            "fingerprint": fingerprint(f),
            "severity": f.severity.gitlab,
            "categories": ["Security"],
            "location": {"path": f.file, "lines": {"begin": f.line}},
        }
        for f in findings
    ]
    return json.dumps(issues, indent=2) + "\n"
