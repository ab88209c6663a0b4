"""Docker Hub style pull budgets: read `ratelimit-remaining`, refuse GETs before it runs out.

HEADs are free on Docker Hub; manifest GETs count. The registry tells how many are left
(`ratelimit-remaining: 100;w=21600`) on its answers; the budget keeps a local estimate per registry
(the lowest figure heard, minus the GETs sent since) and refuses a GET that would go below `keep`.
"""

from __future__ import annotations

import httpx

from driftwatch.errors import BudgetExhausted

__all__ = ["PullBudget", "parse_remaining"]


def parse_remaining(headers: httpx.Headers) -> int | None:
    """`ratelimit-remaining: 100;w=21600` -> 100; None when absent or malformed."""
    value = headers.get("ratelimit-remaining", "").split(";", 1)[0].strip()
    return int(value) if value.isdigit() else None


class PullBudget:
    """Per-registry estimate of the pulls left; `take()` before every counted GET."""

    def __init__(self, keep: int = 0) -> None:
        self.keep = keep
        self._left: dict[str, int] = {}
        self.skipped: dict[str, int] = {}

    def left(self, registry: str) -> int | None:
        """The estimate for `registry`, or None when it never reported one."""
        return self._left.get(registry)

    def heard(self, registry: str, headers: httpx.Headers) -> None:
        """Learn from an answer's headers (a figure above the estimate is a stale answer)."""
        remaining = parse_remaining(headers)
        if remaining is None:
            return
        known = self._left.get(registry)
        self._left[registry] = remaining if known is None else min(known, remaining)

    def take(self, registry: str, where: str) -> None:
        """Count one GET against `registry`, or raise BudgetExhausted when it would cross `keep`."""
        known = self._left.get(registry)
        if known is None:
            return
        if known <= self.keep:
            self.skipped[registry] = self.skipped.get(registry, 0) + 1
            raise BudgetExhausted(f"{where}: could not check: rate limit budget")
        self._left[registry] = known - 1
