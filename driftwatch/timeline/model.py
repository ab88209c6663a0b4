"""The history report as plain frozen data: what the HTML and Markdown renderers draw.

Built by `driftwatch.timeline.build` from the history store's `ReferenceHistory` records; knows
nothing about HTML, SVG or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from driftwatch.models import DriftKind
from driftwatch.reference import ImageReference

__all__ = [
    "Band",
    "LockState",
    "Mark",
    "PlatformRow",
    "ReferenceReport",
    "Release",
    "Report",
    "Tick",
    "UseSite",
]


@dataclass(frozen=True)
class Release:
    """An OS release as the report shows it; `key` picks its colour, the same everywhere."""

    key: str  # the codename, else `<id>-<version>`, else "unknown"
    label: str  # short text drawn on a band: `bookworm`
    name: str  # `Debian 12 (bookworm)`
    eol: date | None = None  # end of free security support, where known
    security_end: date | None = None  # Debian: end of regular security support (LTS follows)
    eol_source: str | None = None


@dataclass(frozen=True)
class Band:
    """A stretch of time one platform spent on one OS release (release None: not served)."""

    start: datetime
    end: datetime
    release: Release | None


@dataclass(frozen=True)
class Tick:
    """A platform digest first seen at `at`."""

    at: datetime
    digest: str


@dataclass(frozen=True)
class Mark:
    """A drift event other than a plain rebuild: OS moves, platforms and tags coming and going."""

    kind: DriftKind
    at: datetime
    platform: str | None  # None: the whole tag
    old_digest: str | None
    new_digest: str | None
    old_release: Release | None
    new_release: Release | None
    old_point: str | None = None  # the point release (12.5) where one was recorded
    new_point: str | None = None


@dataclass(frozen=True)
class PlatformRow:
    """One platform of a reference: its release bands, digest ticks and where it is now."""

    platform: str
    bands: tuple[Band, ...]
    ticks: tuple[Tick, ...]
    current: Release | None  # None: the platform is no longer served (or the tag is gone)
    current_digest: str | None


@dataclass(frozen=True)
class UseSite:
    """A line of the repository that names the reference (line 0: known from the lock only)."""

    file: str
    line: int
    written: str
    kind: str = ""  # a UseKind value (`from`, `compose`, ...); empty when known from the lock


@dataclass(frozen=True)
class LockState:
    """Whether driftwatch.lock still matches what the history last saw for the reference."""

    status: str  # "matches" | "moved" | "not-locked" | "unchecked" (never observed)
    locked_digest: str | None
    seen_digest: str | None
    detail: str  # one sentence for people


@dataclass(frozen=True)
class ReferenceReport:
    """Everything the report says about one watched reference."""

    reference: ImageReference
    first_seen: datetime
    last_seen: datetime
    rows: tuple[PlatformRow, ...]
    gaps: tuple[Band, ...]  # spans when the whole tag was missing from the registry
    marks: tuple[Mark, ...]  # in the period, oldest first
    moves: int  # re-pointings detected in the period
    release_moves: int  # of which moved an OS release
    last_move: datetime | None  # the latest drift ever detected
    days_since_move: int | None
    uses: tuple[UseSite, ...] = ()
    lock: LockState | None = None  # None: the repository has no lock file

    @property
    def name(self) -> str:
        """The reference as people write it: `python:3.12-slim`."""
        return self.reference.familiar

    @property
    def eol(self) -> date | None:
        """The earliest end of life among the releases its platforms are on now."""
        dates = [row.current.eol for row in self.rows if row.current and row.current.eol]
        return min(dates) if dates else None


@dataclass(frozen=True)
class Report:
    """The whole report: the period, every reference, and the releases the legend explains."""

    generated_at: datetime
    start: datetime
    end: datetime
    since: datetime | None
    references: tuple[ReferenceReport, ...]
    releases: tuple[Release, ...]
    source: str  # the database, password-free
    lockfile: str | None = None
