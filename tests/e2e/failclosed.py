"""Helpers for the fail-closed tests: a locked project, registry deletions, hand-made indexes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.guard import driftwatch, make_project
from tests.testbed.images import OCI_INDEX, Blob, Image, Index
from tests.testbed.registry import RegistryServer, push_image, push_index


def locked_project(
    root: Path, registry: RegistryServer, repo: str, index: Index | Image, extra: str = ""
) -> Path:
    """A project whose Dockerfile uses `<repo>:1`, locked while the tag served `index`."""
    project = make_project(root, registry, {"Dockerfile": f"FROM {repo}:1\n"})
    if extra:
        (project / "driftwatch.toml").write_text((project / "driftwatch.toml").read_text() + extra)
    publish(registry, repo, index)
    locked = driftwatch(project, "lock")
    assert locked.returncode == 0, locked.stderr
    return project


def publish(registry: RegistryServer, repo: str, pushed: Index | Image) -> str:
    """Push an index or a single image under `library/<repo>:1`."""
    if isinstance(pushed, Index):
        return push_index(registry, f"library/{repo}", "1", pushed)
    return push_image(registry, f"library/{repo}", "1", pushed)


def delete(registry: RegistryServer, repo: str, kind: str, digest: str) -> None:
    """DELETE a blob or a manifest by digest: the registry then answers 404 for it."""
    url = f"{registry.url}/v2/library/{repo}/{kind}/{digest}"
    answer = httpx.delete(url, timeout=30)
    assert answer.status_code == 202, answer.text


def raw_index(
    registry: RegistryServer, repo: str, images: Sequence[Image], platforms: Sequence[Any]
) -> str:
    """Push `images` by digest and an index over them with the given platform objects as is."""
    entries: list[Mapping[str, Any]] = []
    for image, platform in zip(images, platforms, strict=True):
        push_image(registry, f"library/{repo}", None, image)
        entry: dict[str, Any] = image.manifest.descriptor()
        if platform is not None:
            entry["platform"] = platform
        entries.append(entry)
    doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    blob = Blob(OCI_INDEX, json.dumps(doc).encode())
    return registry.pusher.push_manifest(f"library/{repo}", "1", blob)


def lock_json(project: Path) -> dict[str, Any]:
    """The lock file's content."""
    data: dict[str, Any] = json.loads((project / "driftwatch.lock").read_text())
    return data
