"""Compare two observations of one reference, platform by platform, and apply `--fail-on`.

Pure: no I/O. An index digest that moves while a platform's digest stays is not a change for that
platform. Platforms are compared as runtimes see them (`arm64` is `arm64/v8`; an index and a single
manifest of the same platform are the same platform). A digest move whose OS cannot be established
on either side is a digest drift carrying `Undetermined`: "could not check", never "same OS".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from driftwatch.errors import ConfigError
from driftwatch.models import (
    FAIL_ON,
    Drift,
    DriftKind,
    Observation,
    OsRelease,
    PlatformImage,
    Severity,
    Undetermined,
    os_of,
)

__all__ = [
    "compare",
    "failing",
    "fails",
    "os_change",
    "platform_key",
    "undetermined",
    "worst_first",
]

UNKNOWN_PLATFORM = "unknown"
# OSes whose VERSION_ID is a build date, not a release: versions are never compared.
_ROLLING = frozenset({"wolfi", "chainguard", "arch", "gentoo"})
# OSes whose release is `major.minor` (Alpine v3.19 -> v3.20 is a new release, not a point release).
_MINOR_RELEASES = frozenset({"alpine"})


def platform_key(image: PlatformImage) -> str:
    """The name a platform is compared and stored under: normalised `os/arch[/variant]`."""
    return str(image.platform.normalized()) if image.platform else UNKNOWN_PLATFORM


def compare(
    previous: Observation | None,
    current: Observation,
    *,
    named: Callable[[str], bool] | None = None,
) -> tuple[Drift, ...]:
    """Every drift from `previous` to `current` (same reference); nothing without a previous.

    `named(platform)` says whether the lock or config names a platform: its removal breaks builds.
    """
    if previous is None:
        return ()
    if previous.missing or current.missing:
        return _tag_level(previous, current)
    old, new = _paired(_by_platform(previous), _by_platform(current))
    drifts: list[Drift] = []
    for key in sorted(old.keys() | new.keys()):
        drift = _platform_drift(old.get(key), new.get(key))
        if drift is None:
            continue
        kind, unsure = drift
        breaking = kind is DriftKind.PLATFORM_REMOVED and named is not None and named(key)
        drifts.append(
            Drift(
                kind,
                current.reference,
                key,
                old.get(key),
                new.get(key),
                current.observed_at,
                undetermined=unsure,
                breaking=breaking,
            )
        )
    return tuple(drifts)


def undetermined(drifts: Iterable[Drift]) -> list[Drift]:
    """The digest moves whose OS move could not be judged, not by the user's choice."""
    return [d for d in drifts if d.undetermined is not None and not d.undetermined.chosen]


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


def _paired(
    old: dict[str, PlatformImage], new: dict[str, PlatformImage]
) -> tuple[dict[str, PlatformImage], dict[str, PlatformImage]]:
    """A single manifest of unknown platform stands for the one platform the other side has
    (or the one with its digest), so a shape change never hides a release move."""
    for one, other in ((old, new), (new, old)):
        if set(one) == {UNKNOWN_PLATFORM} and UNKNOWN_PLATFORM not in other and other:
            image = one[UNKNOWN_PLATFORM]
            same = [key for key, found in other.items() if found.digest == image.digest]
            keys = same or (list(other) if len(other) == 1 else [])
            if keys:
                del one[UNKNOWN_PLATFORM]
                one[keys[0]] = replace(image, platform=other[keys[0]].platform)
    return old, new


def _platform_drift(
    old: PlatformImage | None, new: PlatformImage | None
) -> tuple[DriftKind, Undetermined | None] | None:
    """The one drift kind for a platform (with why its OS move is unknown), or None."""
    if old is None:
        return DriftKind.PLATFORM_ADDED, None
    if new is None:
        return DriftKind.PLATFORM_REMOVED, None
    if old.digest == new.digest:
        return None
    before, after = os_of(old), os_of(new)
    unsure = [
        Undetermined(f"{side} image: {state.reason}", state.chosen)
        for side, state in (("new", after), ("previous", before))
        if isinstance(state, Undetermined)
    ]
    if unsure:
        return DriftKind.DIGEST, min(unsure, key=lambda u: u.chosen)  # a real failure first
    assert isinstance(before, OsRelease) and isinstance(after, OsRelease)
    return os_change(before, after) or DriftKind.DIGEST, None


def os_change(old: OsRelease | None, new: OsRelease | None) -> DriftKind | None:
    """OS_RELEASE, OS_POINT_RELEASE or None; only facts known on both sides are compared.

    Both sides must be established (see `OsRelease.unsettled`); an image that gained or lost
    its OS altogether (scratch <-> Debian) moved release.
    """
    if old is None or new is None:
        return None
    if not old.known or not new.known:
        return DriftKind.OS_RELEASE if old.known != new.known else None
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
        raise ConfigError(f"--fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}") from None
    if threshold is None:
        return []
    return [d for d in worst_first(drifts) if d.kind.moves and d.severity >= threshold]


def worst_first(drifts: Iterable[Drift]) -> list[Drift]:
    """Drifts ordered for people: most severe first, then by reference and platform."""
    return sorted(drifts, key=lambda d: (-d.severity, str(d.reference), d.platform or ""))
