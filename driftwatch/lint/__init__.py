"""Offline lint of an Inventory: DW001-DW004, DW006 (with the lock file), suppression.

Returns report.Finding objects; printing and exit codes are the CLI's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from driftwatch.errors import ConfigError
from driftwatch.lint.platformpin import IndexBook, platform_pin
from driftwatch.lint.rules import CHECKS, RULES, rule
from driftwatch.models import BaseImageUse
from driftwatch.report.finding import Finding
from driftwatch.sources.inventory import Inventory

__all__ = ["RULES", "IndexBook", "lint"]


def lint(
    inventory: Inventory, disable: Iterable[str] = (), indexes: IndexBook | None = None
) -> list[Finding]:
    """Every finding of every enabled rule, honouring `# driftwatch: ignore=...` comments;
    `indexes` (from the lock file) lets DW006 find platform digests pinned for an index."""
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
                findings.append(_finding(use, rule_id, message))
        if indexes is not None and _enabled("DW006", use, disabled):
            findings += _platform_pin(use, indexes)
    if indexes is not None:
        findings = [_with_locked_alias(f, inventory, indexes) for f in findings]
    return sorted(set(findings))


def _with_locked_alias(finding: Finding, inventory: Inventory, indexes: IndexBook) -> Finding:
    """DW002's fix naming a tag the lock file has at the same digest, when it has one."""
    if finding.rule_id != "DW002":
        return finding
    from driftwatch.aliases import retag_written

    where = (finding.file, finding.line, finding.column)
    use = next((u for u in inventory.uses if (u.file, u.line, u.column) == where), None)
    if use is None or use.reference is None or "$" in use.written:
        return finding
    tags = indexes.release_aliases(use.reference)
    if not tags:
        return finding
    fix = (
        f"driftwatch.lock has `{retag_written(use.written, tags[0])}` at the same digest: "
        f"write that tag (the same image, and it stays on its OS release). {rule('DW002').help}"
    )
    return replace(finding, help=fix)


def _enabled(rule_id: str, use: BaseImageUse, disabled: set[str]) -> bool:
    return rule_id not in disabled and rule_id not in use.ignore and "*" not in use.ignore


def _platform_pin(use: BaseImageUse, indexes: IndexBook) -> list[Finding]:
    """DW006 at `use`, when the lock knows an index listing its pinned digest as a platform."""
    found = platform_pin(use, indexes)
    if found is None:
        return []
    info = rule("DW006")
    message, fix = found
    return [
        Finding(use.file, use.line, use.column, "DW006", info.severity, info.short, message, fix)
    ]  # a line shared by several users is reported once


def _pin_where_set(use: BaseImageUse) -> str:
    """DW003's fix for a reference built from variables: pin the value where it is set."""
    origins = [note for note in use.notes if " = " in note and " from " in note]
    where = f" ({'; '.join(origins)})" if origins else ""
    return (
        "`driftwatch pin --write` rewrites literal references only: append "
        f"`@sha256:<index digest>` to the value where it is set{where}."
    )


def _finding(use: BaseImageUse, rule_id: str, message: str) -> Finding:
    """The finding for one use: the advice the source gave when it has one."""
    info = rule(rule_id)
    severity = info.severity
    if rule_id == "DW004" and use.platform_dependent:
        severity = "warning"  # the file builds; only the platform it is built for is unknown
    help_text = use.advice if rule_id == "DW004" and use.advice else info.help
    if rule_id == "DW003" and "$" in use.written:
        help_text = _pin_where_set(use)
    return Finding(
        use.file, use.line, use.column, rule_id, severity, info.short, message, help_text
    )
