"""Read a small input file with a size cap: never more than the cap plus one byte, whatever the file
is (a huge file, /dev/zero, a FIFO that keeps writing), so a bad path cannot exhaust memory.

The config, the lock file, every source file and a user's end-of-life calendar read through it;
each caller words its own errors.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_capped"]


def read_capped(path: Path, limit: int) -> bytes | None:
    """The bytes of `path`, or None when it holds more than `limit`; OSError propagates."""
    with path.open("rb") as handle:
        raw = handle.read(limit + 1)
    return None if len(raw) > limit else raw
