"""Compare two observations of one reference, platform by platform, and apply `--fail-on`.

Pure: no I/O. An index digest that moves while a platform's digest stays is not a change for that
platform; an OS that is unknown on either side never yields an OS drift (a digest drift at most).
"""

from __future__ import annotations

from collections.abc import Iterable

from driftwatch.errors import ConfigError
from driftwatch.models import Drift, DriftKind, Observation, OsRelease, PlatformImage, Severity

__all__ = ["compare", "failing", "fails", "os_change", "platform_key", "worst_first"]

UNKNOWN_PLATFORM = "unknown"
# OSes whose VERSION_ID is a build date, not a release: versions are never compared.
_ROLLING = frozenset({"wolfi", "chainguard", "arch", "gentoo"})
# OSes whose release is `major.minor` (Alpine v3.19 -> v3.20 is a new release, not a point release).
_MINOR_RELEASES = frozenset({"alpine"})


def platform_key(image: PlatformImage) -> str:
    """The name a platform is compared and stored under: `os/arch[/variant]`, or `unknown`."""
    return str(image.platform) if image.platform else UNKNOWN_PLATFORM


def compare(previous: Observation | None, current: Observation) -> tuple[Drift, ...]:
    """Every drift from `previous` to `current` (same reference); nothing without a previous."""
    if previous is None:
        return ()
    if previous.missing or current.missing:
        return _tag_level(previous, current)
    old = _by_platform(previous)
    new = _by_platform(current)
    drifts: list[Drift] = []
    for key in sorted(old.keys() | new.keys()):
        kind = _platform_kind(old.get(key), new.get(key))
        if kind is not None:
            drifts.append(
                Drift(kind, current.reference, key, old.get(key), new.get(key), current.observed_at)
            )
    return tuple(drifts)


def _tag_level(previous: Observation, current: Observation) -> tuple[Drift, ...]:
    """Tag vanished (seen, now 404) or reappeared; two misses in a row are nothing new."""
    if previous.missing == current.missing:
        return ()
    kind = DriftKind.TAG_VANISHED if current.missing else DriftKind.TAG_REAPPEARED
    old = None if previous.missing else _top(previous)
    new = None if current.missing else _top(current)
    return (Drift(kind, current.reference, None, old, new, current.observed_at),)


def _top(observation: Observation) -> PlatformImage:
    """The observation's top digest as a platform-less image (for tag-level drifts)."""
    return PlatformImage(None, observation.digest or "", observation.media_type or "")


def _by_platform(observation: Observation) -> dict[str, PlatformImage]:
    """Platforms by key; a single manifest without platform details counts as one platform."""
    if not observation.platforms:
        return {UNKNOWN_PLATFORM: _top(observation)}
    return {platform_key(image): image for image in observation.platforms}


def _platform_kind(old: PlatformImage | None, new: PlatformImage | None) -> DriftKind | None:
    """The one drift kind for a platform, or None when its digest did not move."""
    if old is None:
        return DriftKind.PLATFORM_ADDED
    if new is None:
        return DriftKind.PLATFORM_REMOVED
    if old.digest == new.digest:
        return None
    return os_change(old.os, new.os) or DriftKind.DIGEST


def os_change(old: OsRelease | None, new: OsRelease | None) -> DriftKind | None:
    """OS_RELEASE, OS_POINT_RELEASE or None; only facts known on both sides are compared."""
    if old is None or new is None or not old.known or not new.known:
        return None
    if old.id != new.id:
        return DriftKind.OS_RELEASE
    if old.id in _ROLLING:
        return None
    if old.codename and new.codename:
        if old.codename != new.codename:
            return DriftKind.OS_RELEASE
    elif _release(old) and _release(new) and _release(old) != _release(new):
        return DriftKind.OS_RELEASE
    if _differs(old.point_release, new.point_release) or _differs(old.version_id, new.version_id):
        return DriftKind.OS_POINT_RELEASE
    return None


def _release(os: OsRelease) -> str | None:
    """The part of VERSION_ID that names the release: the major (major.minor on Alpine)."""
    if not os.version_id:
        return None
    parts = os.version_id.split(".")
    width = 2 if os.id in _MINOR_RELEASES else 1
    return ".".join(parts[:width])


def _differs(old: str | None, new: str | None) -> bool:
    """True when both values are known and not equal."""
    return bool(old) and bool(new) and old != new


def fails(drifts: Iterable[Drift], fail_on: str) -> bool:
    """True when any drift reaches the `--fail-on` level (`never|digest|os|release`)."""
    return bool(failing(drifts, fail_on))


def failing(drifts: Iterable[Drift], fail_on: str) -> list[Drift]:
    """The drifts at or above the `--fail-on` level, most severe first."""
    try:
        threshold = Severity.from_fail_on(fail_on)
    except KeyError:
        raise ConfigError(
            f"--fail-on {fail_on!r} is not one of never, digest, os, release"
        ) from None
    if threshold is None:
        return []
    return [drift for drift in worst_first(drifts) if drift.severity >= threshold]


def worst_first(drifts: Iterable[Drift]) -> list[Drift]:
    """Drifts ordered for people: most severe first, then by reference and platform."""
    return sorted(drifts, key=lambda d: (-d.severity, str(d.reference), d.platform or ""))
