"""drift.compare per platform and drift.fails for every --fail-on level."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from driftwatch.drift import compare, fails, os_change, undetermined
from driftwatch.errors import ConfigError
from driftwatch.models import (
    Drift,
    DriftKind,
    Observation,
    OsRelease,
    Platform,
    PlatformImage,
)
from driftwatch.reference import parse_reference
from driftwatch.usecases.explain import describe_drift

REF = parse_reference("python:3.11-slim")
T0 = datetime(2023, 6, 1, tzinfo=timezone.utc)
T1 = datetime(2023, 6, 14, tzinfo=timezone.utc)
AMD = Platform("linux", "amd64")
ARM = Platform("linux", "arm64", "v8")
BULLSEYE = OsRelease("debian", "11", "bullseye", point_release="11.7")
BOOKWORM = OsRelease("debian", "12", "bookworm", point_release="12.0")
INDEX = "application/vnd.oci.image.index.v1+json"


def d(n: int) -> str:
    return f"sha256:{n:064x}"


def image(platform: Platform | None, n: int, os: OsRelease | None = None) -> PlatformImage:
    return PlatformImage(platform, d(n), "application/vnd.oci.image.manifest.v1+json", os=os)


def obs(when: datetime, top: int | None, *platforms: PlatformImage) -> Observation:
    return Observation(REF, when, None if top is None else d(top), INDEX, platforms)


def kinds(drifts: tuple[Drift, ...]) -> list[tuple[str, str | None]]:
    return [(x.kind.value, x.platform) for x in drifts]


def test_no_previous_observation_is_no_drift() -> None:
    assert compare(None, obs(T1, 1, image(AMD, 2, BULLSEYE))) == ()


def test_os_release_change_per_platform_with_details() -> None:
    old = obs(T0, 1, image(AMD, 2, BULLSEYE), image(ARM, 3, BULLSEYE))
    new = obs(T1, 10, image(AMD, 20, BOOKWORM), image(ARM, 3, BULLSEYE))
    (drift,) = compare(old, new)
    assert (drift.kind, drift.platform) == (DriftKind.OS_RELEASE, "linux/amd64")
    assert drift.old is not None and drift.old.digest == d(2)
    assert drift.new is not None and drift.new.os == BOOKWORM
    assert drift.detected_at == T1 and drift.reference == REF


def test_index_digest_change_without_platform_change_is_nothing() -> None:
    old = obs(T0, 1, image(AMD, 2, BULLSEYE), image(ARM, 3, BULLSEYE))
    new = obs(T1, 99, image(AMD, 2, BULLSEYE), image(ARM, 3, BULLSEYE))
    assert compare(old, new) == ()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (BOOKWORM, OsRelease("debian", "12", "bookworm", point_release="12.1"), "os-point-release"),
        (BOOKWORM, BOOKWORM, "digest"),
        (BOOKWORM, OsRelease("ubuntu", "24.04", "noble"), "os-release"),
        (
            OsRelease("ubuntu", "22.04", "jammy"),
            OsRelease("ubuntu", "24.04", "noble"),
            "os-release",
        ),
        (OsRelease("alpine", "3.19.1"), OsRelease("alpine", "3.19.2"), "os-point-release"),
        (OsRelease("alpine", "3.19.1"), OsRelease("alpine", "3.20.0"), "os-release"),
        (OsRelease("rhel", "9.4"), OsRelease("rhel", "9.5"), "os-point-release"),
        (OsRelease("rhel", "8.10"), OsRelease("rhel", "9.4"), "os-release"),
        (OsRelease("amzn", "2"), OsRelease("amzn", "2023"), "os-release"),
        (OsRelease("wolfi", "20230201"), OsRelease("wolfi", "20240301"), "digest"),
        # distroless has no codename field: the major version decides
        (OsRelease("debian", "12"), OsRelease("debian", "12", "bookworm"), "digest"),
        (OsRelease("debian", "11"), OsRelease("debian", "12"), "os-release"),
        # unknown on either side: never an OS drift
        (None, BOOKWORM, "digest"),
        (BULLSEYE, OsRelease(None, undetermined="layer too large"), "digest"),
        # a suite alias with no codename or version known cannot be compared
        (BULLSEYE, OsRelease("debian", None, None, undetermined="suite alias stable"), "digest"),
    ],
)
def test_changed_digest_kind_depends_on_os(
    before: OsRelease | None, after: OsRelease | None, expected: str
) -> None:
    old = obs(T0, 1, image(AMD, 2, before))
    new = obs(T1, 10, image(AMD, 20, after))
    assert kinds(compare(old, new)) == [(expected, "linux/amd64")]


def test_platform_added_and_removed() -> None:
    old = obs(T0, 1, image(AMD, 2, BULLSEYE), image(ARM, 3, BULLSEYE))
    s390 = Platform("linux", "s390x")
    new = obs(T1, 10, image(AMD, 2, BULLSEYE), image(s390, 4, BULLSEYE))
    assert kinds(compare(old, new)) == [
        ("platform-removed", "linux/arm64/v8"),
        ("platform-added", "linux/s390x"),
    ]


def test_tag_vanished_and_reappeared() -> None:
    present = obs(T0, 1, image(AMD, 2, BULLSEYE))
    missing = obs(T1, None)
    (gone,) = compare(present, missing)
    assert (gone.kind, gone.platform, gone.new) == (DriftKind.TAG_VANISHED, None, None)
    assert gone.old is not None and gone.old.digest == d(1)
    (back,) = compare(missing, present)
    assert back.kind is DriftKind.TAG_REAPPEARED and back.old is None
    assert compare(missing, missing) == ()


def test_single_manifest_without_platform_details() -> None:
    old = Observation(REF, T0, d(1), "application/vnd.oci.image.manifest.v1+json")
    new = Observation(REF, T1, d(2), "application/vnd.oci.image.manifest.v1+json")
    assert kinds(compare(old, new)) == [("digest", "unknown")]
    assert compare(old, old) == ()


def test_os_change_ignores_digest() -> None:
    assert os_change(BULLSEYE, BOOKWORM) is DriftKind.OS_RELEASE
    assert os_change(BOOKWORM, BOOKWORM) is None


def _drift(kind: DriftKind) -> Drift:
    return Drift(kind, REF, "linux/amd64", None, None, T1)


@pytest.mark.parametrize(
    ("level", "kind", "expected"),
    [
        ("release", DriftKind.OS_RELEASE, True),
        ("release", DriftKind.OS_POINT_RELEASE, False),
        ("release", DriftKind.DIGEST, False),
        ("os", DriftKind.OS_POINT_RELEASE, True),
        ("os", DriftKind.DIGEST, False),
        ("os", DriftKind.OS_RELEASE, True),
        ("digest", DriftKind.DIGEST, True),
        ("digest", DriftKind.TAG_VANISHED, True),
        ("digest", DriftKind.PLATFORM_ADDED, True),
        ("never", DriftKind.OS_RELEASE, False),
    ],
)
def test_fails(level: str, kind: DriftKind, expected: bool) -> None:
    assert fails([_drift(kind)], level) is expected


def test_fails_without_drift_and_on_a_bad_level() -> None:
    assert fails([], "digest") is False
    with pytest.raises(ConfigError, match="--fail-on 'sometimes'"):
        fails([], "sometimes")


UNREAD = OsRelease(None, source="layers", undetermined="time bound of 0.1s reached")
SCRATCH = OsRelease(None, source="layers")


@pytest.mark.parametrize(
    "unknown",
    [
        UNREAD,
        OsRelease(None, source="error", undetermined="layer sha256:ab is not valid gzip"),
        OsRelease(None),  # nothing recorded
        None,  # never detected
    ],
)
def test_an_os_not_established_is_never_read_as_the_same_os(unknown: OsRelease | None) -> None:
    old = obs(T0, 1, image(AMD, 2, BULLSEYE))
    new = obs(T1, 10, image(AMD, 20, unknown))
    (drift,) = compare(old, new)
    assert drift.kind is DriftKind.DIGEST and drift.undetermined is not None
    assert not drift.undetermined.chosen
    assert undetermined([drift]) == [drift]
    assert "rebuilt on the same OS" not in describe_drift(drift)
    assert not fails([drift], "release")  # not a release move: "could not check" (exit 3)


def test_detection_off_is_undetermined_by_choice() -> None:
    old = obs(T0, 1, image(AMD, 2, BULLSEYE))
    (drift,) = compare(old, obs(T1, 10, image(AMD, 20, OsRelease.off())))
    assert drift.undetermined is not None and drift.undetermined.chosen
    assert undetermined([drift]) == []


def test_a_scratch_image_is_established_and_gaining_an_os_is_a_release_move() -> None:
    (rebuilt,) = compare(obs(T0, 1, image(AMD, 2, SCRATCH)), obs(T1, 3, image(AMD, 4, SCRATCH)))
    assert (rebuilt.kind, rebuilt.undetermined) == (DriftKind.DIGEST, None)
    (moved,) = compare(obs(T0, 1, image(AMD, 2, SCRATCH)), obs(T1, 3, image(AMD, 4, BOOKWORM)))
    assert moved.kind is DriftKind.OS_RELEASE


@pytest.mark.parametrize(
    ("written", "runtime"),
    [
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/aarch64", "linux/arm64/v8"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/amd64/v3", "linux/amd64/v3"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/386", "linux/386"),
        ("windows/amd64:10.0.20348.2762", "windows/amd64:10.0.20348"),
        ("linux/amd64:5.15", "linux/amd64"),
    ],
)
def test_platforms_are_normalised_as_runtimes_match_them(written: str, runtime: str) -> None:
    assert str(Platform.parse(written).normalized()) == runtime


def test_arm64_and_arm64_v8_are_one_platform() -> None:
    old = obs(T0, 1, image(Platform("linux", "arm64", "v8"), 2, BULLSEYE))
    new = obs(T1, 3, image(Platform("linux", "arm64"), 4, BOOKWORM))
    assert kinds(compare(old, new)) == [("os-release", "linux/arm64/v8")]


def test_a_single_manifest_of_unknown_platform_pairs_with_the_other_sides_platform() -> None:
    index = obs(T0, 1, image(AMD, 2, BULLSEYE))
    single = obs(T1, 3, image(None, 3, BOOKWORM))
    assert kinds(compare(index, single)) == [("os-release", "linux/amd64")]
    assert kinds(compare(single, index)) == [("os-release", "linux/amd64")]


def test_tag_vanished_and_a_named_removed_platform_fail_by_default() -> None:
    old = obs(T0, 1, image(AMD, 2, BULLSEYE), image(ARM, 3, BULLSEYE))
    (gone,) = compare(old, obs(T1, None))
    assert gone.kind is DriftKind.TAG_VANISHED and fails([gone], "release")
    dropped = obs(T1, 4, image(AMD, 2, BULLSEYE))
    (unnamed,) = compare(old, dropped)
    assert unnamed.kind is DriftKind.PLATFORM_REMOVED and not fails([unnamed], "release")
    (named,) = compare(old, dropped, named=lambda key: key == "linux/arm64/v8")
    assert named.breaking and fails([named], "release") and not fails([named], "never")
