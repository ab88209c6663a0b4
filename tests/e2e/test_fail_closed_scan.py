"""Issue 12 on the `scan` side: a 404 inside a tag that still exists is "could not check", never a
recorded `tag-vanished` (then `tag-reappeared`); a shape change never hides a release move."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.e2e.faultscan import event_kinds, run_cli
from tests.testbed.distros import debian_image, debian_index
from tests.testbed.registry import RegistryServer, push_image, push_index


def _project(root: Path, registry: RegistryServer, image: str) -> Path:
    (root / "driftwatch.toml").write_text(
        f'images = ["{image}"]\ndb = "history.db"\nretries = 0\n'
        f'[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )
    return root


def test_a_child_manifest_404_is_never_a_vanished_tag(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root = _project(tmp_path, registry, "dw-fcs-404:1")
    push_index(registry, "library/dw-fcs-404", "1", debian_index("bookworm", seed="s1"))
    assert run_cli(root, "scan").returncode == 0
    moved = debian_index("trixie", seed="s2")
    push_index(registry, "library/dw-fcs-404", "1", moved)
    url = f"{registry.url}/v2/library/dw-fcs-404/manifests/{moved.images[0].digest}"
    assert httpx.delete(url).status_code == 202
    broken = run_cli(root, "scan", "--format", "json")
    assert broken.returncode == 3, broken.stdout + broken.stderr
    [row] = json.loads(broken.stdout)["images"]
    assert "404" in row["error"]
    assert event_kinds(root) == []
    push_index(registry, "library/dw-fcs-404", "1", debian_index("trixie", seed="s3"))
    healed = run_cli(root, "scan")
    assert healed.returncode == 1, healed.stdout
    assert sorted(event_kinds(root)) == ["os-release", "os-release"]  # no vanished/reappeared pair


def test_index_to_single_manifest_still_shows_the_release_move(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root = _project(tmp_path, registry, "dw-fcs-shape:1")
    push_index(registry, "library/dw-fcs-shape", "1", debian_index("bookworm", seed="t1"))
    assert run_cli(root, "scan").returncode == 0
    push_image(registry, "library/dw-fcs-shape", "1", debian_image("trixie", seed="t2"))
    moved = run_cli(root, "scan", "--format", "json")
    assert moved.returncode == 1, moved.stdout + moved.stderr
    [row] = json.loads(moved.stdout)["images"]
    kinds = {(d["kind"], d["platform"]) for d in row["drifts"]}
    assert ("os-release", "linux/amd64") in kinds
    assert row["platforms"][0]["platform"] == "linux/amd64"


def test_an_unchanged_single_manifest_costs_one_head_with_a_cold_cache(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root = _project(tmp_path, registry, "dw-fcs-cold:1")
    push_image(registry, "library/dw-fcs-cold", "1", debian_image("bookworm", seed="k1"))
    assert run_cli(root, "scan").returncode == 0
    (root / "cache").rename(root / "warm")  # a CI runner: the history is kept, the cache is not
    mark = registry.mark()
    again = run_cli(root, "scan", "--format", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    [row] = json.loads(again.stdout)["images"]
    assert row["platforms"][0]["platform"] == "linux/amd64" and row["drifts"] == []
    requests = [(m, p) for m, p, _ in registry.requests_since(mark) if p != "/v2/"]
    assert requests == [("HEAD", "/v2/library/dw-fcs-cold/manifests/1")]  # platform + OS: history


def test_a_vanished_tag_and_a_dropped_named_platform_fail_the_scan(
    tmp_path: Path, registry: RegistryServer
) -> None:
    from tests.testbed.images import build_index

    root = _project(tmp_path, registry, "dw-fcs-break:1")
    config = root / "driftwatch.toml"
    config.write_text('platforms = ["linux/amd64", "linux/arm64"]\n' + config.read_text())
    first = debian_index("bookworm", seed="b1")
    digest = push_index(registry, "library/dw-fcs-break", "1", first)
    assert run_cli(root, "scan").returncode == 0
    push_index(registry, "library/dw-fcs-break", "1", build_index([first.images[0]]))
    dropped = run_cli(root, "scan", "--format", "json")
    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    [row] = json.loads(dropped.stdout)["images"]
    assert [(d["kind"], d["severity"]) for d in row["drifts"]] == [("platform-removed", "release")]
    current = json.loads(dropped.stdout)["images"][0]["digest"]
    url = f"{registry.url}/v2/library/dw-fcs-break/manifests/{current}"
    assert httpx.delete(url).status_code == 202
    vanished = run_cli(root, "scan")
    assert vanished.returncode == 1, vanished.stdout + vanished.stderr
    assert "no longer exists in the registry" in vanished.stdout
    assert "gone from the registry" in vanished.stdout and f"@{current}" not in vanished.stdout
    assert digest != current
