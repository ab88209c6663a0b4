"""The end-of-life calendar: when an image's detected OS release stops getting security updates.

The shipped table (`driftwatch.releases`) is extended or overridden by a user's calendar file
(`[eol] calendar = "path"`, TOML or JSON with the same `releases` entries). A release the
calendar does not know is "end of life unknown": said, never passed as fine.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from pathlib import Path

from driftwatch.capped import read_capped
from driftwatch.drift import platform_key
from driftwatch.errors import ConfigError
from driftwatch.models import Drift, DriftKind, Observation, OsRelease, os_of
from driftwatch.releases import Release, find_release, parse_releases, shipped_releases

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_WARN_DAYS",
    "Calendar",
    "EolState",
    "EolStatus",
    "eol_drifts",
    "load_calendar",
]

DEFAULT_WARN_DAYS = 90
MAX_CALENDAR_BYTES = 4 * 1024 * 1024


class EolState(str, Enum):
    """Where a release is in its life, as seen from one day."""

    ENDED = "ended"
    ENDING = "ending"  # ends within the warning window
    SUPPORTED = "supported"
    UNKNOWN = "unknown"  # not in the calendar, or no end date known


@dataclass(frozen=True)
class EolStatus:
    """One OS release's end of life as seen from `today`."""

    os: OsRelease
    release: Release | None
    state: EolState
    days_left: int | None = None  # negative once ended

    @property
    def name(self) -> str:
        """`bookworm`, `alpine 3.19`; the OS's own description when the calendar lacks it."""
        return self.release.name if self.release is not None else self.os.describe()

    def describe(self) -> str:
        """`bookworm ends 2028-06-30 (LTS)`, `buster ended 2024-06-30 (LTS)`, `... unknown`."""
        release = self.release
        if release is None or release.eol is None:
            return f"{self.name}: end of life unknown (not in the end-of-life calendar)"
        verb = "ended" if self.state is EolState.ENDED else "ends"
        phase = f" ({release.phase})" if release.phase else ""
        text = f"{release.name} {verb} {release.eol.isoformat()}{phase}"
        if self.state is EolState.ENDING and self.days_left is not None:
            text += f", in {self.days_left} day{'s' if self.days_left != 1 else ''}"
        if release.extended and release.extended_phase:
            text += f"; {release.extended_phase} until {release.extended.isoformat()}"
        return text


@dataclass(frozen=True)
class Calendar:
    """Releases with their end-of-life dates: the shipped table plus a user's entries."""

    releases: tuple[Release, ...]

    _found: dict[tuple[str | None, ...], Release | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def shipped(cls) -> Calendar:
        """The calendar shipped with driftwatch."""
        return cls(shipped_releases())

    def release_of(self, os: OsRelease) -> Release | None:
        """The release `os` names in this calendar, looked up once per (id, version, codename):
        a fleet of images on a few releases asks the same question thousands of times."""
        key = (os.id, os.version_id, os.codename)
        if key not in self._found:
            self._found[key] = find_release(os.id, os.version_id, os.codename, self.releases)
        return self._found[key]

    def status(self, os: OsRelease, today: date, warn_days: int = DEFAULT_WARN_DAYS) -> EolStatus:
        """Where `os` stands on `today`: ended, ending within `warn_days`, supported or unknown."""
        release = self.release_of(os)
        if release is None or release.eol is None:
            return EolStatus(os, release, EolState.UNKNOWN)
        days_left = (release.eol - today).days
        if days_left <= 0:
            state = EolState.ENDED
        elif days_left <= warn_days:
            state = EolState.ENDING
        else:
            state = EolState.SUPPORTED
        return EolStatus(os, release, state, days_left)


def eol_drifts(
    observation: Observation, calendar: Calendar, today: date, warn_days: int
) -> list[tuple[Drift, datetime]]:
    """One os-eol drift per release ending within `warn_days` (or ended) under a reference,
    carrying its state, with the moment its threshold was crossed (the window's first day, or
    the end date)."""
    found: dict[tuple[str, str], tuple[Drift, datetime]] = {}
    for image in sorted(observation.platforms, key=platform_key):
        os = os_of(image)
        if not isinstance(os, OsRelease) or not os.known:
            continue
        status = calendar.status(os, today, warn_days)
        release = status.release
        if status.state not in (EolState.ENDED, EolState.ENDING) or release is None:
            continue
        assert release.eol is not None
        opened = (
            release.eol if status.state is EolState.ENDED else release.eol - timedelta(warn_days)
        )
        named = replace(os, version_id=release.version, codename=release.codename)
        new = replace(image, os=named)
        drift = Drift(
            DriftKind.OS_EOL,
            observation.reference,
            None,
            None,
            new,
            observation.observed_at,
            eol_state=status.state.value,
        )
        since = datetime.combine(opened, time.min, timezone.utc)
        found.setdefault((release.os_id, release.version), (drift, since))
    return list(found.values())


def load_calendar(path: Path | None) -> Calendar:
    """The shipped calendar, extended (and overridden per os+version) by the file at `path`."""
    if path is None:
        return Calendar.shipped()
    try:
        raw = read_capped(path, MAX_CALENDAR_BYTES)
        if raw is None:
            raise ConfigError(f"eol calendar {path} is larger than 4 MiB")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"eol calendar {path} cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        added, _ = parse_releases(data)
    except ValueError as exc:  # JSON, TOML and validation errors all derive from ValueError
        raise ConfigError(f"eol calendar {path}: {exc}") from None
    return Calendar((*shipped_releases(), *added))  # later entries win in find_release
