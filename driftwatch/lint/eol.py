"""DW005: the OS release an image was locked with ends soon or has ended (offline: the lock file).

The release is the one DETECTED in the image (recorded per platform in driftwatch.lock), never
guessed from the tag. A release the calendar does not know is a note: end of life unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from driftwatch.eol import DEFAULT_WARN_DAYS, Calendar, EolState, EolStatus
from driftwatch.lockfile import LockFile
from driftwatch.models import BaseImageUse, Level, OsRelease, PlatformImage, os_of
from driftwatch.report.finding import Rule

__all__ = ["DW005", "EolCheck"]

DW005 = Rule(
    "DW005",
    "os-release-end-of-life",
    "OS release ends soon or has ended",
    "The OS release detected in the image (recorded per platform in driftwatch.lock) stops "
    "getting security updates within the warning window (`[eol] warn_days`, default 90), or "
    "already has. A release the end-of-life calendar does not know is reported as a note.",
    "Move to a supported release (e.g. `-bookworm` -> `-trixie`), then `driftwatch lock`.",
    severity=Level.WARNING,
)
_LEVELS = {
    EolState.ENDED: Level.ERROR,
    EolState.ENDING: Level.WARNING,
    EolState.UNKNOWN: Level.NOTE,
}


@dataclass(frozen=True)
class EolCheck:
    """What DW005 needs: the lock file, the calendar, the day and the warning window."""

    lock: LockFile
    today: date
    calendar: Calendar = field(default_factory=Calendar.shipped)
    warn_days: int = DEFAULT_WARN_DAYS

    def check(self, use: BaseImageUse) -> tuple[Level, str] | None:
        """The worst end-of-life finding for one use, or None (supported, not OS-based, unlocked
        without a lock entry to read, or a scratch image)."""
        if use.reference is None:
            return None
        entry = self.lock.get(use.reference)
        if entry is None:
            text = f"`{use.written}` is not in the lock file: its OS release, so its end of life,"
            return Level.NOTE, f"{text} is unknown (run `driftwatch lock`)"
        statuses = self.statuses(entry.platforms)
        if statuses is None:
            text = f"`{use.written}` was locked without an OS release: its end of life is unknown"
            return Level.NOTE, text
        found = [s for s in statuses if s.state is not EolState.SUPPORTED]
        if not found:
            return None
        worst = max(_LEVELS[s.state] for s in found)
        described = "; ".join(sorted({s.describe() for s in found}))
        return worst, f"`{use.written}` is built on {described}"

    def statuses(self, platforms: tuple[PlatformImage, ...]) -> list[EolStatus] | None:
        """One status per detected OS release; None when any platform's OS was not settled, or
        when the entry lists no platform (nothing proves an OS, so nothing is "supported")."""
        if not platforms:
            return None
        releases: list[OsRelease] = []
        for image in platforms:
            os = os_of(image)
            if not isinstance(os, OsRelease):
                return None
            if os.known:
                releases.append(os)
        return [self.calendar.status(os, self.today, self.warn_days) for os in set(releases)]
