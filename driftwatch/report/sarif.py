"""SARIF 2.1.0 for GitHub code scanning and other viewers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from driftwatch.models import Level
from driftwatch.report.finding import Finding, Rule

__all__ = ["SARIF_SCHEMA", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule(rule: Rule) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": Level(rule.severity).sarif},
    }
    if rule.help_uri:
        entry["helpUri"] = rule.help_uri
    return entry


def _rules_for(findings: Sequence[Finding], rules: Sequence[Rule]) -> list[Rule]:
    """The given rules plus a minimal one for any rule id only a finding names."""
    known = {rule.id: rule for rule in rules}
    for f in findings:
        if f.rule_id not in known:
            known[f.rule_id] = Rule(f.rule_id, f.rule_id, f.title, f.title, f.help or f.title)
    return sorted(known.values(), key=lambda rule: rule.id)


def _properties(finding: Finding) -> dict[str, Any]:
    """SARIF property bag with the move class and package diff, when the finding has them."""
    pairs = (("move", finding.move), ("changes", finding.changes))
    bag = {key: value for key, value in pairs if value is not None}
    return {"properties": bag} if bag else {}


def render_sarif(
    findings: Sequence[Finding], rules: Sequence[Rule] = (), version: str = "0"
) -> str:
    """One run of tool `driftwatch` with its rules and one result per finding."""
    all_rules = _rules_for(findings, rules)
    index = {rule.id: i for i, rule in enumerate(all_rules)}
    results = [
        {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": f.severity.sarif,
            "message": {"text": f"{f.message} {f.help}".strip()},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(f.file), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
            **_properties(f),
        }
        for f in findings
    ]
    driver = {
        "name": "driftwatch",
        "version": version,
        "informationUri": "https://github.com/driftwatch/driftwatch",
        "rules": [_rule(rule) for rule in all_rules],
    }
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(log, indent=2) + "\n"
