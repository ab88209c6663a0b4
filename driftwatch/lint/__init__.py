"""Offline lint of an Inventory: DW001-DW004, inline and config-level suppression.

Returns report.Finding objects; printing and exit codes are the CLI's job.
"""

from __future__ import annotations

from collections.abc import Iterable

from driftwatch.errors import ConfigError
from driftwatch.lint.rules import CHECKS, RULES, rule
from driftwatch.report.finding import Finding
from driftwatch.sources.inventory import Inventory

__all__ = ["RULES", "lint"]


def lint(inventory: Inventory, disable: Iterable[str] = ()) -> list[Finding]:
    """Every finding of every enabled rule, honouring `# driftwatch: ignore=...` comments."""
    disabled = {rule_id.upper() for rule_id in disable}
    unknown = disabled - set(CHECKS)
    if unknown:
        raise ConfigError(f"unknown lint rule(s) to disable: {', '.join(sorted(unknown))}")
    findings = []
    for use in inventory.uses:
        for rule_id, check in CHECKS.items():
            if rule_id in disabled or rule_id in use.ignore or "*" in use.ignore:
                continue
            message = check(use)
            if message is not None:
                info = rule(rule_id)
                findings.append(
                    Finding(
                        use.file,
                        use.line,
                        use.column,
                        rule_id,
                        info.severity,
                        info.short,
                        message,
                        info.help,
                    )
                )
    return sorted(findings)
