"""Docker Hub's pull budget, imitated by the proxy: manifest GETs count, HEADs are free.

Every manifest answer carries `RateLimit-Limit: N;w=21600` and `RateLimit-Remaining: R;w=21600`;
a manifest GET once the budget is spent is answered 429 without asking the registry.
"""

from __future__ import annotations

import threading

from .rules import MANIFEST_PATH

WINDOW = 21600


class HubBudget:
    """`limit` pulls for the proxy's lifetime; `counted` and `refused` say what happened."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.remaining = limit
        self.counted = 0
        self.refused = 0
        self._lock = threading.Lock()

    def admit(self, method: str, path: str) -> bool:
        """Count a pull; False when it must be refused with a 429."""
        if method.upper() != "GET" or not MANIFEST_PATH.match(path):
            return True
        with self._lock:
            if self.remaining <= 0:
                self.refused += 1
                return False
            self.remaining -= 1
            self.counted += 1
            return True

    def headers(self, path: str) -> list[tuple[str, str]]:
        """The rate-limit headers for an answer to `path` (none outside manifests)."""
        if not MANIFEST_PATH.match(path):
            return []
        return [
            ("RateLimit-Limit", f"{self.limit};w={WINDOW}"),
            ("RateLimit-Remaining", f"{self.remaining};w={WINDOW}"),
        ]
