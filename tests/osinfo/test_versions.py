"""dpkg and apk version order against the real algorithms' own cases (and the real dpkg)."""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from driftwatch.osinfo.versions import apk_compare, compare_versions, dpkg_compare

ASSETS = Path(__file__).parent.parent / "assets" / "packages"
_SIGN = {"<": -1, "=": 0, ">": 1}


def _apk_cases() -> list[tuple[str, str, int]]:
    """apk-tools v2.14.9 test/version.data: `a OP b [# comment]` per line."""
    cases = []
    for line in (ASSETS / "apk-version-2.14.9.data").read_text().splitlines():
        text = line.split("#", 1)[0].split()
        if len(text) == 3:
            cases.append((text[0], text[2], _SIGN[text[1]]))
    return cases


APK_CASES = _apk_cases()


def test_apk_vector_file_is_the_whole_upstream_file() -> None:
    assert len(APK_CASES) > 700


@pytest.mark.parametrize(("left", "right", "expected"), APK_CASES)
def test_apk_order_matches_apk_tools(left: str, right: str, expected: int) -> None:
    assert apk_compare(left, right) == expected
    assert apk_compare(right, left) == -expected


# Debian Policy 5.6.12 and dpkg's own t-version.c cases, plus the incident's versions.
DPKG_CASES = [
    ("1.0", "1.0", 0),
    ("0:1.0", "1.0", 0),
    ("1:1.0", "1.0", 1),
    ("2:1.0", "1:9.9", 1),
    ("1.0", "1.0-1", -1),
    ("1.2.3", "1.2.3-0", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0~~", "1.0~~a", -1),
    ("1.0~~a", "1.0~", -1),
    ("1.0~", "1.0", -1),
    ("1.0", "1.0a", -1),
    ("1.0a", "1.0+", -1),
    ("1.0.0", "1.0", 1),
    ("1.0-1~bpo11+1", "1.0-1", -1),
    ("1.001", "1.1", 0),
    ("1.1.1w-0+deb11u1", "3.0.11-1~deb12u2", -1),
    ("3.0.11-1~deb12u2", "3.0.11-1", -1),
    ("3.0.11-1~deb12u2", "3.0.11-1~deb12u1", 1),
    ("1:1.2.11.dfsg-2+deb11u2", "1:1.2.13.dfsg-1", -1),
    ("2.31-13+deb11u7", "2.36-9+deb12u4", -1),
    ("1.0-a-1", "1.0-a-2", -1),  # the revision is after the last hyphen
]


@pytest.mark.parametrize(("left", "right", "expected"), DPKG_CASES)
def test_dpkg_order_matches_policy_cases(left: str, right: str, expected: int) -> None:
    assert compare_versions("dpkg", left, right) == expected
    assert compare_versions("dpkg", right, left) == -expected


@pytest.mark.parametrize("bad", ["a:1.0", ":1.0", "1:", "-1"])
def test_dpkg_refuses_malformed_versions(bad: str) -> None:
    with pytest.raises(ValueError):
        dpkg_compare(bad, "1.0")


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs the real dpkg")
def test_dpkg_order_agrees_with_real_dpkg_on_this_machines_versions() -> None:
    """Every version of this machine's dpkg database, sampled pairwise, ordered like dpkg does."""
    status = Path("/var/lib/dpkg/status").read_text(encoding="utf-8", errors="replace")
    versions = sorted(
        {line[9:].strip() for line in status.splitlines() if line.startswith("Version: ")}
    )
    tricky = [v for v, _, _ in DPKG_CASES if ":" not in v or v[0].isdigit()]
    pool = versions + tricky
    pairs = random.Random(17).sample(list(itertools.combinations(pool, 2)), 150)
    for left, right in pairs:
        real = {
            op: subprocess.run(["dpkg", "--compare-versions", left, op, right]).returncode == 0
            for op in ("lt", "eq")
        }
        expected = -1 if real["lt"] else 0 if real["eq"] else 1
        assert compare_versions("dpkg", left, right) == expected, (left, right)
