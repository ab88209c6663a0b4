"""Offline lint of an Inventory: DW001-DW006 (DW005 and DW006 with the lock file), suppression.

Returns report.Finding objects; printing and exit codes are the CLI's job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from driftwatch.errors import ConfigError
from driftwatch.lint.eol import DW005, EolCheck
from driftwatch.lint.platformpin import IndexBook, platform_pin
from driftwatch.lint.rules import CHECKS, rule
from driftwatch.lint.rules import RULES as USE_RULES
from driftwatch.models import BaseImageUse, Level
from driftwatch.report.finding import Finding
from driftwatch.sources.inventory import Inventory

__all__ = ["RULES", "EolCheck", "IndexBook", "lint"]

RULES = tuple(sorted((*USE_RULES, DW005), key=lambda r: r.id))  # DW005 reads the lock file
_BY_ID = {rule.id: rule for rule in RULES}


def lint(
    inventory: Inventory,
    disable: Iterable[str] = (),
    indexes: IndexBook | None = None,
    *,
    eol: EolCheck | None = None,
) -> list[Finding]:
    """Every finding of every enabled rule, honouring `# driftwatch: ignore=...` comments.

    With the lock file: `indexes` lets DW006 find platform digests pinned for an index, and
    `eol` lets DW005 read the detected OS releases.
    """
    disabled = {rule_id.upper() for rule_id in disable}
    unknown = disabled - set(_BY_ID)
    if unknown:
        raise ConfigError(f"unknown lint rule(s) to disable: {', '.join(sorted(unknown))}")
    findings = []
    for use in inventory.uses:
        for rule_id, check in CHECKS.items():
            if _skipped(use, rule_id, disabled):
                continue
            message = check(use)
            if message is not None:
                findings.append(_finding(use, rule_id, message))
        if indexes is not None and not _skipped(use, "DW006", disabled):
            findings += _platform_pin(use, indexes)
        if eol is not None and not _skipped(use, DW005.id, disabled):
            found = eol.check(use)
            if found is not None:
                findings.append(_finding(use, DW005.id, found[1], found[0]))
    if indexes is not None:
        findings = [_with_locked_alias(f, inventory, indexes) for f in findings]
    return sorted(set(findings))  # a line shared by several users is reported once


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


def _platform_pin(use: BaseImageUse, indexes: IndexBook) -> list[Finding]:
    """DW006 at `use`, when the lock knows an index listing its pinned digest as a platform."""
    found = platform_pin(use, indexes)
    if found is None:
        return []
    info = rule("DW006")
    message, fix = found
    level = Level(info.severity)
    return [Finding(use.file, use.line, use.column, "DW006", level, info.short, message, fix)]


def _skipped(use: BaseImageUse, rule_id: str, disabled: set[str]) -> bool:
    """True when the config, the command line or an inline comment switches the rule off."""
    return rule_id in disabled or rule_id in use.ignore or "*" in use.ignore


def _pin_where_set(use: BaseImageUse) -> str:
    """DW003's fix for a reference built from variables: pin the value where it is set."""
    origins = [note for note in use.notes if " = " in note and " from " in note]
    where = f" ({'; '.join(origins)})" if origins else ""
    return (
        "`driftwatch pin --write` rewrites literal references only: append "
        f"`@sha256:<index digest>` to the value where it is set{where}."
    )


def _finding(use: BaseImageUse, rule_id: str, message: str, level: Level | None = None) -> Finding:
    """The finding for one use: the advice the source gave when it has one."""
    info = _BY_ID[rule_id]
    severity = level or Level(info.severity)
    if rule_id == "DW004" and use.platform_dependent:
        severity = Level.WARNING  # the file builds; only the platform it is built for is unknown
    help_text = use.advice if rule_id == "DW004" and use.advice else info.help
    if rule_id == "DW003" and "$" in use.written:
        help_text = _pin_where_set(use)
    return Finding(
        use.file, use.line, use.column, rule_id, severity, info.short, message, help_text
    )
