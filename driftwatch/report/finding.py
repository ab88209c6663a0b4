"""The shared findings model: one Finding per problem at a place, and the Rule it breaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftwatch.models import LEVELS, Level

__all__ = ["SEVERITIES", "Finding", "Rule", "at_or_above"]

SEVERITIES = LEVELS  # "note", "warning", "error": lowest first (models.Level)


@dataclass(frozen=True)
class Rule:
    """A rule's documentation, for formats that describe rules (SARIF)."""

    id: str
    name: str
    short: str
    full: str
    help: str
    help_uri: str | None = None
    severity: Level | str = Level.WARNING  # a plain "error" | "warning" | "note" is converted

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Level(self.severity))


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: any command (lint, check, ...) can produce these."""

    file: str  # repo-relative, forward slashes
    line: int  # 1-based
    column: int  # 1-based
    rule_id: str
    severity: Level  # a plain "error" | "warning" | "note" is converted
    title: str
    message: str
    help: str = ""
    # issue 17: the move class and the package diff (JSON), for formats that carry data
    move: str | None = field(default=None, compare=False)
    changes: Mapping[str, Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        object.__setattr__(self, "severity", Level(self.severity))


def at_or_above(findings: list[Finding], minimum: str) -> list[Finding]:
    """The findings whose severity is `minimum` or more serious."""
    floor = Level(minimum)
    return [f for f in findings if f.severity >= floor]
