"""What a scan costs the registry: the first one fetches each platform image once however many tags
share it; an unchanged repeat is exactly one manifest HEAD per reference and no blob request."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.e2e.scanning import run_cli, unique_repo, write_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

TAGS = [f"t{n}" for n in range(6)]


def test_first_scan_fetches_each_blob_once_and_a_repeat_only_heads(
    tmp_path: Path, registry: RegistryServer, sqlite_url: str
) -> None:
    repo = unique_repo("cost")
    index = debian_index("bookworm", seed="shared")
    for tag in TAGS:  # six tags, one index: a release line with many aliases
        index_digest = push_index(registry, f"library/{repo}", tag, index)
    project = write_project(tmp_path / "p", registry.url, [f"{repo}:{tag}" for tag in TAGS])

    mark = registry.mark()
    first = run_cli(project, "scan", "--db", sqlite_url)
    assert first.returncode == 0, first.stderr
    requests = [r for r in registry.requests_since(mark) if f"/{repo}/" in r[1]]
    blobs = Counter(path for method, path, _ in requests if "/blobs/" in path)
    assert blobs, "OS detection read no blob at all"
    # amd64 and arm64 share their Debian layer, which both detections may read at the same
    # moment; but no platform image is examined once per tag (that would be 6 reads)
    assert max(blobs.values()) <= 2, blobs
    platform_manifests = Counter(
        path
        for method, path, _ in requests
        if method == "GET" and "/manifests/sha256:" in path and index_digest not in path
    )
    assert sorted(platform_manifests.values()) == [1, 1], platform_manifests
    assert "Debian 12 (bookworm)" in first.stdout

    mark = registry.mark()
    again = run_cli(project, "scan", "--db", sqlite_url, "--fail-on", "digest")
    assert again.returncode == 0, again.stderr
    requests = [r for r in registry.requests_since(mark) if f"/{repo}/" in r[1]]
    assert sorted(requests) == sorted(
        ("HEAD", f"/v2/library/{repo}/manifests/{tag}", 200) for tag in TAGS
    )


def test_a_tag_never_seen_costs_one_get_outside_docker_hub(
    tmp_path: Path, registry: RegistryServer, sqlite_url: str
) -> None:
    repo = unique_repo("first")
    index_digest = push_index(registry, f"team/{repo}", "1", debian_index("trixie", seed="f"))
    reference = f"{registry.host}/team/{repo}:1"  # a private registry, not docker.io
    project = write_project(tmp_path / "p", registry.url, [reference])
    tag_path = f"/v2/team/{repo}/manifests/1"

    mark = registry.mark()
    first = run_cli(project, "scan", "--db", sqlite_url, "--os-detect", "off", "--format", "json")
    assert first.returncode == 0, first.stderr
    on_tag = [(m, p) for m, p, _ in registry.requests_since(mark) if p == tag_path]
    assert on_tag == [("GET", tag_path)]  # the body had to be hashed anyway: no HEAD first
    assert [row["digest"] for row in json.loads(first.stdout)["images"]] == [
        index_digest
    ]  # hashed body

    mark = registry.mark()
    again = run_cli(project, "scan", "--db", sqlite_url, "--os-detect", "off")
    assert again.returncode == 0, again.stderr
    on_tag = [(m, p) for m, p, _ in registry.requests_since(mark) if p == tag_path]
    assert on_tag == [("HEAD", tag_path)]
