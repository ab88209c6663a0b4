"""The one release table: codenames, version numbers, release and end-of-life dates, with sources.

Read from `driftwatch/data/releases.json` (shipped in the wheel). osinfo's hints, lint's release
names, the timeline and the end-of-life calendar (`driftwatch.eol`) all read it from here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.functional_validators import BeforeValidator

__all__ = [
    "DEBIAN_CODENAMES",
    "DEBIAN_RELEASES",
    "DEBIAN_TABLE_CHECKED",
    "UBUNTU_CODENAMES",
    "UBUNTU_RELEASES",
    "Release",
    "debian_codename",
    "debian_suite",
    "end_of_life",
    "find_release",
    "parse_releases",
    "shipped_releases",
    "ubuntu_by_codename",
    "ubuntu_by_version",
]


def _day(value: Any) -> Any:
    """`YYYY-MM-DD` text (JSON) or a TOML date to a date; anything else is left to the model."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a YYYY-MM-DD date") from None
    return value


Day = Annotated[date, BeforeValidator(_day)]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class Release(BaseModel):
    """One OS release and its support window; `eol` ends free security support."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    os_id: Name = Field(alias="os")
    version: Name
    codename: Name | None = None
    released: Day | None = None  # None: not released yet
    eol: Day | None = None  # None: not known (a release not yet scheduled)
    phase: Literal["LTS", "security", "standard", "main", "maintenance"] | None = None
    security_end: Day | None = None  # Debian: end of the security team's support (then LTS)
    extended: Day | None = None  # a paid/subscription extension: Ubuntu ESM, RHEL ELS
    extended_phase: Annotated[str, Field(max_length=64)] | None = None
    source: Annotated[str, Field(min_length=1, max_length=500)]
    checked: Day

    @property
    def name(self) -> str:
        """`bookworm`, `noble`, `alpine 3.19`, `rhel 9`: how a release is named in messages."""
        return self.codename or f"{self.os_id} {self.version}"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    checked: Day
    source: str
    note: str = ""


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal[1] = 1
    about: str = ""
    tables: dict[str, _Table] = {}
    releases: list[Release] = Field(max_length=10_000)


def parse_releases(data: Any) -> tuple[tuple[Release, ...], dict[str, date]]:
    """The releases of a calendar document and the day each table was checked; ValueError."""
    try:
        document = _Document.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from None
    return tuple(document.releases), {k: t.checked for k, t in document.tables.items()}


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[Release, ...], dict[str, date]]:
    text = resources.files("driftwatch").joinpath("data/releases.json").read_text("utf-8")
    return parse_releases(json.loads(text))


def shipped_releases() -> tuple[Release, ...]:
    """Every release of the table shipped with driftwatch."""
    return _shipped()[0]


DEBIAN_RELEASES: tuple[Release, ...] = tuple(r for r in shipped_releases() if r.os_id == "debian")
# The day the Debian table (release dates, codenames) was last checked: an alias (`stable`, ...)
# is mapped through it only for moments up to this day. Later, a release may have happened that
# the table does not know about (forky becoming stable), so the filesystem must decide.
DEBIAN_TABLE_CHECKED: date = _shipped()[1]["debian"]
DEBIAN_CODENAMES: tuple[str, ...] = (*(r.codename or "" for r in DEBIAN_RELEASES), "sid")
UBUNTU_RELEASES: dict[str, str] = {
    r.codename: r.version for r in shipped_releases() if r.os_id == "ubuntu" and r.codename
}
UBUNTU_CODENAMES: tuple[str, ...] = tuple(UBUNTU_RELEASES)

_ALIAS_OFFSETS = {"stable": 0, "oldstable": -1, "oldoldstable": -2, "testing": 1}
_UNSTABLE = ("unstable", "sid")


def find_release(
    os_id: str | None,
    version_id: str | None,
    codename: str | None,
    releases: tuple[Release, ...] | None = None,
) -> Release | None:
    """The release an os-release names: by codename, else by version (`3.19.1` -> `3.19`)."""
    if not os_id:
        return None
    table = [r for r in (releases or shipped_releases()) if r.os_id == os_id.lower()]
    if codename:
        found = [r for r in table if r.codename == codename.lower()]
        if found:
            return found[-1]
    parts = (version_id or "").strip().split(".")
    for width in (len(parts), 2, 1):
        wanted = ".".join(parts[:width])
        found = [r for r in table if wanted and r.version == wanted]
        if found:
            return found[-1]  # a later entry (a user's calendar) overrides a shipped one
    return None


def end_of_life(os_id: str | None, codename: str | None) -> Release | None:
    """The release by OS id and codename when its end of life is known, else None."""
    found = find_release(os_id, None, codename) if codename else None
    return found if found is not None and found.eol is not None else None


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
        return debian_codename(DEBIAN_RELEASES[index].codename or "", at)
    return debian_codename(suite, at)


def ubuntu_by_codename(codename: str) -> str | None:
    """The Ubuntu version (e.g. 24.04) named by a codename, or None."""
    return UBUNTU_RELEASES.get(codename.strip().lower())


def ubuntu_by_version(version: str) -> str | None:
    """The Ubuntu codename for a version such as 24.04 (or 24.04.1), or None."""
    short = ".".join(version.strip().split(".")[:2])
    return next((name for name, ver in UBUNTU_RELEASES.items() if ver == short), None)


def _released(release: Release, at: datetime | None) -> bool:
    """True when `release` was stable at time `at` (now when None)."""
    if release.released is None:
        return False
    when = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
    return release.released <= when
