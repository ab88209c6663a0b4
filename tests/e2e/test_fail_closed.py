"""Issue 12, the numbered cases: `check` and `lock` never pass on what they could not prove.

Each project locks `dw-fc<n>:1` as a bookworm index (linux/amd64, linux/arm64/v8); the tag then
moves to trixie in a way that hides the move (an unreadable layer, a shape change, a lying index).
Every test here exited 0 (or wrote an unknown OS into the lock) before the fix.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.e2e.failclosed import delete, lock_json, locked_project, publish, raw_index
from tests.e2e.guard import driftwatch
from tests.testbed.distros import app_files, debian_files, debian_image, debian_index, os_release
from tests.testbed.images import build_image, build_index
from tests.testbed.registry import RegistryServer, corrupt_blob

AMD64 = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64", "variant": "v8"}


def _moved(registry: RegistryServer, repo: str, seed: str) -> tuple[str, str]:
    """Move `repo:1` to a trixie index; (amd64 manifest digest, its top layer digest)."""
    index = debian_index("trixie", seed=seed)
    publish(registry, repo, index)
    amd64 = index.images[0]
    return amd64.digest, amd64.layers[-1].digest


def _could_not_check(result: object, repo: str, platform: str, reason: str) -> None:
    stdout = getattr(result, "stdout", "")
    assert getattr(result, "returncode", None) == 3, stdout + getattr(result, "stderr", "")
    line = next((ln for ln in stdout.splitlines() if "could not check" in ln), "")
    assert f"{repo}:1" in line and platform in line and reason in line, stdout
    assert "rebuilt on the same OS" not in stdout


@pytest.mark.parametrize("fault", ["layer-404", "layer-corrupt", "child-404"])
def test_new_os_unreadable_is_could_not_check_for_check_and_lock(
    tmp_path: Path, registry: RegistryServer, fault: str
) -> None:
    repo = f"dw-fc1-{fault}"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    before = (project / "driftwatch.lock").read_text()
    manifest, layer = _moved(registry, repo, f"{repo}-2")
    if fault == "layer-404":
        delete(registry, repo, "blobs", layer)
    elif fault == "layer-corrupt":
        corrupt_blob(registry, layer)
    else:
        delete(registry, repo, "manifests", manifest)
    checked = driftwatch(project, "check")
    reason = {"layer-404": "404", "layer-corrupt": "hashes to", "child-404": "404"}[fault]
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert f"could not check {repo}:1: linux/amd64:" in checked.stdout  # image, platform
    assert reason in checked.stdout
    assert "rebuilt on the same OS" not in checked.stdout
    assert "tag-vanished" not in checked.stdout
    relaxed = driftwatch(project, "check", "--fail-on", "release", "--format", "json")
    assert relaxed.returncode == 3
    allowed = driftwatch(project, "check", "--allow-unreachable", "--format", "json")
    assert allowed.returncode == 0, allowed.stdout
    [finding] = [f for f in json.loads(allowed.stdout)["findings"] if f["severity"] != "note"]
    assert finding["severity"] == "warning" and "--allow-unreachable" in finding["message"]
    relock = driftwatch(project, "lock")
    assert relock.returncode == 3 and f"{repo}:1" in relock.stderr
    assert (project / "driftwatch.lock").read_text() == before  # never an unknown OS


def test_os_detection_time_bound_is_could_not_check(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc1-bound"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    _moved(registry, repo, f"{repo}-2")
    config = project / "driftwatch.toml"
    config.write_text(config.read_text() + "[osinfo]\nmax_seconds = 0.000001\n")
    checked = driftwatch(project, "check")
    _could_not_check(checked, repo, "linux/amd64", "time bound")
    for fmt in ("github", "sarif", "markdown", "gitlab"):
        allowed = driftwatch(project, "check", "--allow-unreachable", "--format", fmt)
        assert allowed.returncode == 0 and "--allow-unreachable" in allowed.stdout, fmt
    relock = driftwatch(project, "lock")
    assert relock.returncode == 3 and "linux/amd64" in relock.stderr
    assert all(p["os"] for i in lock_json(project)["images"] for p in i["platforms"])


@pytest.mark.parametrize("shape", ["index-to-single", "single-to-index", "arm64-v8-to-arm64"])
def test_a_release_move_is_found_whatever_the_shape_change(
    tmp_path: Path, registry: RegistryServer, shape: str
) -> None:
    repo = f"dw-fc2-{shape}"
    old = (
        debian_image("bookworm", seed=repo)
        if shape == "single-to-index"
        else debian_index("bookworm", seed=repo)
    )
    project = locked_project(tmp_path, registry, repo, old)
    platforms = [p["platform"] for p in lock_json(project)["images"][0]["platforms"]]
    assert "linux/amd64" in platforms  # a single manifest's platform comes from its config
    if shape == "index-to-single":
        publish(registry, repo, debian_image("trixie", seed=f"{repo}-2"))
    elif shape == "single-to-index":
        publish(registry, repo, debian_index("trixie", seed=f"{repo}-2"))
    else:
        amd = debian_image("trixie", seed=f"{repo}-2")
        arm = debian_image("trixie", seed=f"{repo}-2", architecture="arm64")  # no variant
        publish(registry, repo, build_index([amd, arm]))
    checked = driftwatch(project, "check", "--format", "json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    moved = {
        (f["rule_id"], f["message"].split("(")[1].split(")")[0])
        for f in json.loads(checked.stdout)["findings"]
    }
    assert ("os-release", "linux/amd64") in moved
    if shape == "arm64-v8-to-arm64":
        assert ("os-release", "linux/arm64/v8") in moved
        assert not any(rule.startswith("platform-") for rule, _ in moved)


@pytest.mark.parametrize("shape", ["empty", "attestations-only", "platform-less"])
def test_an_index_without_usable_entries_is_refused_and_never_locked(
    tmp_path: Path, registry: RegistryServer, shape: str
) -> None:
    repo = f"dw-fc3-{shape}"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    before = (project / "driftwatch.lock").read_text()
    image = debian_image("trixie", seed=f"{repo}-2")
    if shape == "empty":
        raw_index(registry, repo, [], [])
    elif shape == "attestations-only":
        raw_index(registry, repo, [image], [{"os": "unknown", "architecture": "unknown"}])
    else:
        raw_index(registry, repo, [image], [None])
    checked = driftwatch(project, "check")
    assert checked.returncode == 3, checked.stdout
    assert f"could not check {repo}:1" in checked.stdout
    relock = driftwatch(project, "lock")
    assert relock.returncode == 3
    assert (project / "driftwatch.lock").read_text() == before
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "driftwatch.toml").write_text((project / "driftwatch.toml").read_text())
    (fresh / "Dockerfile").write_text(f"FROM {repo}:1\n")
    first = driftwatch(fresh, "lock")
    assert first.returncode == 3
    assert not (fresh / "driftwatch.lock").exists()  # nothing could be locked: no lock written


def test_duplicate_platform_entries_are_a_registry_lie(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc4"
    locked = debian_index("bookworm", seed=repo)
    project = locked_project(tmp_path, registry, repo, locked)
    trixie = debian_image("trixie", seed=f"{repo}-2")
    raw_index(registry, repo, [trixie, locked.images[0]], [AMD64, AMD64])
    checked = driftwatch(project, "check")
    assert checked.returncode == 3, checked.stdout
    assert "linux/amd64 twice" in checked.stdout


def test_a_deleted_tag_fails_and_the_fix_never_pins_the_deleted_digest(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc7-tag"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    digest = lock_json(project)["images"][0]["digest"]
    delete(registry, repo, "manifests", digest)
    checked = driftwatch(project, "check")
    assert checked.returncode == 1, checked.stdout
    assert "Dockerfile:1:6: error tag-vanished:" in checked.stdout
    assert f"@{digest}" not in checked.stdout
    assert "locked digest is gone from the registry" in checked.stdout
    assert driftwatch(project, "check", "--fail-on", "never").returncode == 0


def test_a_dropped_platform_fails_with_its_file_name(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc7-platform"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    old = lock_json(project)["images"][0]["digest"]
    publish(registry, repo, build_index([debian_image("bookworm", seed=repo)]))
    checked = driftwatch(project, "check")
    assert checked.returncode == 1, checked.stdout
    assert "Dockerfile:1:6: error platform-removed:" in checked.stdout
    assert f"FROM {repo}:1@{old}" in checked.stdout  # still served: pinning it works
    for args in (("Dockerfile",), ("--format", "github"), ("--lockfile", "driftwatch.lock")):
        again = driftwatch(project, "check", *args)
        assert "Dockerfile" in again.stdout.split("platform-removed")[0], (args, again.stdout)


def _debian_sh(suite: str, day: str) -> list[dict[str, str]]:
    """The build history line of the official Debian images: suite at a snapshot epoch."""
    epoch = int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())
    line = (
        f"/bin/sh -c #(nop) ADD file:0a1b in / # debian.sh --arch 'amd64' out/ '{suite}' '@{epoch}'"
    )
    return [{"created_by": line}]


FORKY = {
    "etc/os-release": os_release(
        PRETTY_NAME="Debian GNU/Linux 14 (forky)",
        NAME="Debian GNU/Linux",
        VERSION_ID="14",
        VERSION="14 (forky)",
        VERSION_CODENAME="forky",
        ID="debian",
    ),
    "etc/debian_version": b"14.1\n",
}


def test_a_stable_hint_dated_after_the_release_table_is_not_believed(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc5-stable"
    trixie = build_image(
        [debian_files("trixie"), app_files(repo)], history=_debian_sh("stable", "2025-09-01")
    )
    project = locked_project(tmp_path, registry, repo, trixie)
    [platform] = lock_json(project)["images"][0]["platforms"]
    assert platform["os"]["codename"] == "trixie"
    forky = build_image([FORKY, app_files(repo)], history=_debian_sh("stable", "2027-09-01"))
    publish(registry, repo, forky)
    checked = driftwatch(project, "check")  # the default mode: fast
    assert checked.returncode == 1, checked.stdout
    assert "moved from Debian 13 (trixie) to Debian 14 (forky)" in checked.stdout


def test_full_mode_reports_a_hint_the_filesystem_contradicts(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc5-full"
    project = locked_project(
        tmp_path, registry, repo, build_image([debian_files("trixie"), app_files(repo)])
    )
    lying = build_image(
        [debian_files("trixie"), app_files(f"{repo}-2")],
        history=_debian_sh("bookworm", "2025-09-01"),
    )
    publish(registry, repo, lying)
    checked = driftwatch(project, "check", "--os-detect", "full", "--format", "json")
    assert checked.returncode == 0, checked.stdout
    rules = {f["rule_id"]: f for f in json.loads(checked.stdout)["findings"]}
    assert set(rules) == {"digest", "os-hint-disagrees"}
    assert "config-history says" in rules["os-hint-disagrees"]["message"]
    assert rules["os-hint-disagrees"]["severity"] == "warning"


def test_a_dockerfile_the_gate_cannot_read_fails_check_and_lock(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc6"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    (project / "Dockerfile").write_bytes(f"# caf\xe9\nFROM {repo}:1\n".encode("latin-1"))
    latin = driftwatch(project, "check", "--format", "json")
    assert (latin.returncode, json.loads(latin.stdout)["findings"]) == (0, [])  # BuildKit builds it
    (project / "big.Dockerfile").write_bytes(b"FROM debian:12\n" + b"#\n" * (5 * 1024 * 1024))
    checked = driftwatch(project, "check", "--format", "json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    [finding] = json.loads(checked.stdout)["findings"]
    assert (finding["file"], finding["rule_id"], finding["severity"]) == (
        "big.Dockerfile",
        "unreadable-file",
        "error",
    )
    before = (project / "driftwatch.lock").read_text()
    relock = driftwatch(project, "lock")
    assert relock.returncode == 2 and "big.Dockerfile" in relock.stderr
    assert (project / "driftwatch.lock").read_text() == before


def test_lock_records_its_platform_filter_and_os_detect_off(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc-choices"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    narrowed = driftwatch(project, "lock", "--platform", "linux/amd64")
    assert narrowed.returncode == 0, narrowed.stderr
    [entry] = lock_json(project)["images"]
    assert entry["platform_filter"] == ["linux/amd64"]
    assert [p["platform"] for p in entry["platforms"]] == ["linux/amd64"]
    same = driftwatch(project, "check", "--format", "json")
    assert (same.returncode, json.loads(same.stdout)["findings"]) == (0, [])  # arm64 is not "added"

    off = driftwatch(project, "lock", "--os-detect", "off")
    assert off.returncode == 0, off.stderr
    [entry] = lock_json(project)["images"]
    assert entry["os_detect"] == "off" and all(p["os"] is None for p in entry["platforms"])
    publish(registry, repo, debian_index("trixie", seed=f"{repo}-2"))
    warned = driftwatch(project, "check", "--format", "json")
    assert warned.returncode == 0, warned.stdout
    rules = sorted(f["rule_id"] for f in json.loads(warned.stdout)["findings"])
    assert rules == ["digest", "digest", "os-not-judged"]


def test_an_unchanged_single_manifest_costs_one_head_on_a_cold_runner(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc-cold"
    project = locked_project(tmp_path, registry, repo, debian_image("bookworm", seed=repo))
    mark = registry.mark()
    cold = {"DRIFTWATCH_CACHE_DIR": str(tmp_path / "fresh-cache")}
    checked = driftwatch(project, "check", env=cold)
    assert checked.returncode == 0, checked.stdout
    requests = [(m, p) for m, p, _ in registry.requests_since(mark) if p != "/v2/"]
    assert requests == [("HEAD", f"/v2/library/{repo}/manifests/1")]  # platform + OS: the lock


def test_a_lying_index_is_usable_when_the_config_says_which_platform_to_take(
    tmp_path: Path, registry: RegistryServer
) -> None:
    repo = "dw-fc4-config"
    project = locked_project(tmp_path, registry, repo, debian_index("bookworm", seed=repo))
    amd = debian_image("trixie", seed=f"{repo}-2")
    arm = debian_image("bookworm", seed=f"{repo}-3", architecture="arm64", variant="v8")
    raw_index(registry, repo, [amd, amd, arm, arm], [AMD64, AMD64, ARM64, None])
    lied = driftwatch(project, "check")
    assert lied.returncode == 3 and "registry lie" in lied.stdout, lied.stdout
    only_amd64 = driftwatch(project, "check", "--platform", "linux/amd64")
    assert only_amd64.returncode == 3 and "linux/amd64 twice" in only_amd64.stdout
    config = project / "driftwatch.toml"
    config.write_text('platforms = ["linux/arm64"]\n' + config.read_text())
    taken = driftwatch(project, "check", "--format", "json")
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert [f["rule_id"] for f in json.loads(taken.stdout)["findings"]] == [
        "digest"
    ]  # arm64 rebuilt
