"""Debian and Ubuntu release tables, suite aliases mapped to the release in force at a time, and
end-of-life dates (each with its source)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

__all__ = [
    "DEBIAN_RELEASES",
    "DEBIAN_TABLE_CHECKED",
    "END_OF_LIFE",
    "UBUNTU_RELEASES",
    "DebianRelease",
    "EndOfLife",
    "debian_codename",
    "debian_suite",
    "end_of_life",
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


@dataclass(frozen=True)
class EndOfLife:
    """When a release stops getting free security updates, and who says so."""

    os_id: str
    codename: str
    eol: date  # Debian: end of LTS; Ubuntu: end of standard support
    security_end: date | None  # Debian: end of regular security support (then LTS)
    source: str


_DISTRO_INFO = "Debian distro-info-data 0.58+deb12u6, /usr/share/distro-info/{}.csv"
_DEBIAN_EOL = _DISTRO_INFO.format("debian") + " (eol, eol-lts); https://wiki.debian.org/LTS"
_UBUNTU_EOL = _DISTRO_INFO.format("ubuntu") + " (eol); https://ubuntu.com/about/release-cycle"

END_OF_LIFE: tuple[EndOfLife, ...] = (
    EndOfLife("debian", "jessie", date(2020, 6, 30), date(2018, 6, 17), _DEBIAN_EOL),
    EndOfLife("debian", "stretch", date(2022, 6, 30), date(2020, 7, 18), _DEBIAN_EOL),
    EndOfLife("debian", "buster", date(2024, 6, 30), date(2022, 9, 10), _DEBIAN_EOL),
    EndOfLife("debian", "bullseye", date(2026, 8, 31), date(2024, 8, 14), _DEBIAN_EOL),
    EndOfLife("debian", "bookworm", date(2028, 6, 30), date(2026, 7, 11), _DEBIAN_EOL),
    EndOfLife("debian", "trixie", date(2030, 6, 30), date(2028, 8, 9), _DEBIAN_EOL),
    EndOfLife("ubuntu", "bionic", date(2023, 5, 31), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "focal", date(2025, 5, 29), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "jammy", date(2027, 6, 1), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "mantic", date(2024, 7, 11), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "noble", date(2029, 5, 31), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "oracular", date(2025, 7, 10), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "plucky", date(2026, 1, 15), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "questing", date(2026, 7, 9), None, _UBUNTU_EOL),
    EndOfLife("ubuntu", "resolute", date(2031, 5, 29), None, _UBUNTU_EOL),
)


def end_of_life(os_id: str | None, codename: str | None) -> EndOfLife | None:
    """The end-of-life entry of a release by OS id and codename, None where not known."""
    if not os_id or not codename:
        return None
    wanted = (os_id.lower(), codename.lower())
    return next((e for e in END_OF_LIFE if (e.os_id, e.codename) == wanted), None)


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
