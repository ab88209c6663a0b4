"""Issue 17: an explained drift carries its summary in every format and its data in JSON/SARIF."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from driftwatch.models import (
    BaseImageUse,
    Drift,
    DriftKind,
    OsRelease,
    Platform,
    PlatformImage,
    UseKind,
)
from driftwatch.notify import Destination
from driftwatch.notify.message import compose, route
from driftwatch.osinfo.inventory import Package
from driftwatch.pkgdiff import Explanation, PackageDiff, VersionChange
from driftwatch.reference import parse_reference
from driftwatch.report import FORMATS, render
from driftwatch.usecases.check import CHECK_RULES, drift_findings
from driftwatch.usecases.explain import describe_changes

REF = parse_reference("python:3.12-slim")
AMD64 = Platform("linux", "amd64")
DIFF = PackageDiff(
    "dpkg",
    added=(Package("libssl3", "3.0.11-1~deb12u2"), Package("libffi8", "3.4.4-1")),
    removed=(Package("libssl1.1", "1.1.1w-0+deb11u1"), Package("libffi7", "3.3-6")),
    upgraded=(VersionChange("libc6", "2.31-13+deb11u8", "2.36-9+deb12u4"),),
    libraries_gone=(("libssl.so.1.1", "libssl1.1"), ("libcrypto.so.1.1", "libssl1.1")),
)
SUMMARY = (
    "What changed: libssl.so.1.1, libcrypto.so.1.1 no longer in the image (from libssl1.1); "
    "packages: 2 added, 2 removed, 1 upgraded; libssl1.1 1.1.1w-0+deb11u1 removed, "
    "libssl3 3.0.11-1~deb12u2 added, libc6 2.31-13+deb11u8 -> 2.36-9+deb12u4."
)


def _drift(kind: DriftKind = DriftKind.OS_RELEASE, explanation: Explanation | None = None) -> Drift:
    old = OsRelease("debian", "11", "bullseye")
    new = OsRelease("debian", "12", "bookworm") if kind is DriftKind.OS_RELEASE else old
    return Drift(
        kind,
        REF,
        "linux/amd64",
        PlatformImage(AMD64, "sha256:" + "a" * 64, "m", os=old),
        PlatformImage(AMD64, "sha256:" + "b" * 64, "m", os=new),
        datetime(2023, 6, 13, tzinfo=timezone.utc),
        explanation=explanation or Explanation("os-release", DIFF),
    )


def _findings(drift: Drift) -> list:  # type: ignore[type-arg]
    use = BaseImageUse("Dockerfile", 1, 6, "python:3.12-slim", UseKind.FROM, REF)
    return drift_findings({REF: [drift]}, {REF: [use]}, {}, "release")


def test_summary_order_libraries_counts_notable() -> None:
    assert describe_changes(Explanation("os-release", DIFF)) == SUMMARY


def test_unknown_diff_says_why_and_keeps_the_libraries() -> None:
    unknown = PackageDiff(problem="new image: package database not readable: rpm")
    text = describe_changes(Explanation("packages", unknown))
    assert (
        text
        == "What changed: package changes unknown (new image: package database not readable: rpm)."
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_summary(fmt: str) -> None:
    out = render(_findings(_drift()), fmt, rules=CHECK_RULES)
    for said in (
        "libssl.so.1.1",
        "libssl1.1 1.1.1w-0+deb11u1 removed",
        "libssl3 3.0.11-1~deb12u2 added",
    ):
        assert said in out


def test_json_and_sarif_carry_move_and_changes() -> None:
    findings = _findings(_drift())
    data = json.loads(render(findings, "json"))["findings"][0]
    assert data["move"] == "os-release"
    assert data["changes"]["libraries_removed"][0] == {
        "soname": "libssl.so.1.1",
        "package": "libssl1.1",
    }
    sarif = json.loads(render(findings, "sarif", rules=CHECK_RULES))["runs"][0]["results"][0]
    assert sarif["properties"]["move"] == "os-release"
    plain = dataclasses.replace(findings[0], move=None, changes=None)
    assert "move" not in json.loads(render([plain], "json"))["findings"][0]


def test_alert_carries_the_summary_and_routes_library_removed() -> None:
    rebuild = _drift(DriftKind.DIGEST, Explanation("packages", DIFF))
    quiet = _drift(DriftKind.DIGEST, Explanation("packages", PackageDiff("dpkg")))
    destination = Destination.from_url("json://localhost/hook", on=["release", "library-removed"])
    wanted, _ = route([rebuild, quiet], [], destination)
    assert wanted == [rebuild]
    message = compose(wanted, [], {}, markdown=False)
    assert message is not None and SUMMARY in message.body
    metadata = _drift(DriftKind.DIGEST, Explanation("metadata-only"))
    assert route([metadata], [], destination)[0] == []


def test_a_diff_that_could_not_be_read_still_reaches_the_library_removed_route() -> None:
    unread = _drift(
        DriftKind.DIGEST, Explanation("packages", PackageDiff("dpkg", problem="timeout"))
    )
    destination = Destination.from_url("json://localhost/hook", on=["library-removed"])
    assert route([unread], [], destination)[0] == [unread]  # unknown is never "none removed"
