"""Issue 4's cases against the real registry: `driftwatch resolve --os` as a process, docker.io sent
to the bench registry by the config, images built and pushed with tests.bench."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.bench import OpaqueDir, Whiteout, build_image, build_index, push_image, push_index
from tests.bench.distros import (
    alpine_files,
    amazonlinux_files,
    app_files,
    debian_files,
    debian_index,
    distroless_files,
    os_release,
    ubi_files,
    ubuntu_files,
    wolfi_files,
)
from tests.bench.images import Blob, Image, Index
from tests.bench.registry import RegistryServer

REPO = "library/osdemo"
DEBIAN_SH = (
    "/bin/sh -c #(nop) ADD file:0a1b in / # debian.sh --arch 'amd64' out/ '{}' '@1749513600'"
)
Expected = dict[str, dict[str, Any]]  # platform -> expected `os` object (subset)


def os_of(
    id_: str | None, version: str | None, codename: str | None, point: str | None, source: str
) -> dict[str, Any]:
    """The `os` object resolve --os prints for one platform."""
    return {
        "id": id_,
        "version_id": version,
        "codename": codename,
        "point_release": point,
        "source": source,
    }


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> Path:
    """A working directory whose driftwatch.toml sends docker.io to the bench registry."""
    (tmp_path / "driftwatch.toml").write_text(
        f'retries = 0\ntimeout = 10\n[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )
    return tmp_path


def driftwatch(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftwatch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


def resolve_os(cwd: Path, tag: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Exit code, the JSON row for `osdemo:<tag>` and stderr."""
    done = driftwatch(cwd, "resolve", "--os", "--format", "json", f"osdemo:{tag}", *extra)
    assert "Traceback" not in done.stderr, done.stderr
    [row] = json.loads(done.stdout)
    return done.returncode, row, done.stderr


def by_platform(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(p["platform"]): p["os"] for p in row["platforms"]}


def single(*layers: dict[str, Any], **options: Any) -> Image:
    return build_image(list(layers), **options)


def debian_text(codename: str) -> bytes:
    version = {"bullseye": "11", "bookworm": "12", "trixie": "13"}[codename]
    return os_release(ID="debian", VERSION_ID=version, VERSION_CODENAME=codename)


CASES: dict[str, tuple[Callable[[], Image | Index], Expected]] = {
    "debian-upper-layer-replaces-link-target": (
        lambda: single(
            debian_files("bookworm", "12.4"),
            {"usr/lib/os-release": debian_text("trixie"), "etc/debian_version": b"13.1\n"},
        ),
        {"None": os_of("debian", "13", "trixie", "13.1", "layer:etc/os-release")},
    ),
    "whiteout-etc-os-release": (
        lambda: single(debian_files("bookworm", "12.6"), {"etc/os-release": Whiteout()}),
        {"None": os_of("debian", "12", "bookworm", "12.6", "layer:usr/lib/os-release")},
    ),
    "opaque-etc": (
        lambda: single(
            debian_files("bullseye", "11.9", link=False),
            {"usr/lib/os-release": debian_text("bookworm")},
            {"etc": OpaqueDir(), "etc/hostname": b"app\n"},
        ),
        {"None": os_of("debian", "12", "bookworm", None, "layer:usr/lib/os-release")},
    ),
    "oci-zstd-and-uncompressed": (
        lambda: build_index(
            [
                single(debian_files("trixie", "13.2"), app_files("z"), compression="zstd"),
                single(
                    debian_files("trixie", "13.2"),
                    app_files("n"),
                    architecture="arm64",
                    compression="none",
                ),
            ]
        ),
        {
            "linux/amd64": os_of("debian", "13", "trixie", "13.2", "layer:etc/os-release"),
            "linux/arm64": os_of("debian", "13", "trixie", "13.2", "layer:etc/os-release"),
        },
    ),
    "docker-v2-list": (
        lambda: build_index(
            [
                single(debian_files("bullseye", "11.8"), app_files("g"), oci=False),
                single(
                    debian_files("bullseye", "11.8"),
                    architecture="arm64",
                    oci=False,
                    compression="none",
                ),
            ],
            oci=False,
        ),
        {
            "linux/amd64": os_of("debian", "11", "bullseye", "11.8", "layer:etc/os-release"),
            "linux/arm64": os_of("debian", "11", "bullseye", "11.8", "layer:etc/os-release"),
        },
    ),
    "docker-v2-single-manifest": (
        lambda: single(debian_files("bookworm", "12.7"), app_files("d"), oci=False),
        {"None": os_of("debian", "12", "bookworm", "12.7", "layer:etc/os-release")},
    ),
    "index-mid-rollout-with-attestations": (
        lambda: debian_index("bookworm", seed="r", arm64_codename="trixie"),
        {
            "linux/amd64": os_of("debian", "12", "bookworm", "12.1", "layer:etc/os-release"),
            "linux/arm64/v8": os_of("debian", "13", "trixie", "13.1", "layer:etc/os-release"),
        },
    ),
    "ubuntu": (
        lambda: single(ubuntu_files(), app_files("u")),
        {"None": os_of("ubuntu", "24.04", "noble", "24.04.1", "layer:etc/os-release")},
    ),
    "alpine": (
        lambda: single(alpine_files("3.20.3"), app_files("a")),
        {"None": os_of("alpine", "3.20.3", None, "3.20.3", "layer:etc/os-release")},
    ),
    "distroless": (
        lambda: single(distroless_files(), app_files("l")),
        {"None": os_of("debian", "12", "bookworm", "12.5", "layer:etc/os-release")},
    ),
    "ubi": (
        lambda: single(ubi_files("9.4"), app_files("r")),
        {"None": os_of("rhel", "9.4", None, "9.4", "layer:etc/os-release")},
    ),
    "amazonlinux": (
        lambda: single(amazonlinux_files(), app_files("m")),
        {"None": os_of("amzn", "2023", None, "2023.4.20240401", "layer:etc/os-release")},
    ),
    "wolfi": (
        lambda: single(wolfi_files(), app_files("w")),
        {"None": os_of("wolfi", "rolling", None, "20230201", "layer:etc/os-release")},
    ),
    "scratch": (
        lambda: single({"app": b"static binary"}),
        {"None": os_of(None, None, None, None, "layers")},
    ),
}


def publish(registry: RegistryServer, tag: str, image: Image | Index) -> str:
    if isinstance(image, Index):
        return push_index(registry, REPO, tag, image)
    return push_image(registry, REPO, tag, image)


@pytest.mark.parametrize("case", sorted(CASES))
def test_os_release_of_each_platform(case: str, project: Path, registry: RegistryServer) -> None:
    build, expected = CASES[case]
    digest = publish(registry, case, build())
    code, row, stderr = resolve_os(project, case)
    assert (code, stderr) == (0, "")
    assert row["digest"] == digest
    found = by_platform(row)
    assert found == expected  # attestation entries (unknown/unknown) never show up
