"""The one severity scale: report levels, --fail-on words, notify routes, OS evidence kinds."""

from __future__ import annotations

from typing import get_args

import pytest

from driftwatch.config import FAIL_ON_LEVELS
from driftwatch.configmodel import FailOn, Route
from driftwatch.models import (
    FAIL_ON,
    LEVELS,
    ROUTES,
    DriftKind,
    Level,
    OsRelease,
    OsSource,
    Severity,
)
from driftwatch.notify.destinations import DEFAULT_ON
from driftwatch.report.finding import Finding


def test_levels_order_by_seriousness_not_by_name() -> None:
    assert sorted([Level.ERROR, Level.NOTE, Level.WARNING]) == list(Level)
    assert max(Level.NOTE, Level.ERROR, Level.WARNING) is Level.ERROR
    assert Level.WARNING >= "note" and Level.NOTE < "error"
    assert LEVELS == ("note", "warning", "error")
    assert [(lv.github, lv.gitlab, lv.sarif) for lv in Level] == [
        ("notice", "info", "note"),
        ("warning", "minor", "warning"),
        ("error", "major", "error"),
    ]
    assert f"{Level.ERROR}" == "error"


def test_a_finding_takes_the_plain_word_and_refuses_others() -> None:
    finding = Finding("f", 1, 1, "X", "warning", "t", "m")  # type: ignore[arg-type]
    assert finding.severity is Level.WARNING
    with pytest.raises(ValueError, match="severity"):
        Finding("f", 1, 1, "X", "fatal", "t", "m")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("severity", "floor", "level"),
    [
        (Severity.DIGEST, None, Level.NOTE),
        (Severity.OS, None, Level.WARNING),
        (Severity.RELEASE, Severity.RELEASE, Level.ERROR),
        (Severity.OS, Severity.RELEASE, Level.WARNING),
        (Severity.DIGEST, Severity.DIGEST, Level.ERROR),
    ],
)
def test_a_drift_severity_maps_to_one_report_level(
    severity: Severity, floor: Severity | None, level: Level
) -> None:
    assert severity.level(floor) is level


def test_fail_on_words_and_routes_are_defined_once() -> None:
    assert FAIL_ON == FAIL_ON_LEVELS == get_args(FailOn) == ("never", "digest", "os", "release")
    assert [Severity.from_fail_on(word) for word in FAIL_ON] == [None, *Severity]
    routes = ("release", "os", "digest", "eol", "error", "library-removed")
    assert ROUTES == get_args(Route) == routes
    assert {"release", "os", "eol", "error"} == DEFAULT_ON
    assert not DriftKind.OS_EOL.moves and all(k.moves for k in DriftKind if k != "os-eol")


def test_os_sources_name_the_evidence_kind() -> None:
    assert OsSource.of("layer:usr/lib/os-release") is OsSource.LAYER
    assert OsSource.of("cache:config-history") is OsSource.CONFIG_HISTORY
    assert OsSource.of("somewhere") is OsSource.UNKNOWN
    assert OsSource.LAYER.at("etc/os-release") == "layer:etc/os-release"
    assert OsRelease.off().source == OsSource.OFF and OsRelease(None).source == "unknown"
    assert OsRelease(None, source=OsSource.CACHE.at(OsSource.LAYERS)).unsettled is None
