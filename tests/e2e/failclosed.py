"""Helpers for the fail-closed tests: a locked project, registry deletions, hand-made indexes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.faultscan import CACHE_ENV
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


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`driftwatch ARGS` in `root`, in this process (the CLI's entry point, exit code and
    output, the cache under `root`): saves an interpreter start per run of a fault matrix."""
    from driftwatch.cli import main

    out, err = io.StringIO(), io.StringIO()
    before, cache = os.getcwd(), os.environ.get(CACHE_ENV)
    os.chdir(root)
    os.environ[CACHE_ENV] = str(root / "cache")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(before)
        if cache is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = cache
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())
