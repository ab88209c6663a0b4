"""Fleet-scale helpers for `scan`: deterministic shards of a watch list, and skip reasons.

A shard is chosen by a stable hash of the canonical reference, so every CI matrix job of a nightly
scan agrees on who checks what without talking to the others, and the split does not depend on
the order the watch list was written in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from driftwatch.errors import UsageError
from driftwatch.models import ResolveFailure
from driftwatch.reference import ImageReference

__all__ = ["SKIP_REASONS", "Shard", "skipped"]

# error types that mean "not asked on purpose", with the words used in every output
SKIP_REASONS = {"BudgetExhausted": "rate limit budget", "DeadlineExceeded": "deadline"}


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`: `--shard 2/4`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read `I/N` with 1 <= I <= N; UsageError otherwise."""
        head, sep, tail = text.strip().partition("/")
        if not (sep and head.isdigit() and tail.isdigit()):
            raise UsageError(f"--shard {text!r} is not I/N (for example 1/4)")
        shard = cls(int(head), int(tail))
        if not 1 <= shard.index <= shard.count:
            raise UsageError(f"--shard {text!r}: I must be between 1 and N")
        return shard

    def owns(self, reference: ImageReference) -> bool:
        """True when this shard checks `reference` (stable across runs, machines and Pythons)."""
        digest = hashlib.sha256(str(reference).encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def select(self, references: Iterable[ImageReference]) -> list[ImageReference]:
        """This shard's references, sorted by canonical name."""
        return sorted((r for r in set(references) if self.owns(r)), key=str)


def skipped(failures: Sequence[ResolveFailure]) -> dict[str, list[ResolveFailure]]:
    """Failures that were skips (deadline, rate limit budget), by reason words."""
    found: dict[str, list[ResolveFailure]] = {}
    for failure in failures:
        reason = SKIP_REASONS.get(failure.error_type)
        if reason is not None:
            found.setdefault(reason, []).append(failure)
    return found
