"""The shared findings model: one Finding per problem at a place, and the Rule it breaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "Finding", "Rule", "at_or_above"]

SEVERITIES = ("note", "warning", "error")  # lowest first


@dataclass(frozen=True)
class Rule:
    """A rule's documentation, for formats that describe rules (SARIF)."""

    id: str
    name: str
    short: str
    full: str
    help: str
    help_uri: str | None = None
    severity: str = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: any command (lint, check, ...) can produce these."""

    file: str  # repo-relative, forward slashes
    line: int  # 1-based
    column: int  # 1-based
    rule_id: str
    severity: str  # "error" | "warning" | "note"
    title: str
    message: str
    help: str = ""
    # issue 17: the move class and the package diff (JSON), for formats that carry data
    move: str | None = field(default=None, compare=False)
    changes: Mapping[str, Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")


def at_or_above(findings: list[Finding], minimum: str) -> list[Finding]:
    """The findings whose severity is `minimum` or more serious."""
    floor = SEVERITIES.index(minimum)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]
