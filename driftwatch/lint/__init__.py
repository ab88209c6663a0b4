"""Offline lint of an Inventory: DW001-DW005, inline and config-level suppression.

Returns report.Finding objects; printing and exit codes are the CLI's job.
"""

from __future__ import annotations

from collections.abc import Iterable

from driftwatch.errors import ConfigError
from driftwatch.lint.eol import DW005, EolCheck
from driftwatch.lint.rules import CHECKS
from driftwatch.lint.rules import RULES as USE_RULES
from driftwatch.models import BaseImageUse, Level
from driftwatch.report.finding import Finding
from driftwatch.sources.inventory import Inventory

__all__ = ["RULES", "EolCheck", "lint"]

RULES = (*USE_RULES, DW005)  # DW005 reads the lock file, not only the use
_BY_ID = {rule.id: rule for rule in RULES}


def lint(
    inventory: Inventory, disable: Iterable[str] = (), *, eol: EolCheck | None = None
) -> list[Finding]:
    """Every finding of every enabled rule, honouring `# driftwatch: ignore=...` comments.

    DW005 runs only with `eol` (a lock file to read the detected OS releases from).
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
        if eol is not None and not _skipped(use, DW005.id, disabled):
            found = eol.check(use)
            if found is not None:
                findings.append(_finding(use, DW005.id, found[1], found[0]))
    return sorted(set(findings))  # a line shared by several users is reported once


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
