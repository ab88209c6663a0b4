"""The few phrases both renderers share, so the HTML page and the Markdown overview agree."""

from __future__ import annotations

from datetime import date

from driftwatch.timeline.model import LockState, ReferenceReport, Release

__all__ = [
    "SOON_DAYS",
    "eol_words",
    "last_move_words",
    "lock_words",
    "moves_words",
    "now_on",
]

SOON_DAYS = 180  # an end of life closer than this is flagged


def eol_words(eol: date | None, today: date) -> tuple[str, str]:
    """(text, level) for an end of life: level is `bad` (over), `soon`, `good` or `unknown`."""
    if eol is None:
        return "unknown", "unknown"
    left = (eol - today).days
    if left < 0:
        return f"ended {eol:%Y-%m-%d}", "bad"
    if left <= SOON_DAYS:
        return f"{eol:%Y-%m-%d} (in {left} days)", "soon"
    return f"{eol:%Y-%m-%d}", "good"


def last_move_words(ref: ReferenceReport) -> str:
    """`114 days ago (2026-08-13)` or `never moved`."""
    if ref.last_move is None or ref.days_since_move is None:
        return "never moved"
    days = ref.days_since_move
    return f"{days} day{'s' if days != 1 else ''} ago ({ref.last_move:%Y-%m-%d})"


def moves_words(ref: ReferenceReport) -> str:
    """`28 (1 release)`: re-pointings in the period, and how many moved an OS release."""
    extra = f" ({ref.release_moves} release)" if ref.release_moves else ""
    return f"{ref.moves}{extra}"


def lock_words(state: LockState | None) -> str:
    """`matches`, `moved`, `not locked` or `could not check` (empty without a lock file)."""
    if state is None:
        return ""
    words = {"not-locked": "not locked", "unchecked": "could not check"}
    return words.get(state.status, state.status)


def now_on(ref: ReferenceReport) -> list[tuple[Release | None, list[str]]]:
    """The current release of each platform, platforms on the same release grouped."""
    groups: dict[str, tuple[Release | None, list[str]]] = {}
    for row in ref.rows:
        key = row.current.key if row.current else ""
        groups.setdefault(key, (row.current, []))[1].append(row.platform)
    return list(groups.values())
