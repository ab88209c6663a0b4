"""Inline suppression comments: `# driftwatch: ignore=DW003,DW002` or `# driftwatch: ignore`."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ignored_rules"]

_IGNORE = re.compile(r"#\s*driftwatch:\s*ignore(?:\s*=\s*([A-Za-z0-9_,\s]+))?", re.IGNORECASE)


def ignored_rules(comments: Iterable[str]) -> tuple[str, ...]:
    """Rule ids the comments suppress, upper-cased; `("*",)` when one says plain `ignore`."""
    rules: list[str] = []
    for comment in comments:
        for match in _IGNORE.finditer(comment):
            if match.group(1) is None:
                return ("*",)
            rules.extend(part.strip().upper() for part in match.group(1).split(",") if part.strip())
    return tuple(dict.fromkeys(rules))
