"""Debian and Ubuntu release tables, and suite aliases mapped to the release in force at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

__all__ = [
    "DEBIAN_RELEASES",
    "DEBIAN_TABLE_CHECKED",
    "UBUNTU_RELEASES",
    "DebianRelease",
    "debian_codename",
    "debian_suite",
    "ubuntu_by_codename",
    "ubuntu_by_version",
]


@dataclass(frozen=True)
class DebianRelease:
    """One Debian release: number, codename and the day it became stable (None: not yet)."""

    version: str
    codename: str
    released: date | None


DEBIAN_RELEASES: tuple[DebianRelease, ...] = (
    DebianRelease("7", "wheezy", date(2013, 5, 4)),
    DebianRelease("8", "jessie", date(2015, 4, 25)),
    DebianRelease("9", "stretch", date(2017, 6, 17)),
    DebianRelease("10", "buster", date(2019, 7, 6)),
    DebianRelease("11", "bullseye", date(2021, 8, 14)),
    DebianRelease("12", "bookworm", date(2023, 6, 10)),
    DebianRelease("13", "trixie", date(2025, 8, 9)),
    DebianRelease("14", "forky", None),
    DebianRelease("15", "duke", None),
)

# The day DEBIAN_RELEASES was last checked against debian.org: an alias (`stable`, ...) is mapped
# through the table only for moments up to this day. Later, a release may have happened that the
# table does not know about (forky becoming stable), so the filesystem must decide.
DEBIAN_TABLE_CHECKED = date(2025, 12, 1)

UBUNTU_RELEASES: dict[str, str] = {
    "trusty": "14.04",
    "xenial": "16.04",
    "bionic": "18.04",
    "focal": "20.04",
    "groovy": "20.10",
    "hirsute": "21.04",
    "impish": "21.10",
    "jammy": "22.04",
    "kinetic": "22.10",
    "lunar": "23.04",
    "mantic": "23.10",
    "noble": "24.04",
    "oracular": "24.10",
    "plucky": "25.04",
    "questing": "25.10",
    "resolute": "26.04",
}

_ALIAS_OFFSETS = {"stable": 0, "oldstable": -1, "oldoldstable": -2, "testing": 1}
_UNSTABLE = ("unstable", "sid")


def debian_codename(codename: str, at: datetime | None = None) -> tuple[str | None, str] | None:
    """(version_id, codename) of a Debian codename; version_id is None until it is stable."""
    for release in DEBIAN_RELEASES:
        if release.codename == codename:
            return (release.version if _released(release, at) else None), codename
    if codename in _UNSTABLE:
        return None, "sid"
    return None


def debian_suite(suite: str, at: datetime | None) -> tuple[str | None, str] | None:
    """(version_id, codename) for a codename or an alias such as `stable` at time `at`.

    An alias is resolved only for moments the table can vouch for (up to DEBIAN_TABLE_CHECKED):
    None otherwise, so the caller reads the filesystem instead of trusting a stale table.
    """
    suite = suite.strip().lower()
    if suite in _ALIAS_OFFSETS:
        if at is None or at.astimezone(timezone.utc).date() > DEBIAN_TABLE_CHECKED:
            return None
        released = [r for r in DEBIAN_RELEASES if _released(r, at)]
        if not released:
            return None
        index = DEBIAN_RELEASES.index(released[-1]) + _ALIAS_OFFSETS[suite]
        if not 0 <= index < len(DEBIAN_RELEASES):
            return None
        return debian_codename(DEBIAN_RELEASES[index].codename, at)
    return debian_codename(suite, at)


def ubuntu_by_codename(codename: str) -> str | None:
    """The Ubuntu version (e.g. 24.04) named by a codename, or None."""
    return UBUNTU_RELEASES.get(codename.strip().lower())


def ubuntu_by_version(version: str) -> str | None:
    """The Ubuntu codename for a version such as 24.04 (or 24.04.1), or None."""
    short = ".".join(version.strip().split(".")[:2])
    return next((name for name, ver in UBUNTU_RELEASES.items() if ver == short), None)


def _released(release: DebianRelease, at: datetime | None) -> bool:
    """True when `release` was stable at time `at` (now when None)."""
    if release.released is None:
        return False
    when = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    return release.released <= when
