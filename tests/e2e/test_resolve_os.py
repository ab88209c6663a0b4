"""Issue 4's cases against the real registry: `driftwatch resolve --os` as a process, docker.io sent
to the bench registry by the config, images built and pushed with tests.testbed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.testbed import OpaqueDir, Whiteout, build_image, build_index, push_image, push_index
from tests.testbed.distros import (
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
from tests.testbed.images import Image, Index, replace_top_layer
from tests.testbed.registry import RegistryServer, corrupt_blob

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


def aim(folder: Path, registry: RegistryServer) -> Path:
    """`folder` with a driftwatch.toml that sends docker.io to the bench registry."""
    (folder / "driftwatch.toml").write_text(
        f'retries = 0\ntimeout = 10\n[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )
    return folder


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> Path:
    """A working directory whose driftwatch.toml sends docker.io to the bench registry."""
    return aim(tmp_path, registry)


def driftwatch(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftwatch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
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
        {"linux/amd64": os_of("debian", "13", "trixie", "13.1", "layer:etc/os-release")},
    ),
    "whiteout-etc-os-release": (
        lambda: single(debian_files("bookworm", "12.6"), {"etc/os-release": Whiteout()}),
        {"linux/amd64": os_of("debian", "12", "bookworm", "12.6", "layer:usr/lib/os-release")},
    ),
    "opaque-etc": (
        lambda: single(
            debian_files("bullseye", "11.9", link=False),
            {"usr/lib/os-release": debian_text("bookworm")},
            {"etc": OpaqueDir(), "etc/hostname": b"app\n"},
        ),
        {"linux/amd64": os_of("debian", "12", "bookworm", None, "layer:usr/lib/os-release")},
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
            "linux/arm64/v8": os_of("debian", "13", "trixie", "13.2", "layer:etc/os-release"),
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
            "linux/arm64/v8": os_of("debian", "11", "bullseye", "11.8", "layer:etc/os-release"),
        },
    ),
    "docker-v2-single-manifest": (
        lambda: single(debian_files("bookworm", "12.7"), app_files("d"), oci=False),
        {"linux/amd64": os_of("debian", "12", "bookworm", "12.7", "layer:etc/os-release")},
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
        {"linux/amd64": os_of("ubuntu", "24.04", "noble", "24.04.1", "layer:etc/os-release")},
    ),
    "alpine": (
        lambda: single(alpine_files("3.20.3"), app_files("a")),
        {"linux/amd64": os_of("alpine", "3.20.3", None, "3.20.3", "layer:etc/os-release")},
    ),
    "distroless": (
        lambda: single(distroless_files(), app_files("l")),
        {"linux/amd64": os_of("debian", "12", "bookworm", "12.5", "layer:etc/os-release")},
    ),
    "ubi": (
        lambda: single(ubi_files("9.4"), app_files("r")),
        {"linux/amd64": os_of("rhel", "9.4", None, "9.4", "layer:etc/os-release")},
    ),
    "amazonlinux": (
        lambda: single(amazonlinux_files(), app_files("m")),
        {"linux/amd64": os_of("amzn", "2023", None, "2023.4.20240401", "layer:etc/os-release")},
    ),
    "wolfi": (
        lambda: single(wolfi_files(), app_files("w")),
        {"linux/amd64": os_of("wolfi", "rolling", None, "20230201", "layer:etc/os-release")},
    ),
    "scratch": (
        lambda: single({"app": b"static binary"}),
        {"linux/amd64": os_of(None, None, None, None, "layers")},
    ),
}


def publish(registry: RegistryServer, tag: str, image: Image | Index) -> str:
    if isinstance(image, Index):
        return push_index(registry, REPO, tag, image)
    return push_image(registry, REPO, tag, image)


@pytest.fixture(scope="module")
def resolved(
    registry: RegistryServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every case pushed, then resolved by ONE `resolve --os` process: case -> (digest, row)."""
    folder = aim(tmp_path_factory.mktemp("resolve-os"), registry)
    digests = {case: publish(registry, case, build()) for case, (build, _) in CASES.items()}
    refs = [f"osdemo:{case}" for case in CASES]
    cache = {"DRIFTWATCH_CACHE_DIR": str(folder / "cache")}  # module scope: set it ourselves
    done = driftwatch(folder, "resolve", "--os", "--format", "json", *refs, env=cache)
    assert (done.returncode, done.stderr) == (0, "")
    rows = json.loads(done.stdout)
    return {case: (digests[case], row) for case, row in zip(CASES, rows, strict=True)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_os_release_of_each_platform(
    case: str, resolved: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    digest, row = resolved[case]
    assert (row["reference"], row["digest"]) == (f"osdemo:{case}", digest)
    assert by_platform(row) == CASES[case][1]  # attestation entries (unknown/unknown) never show


def blob_gets(requests: list[tuple[str, str, int]]) -> list[str]:
    return [
        path.rsplit("/", 1)[-1]
        for method, path, _ in requests
        if method == "GET" and "/blobs/" in path
    ]


def assert_fails_twice(
    project: Path, registry: RegistryServer, tag: str, layer: str, words: str
) -> None:
    """Two runs fail alike (nothing was cached): exit 3, one stderr line, the layer fetched again."""
    for _ in range(2):
        mark = registry.mark()
        code, row, stderr = resolve_os(project, tag)
        assert code == 3, (row, stderr)
        [found] = by_platform(row).values()
        assert found["source"] == "error" and found["id"] is None
        assert words in found["undetermined"] and layer[:19] in found["undetermined"]
        [line] = stderr.splitlines()
        assert line.startswith(f"osdemo:{tag}: error: ") and words in line
        assert layer in blob_gets(registry.requests_since(mark))


def test_corrupt_gzip_layer_is_a_clear_error_and_nothing_is_cached(
    project: Path, registry: RegistryServer
) -> None:
    good = single(debian_files("bookworm"), app_files("corrupt-gzip"))
    packed = good.layers[-1].data
    image = replace_top_layer(
        good, packed[:12] + bytes(b ^ 0x5A for b in packed[12:40]) + packed[40:]
    )
    publish(registry, "corrupt-gzip", image)
    assert_fails_twice(project, registry, "corrupt-gzip", image.layers[-1].digest, "gzip")
    text = driftwatch(project, "resolve", "--os", "osdemo:corrupt-gzip")
    assert text.returncode == 3 and text.stdout.endswith("  linux/amd64=error\n")
    assert text.stderr.startswith("osdemo:corrupt-gzip: error: linux/amd64: layer sha256:")


def test_layer_that_does_not_match_its_digest_is_a_clear_error(
    project: Path, registry: RegistryServer
) -> None:
    image = single(debian_files("bookworm"), app_files("digest-mismatch"))
    publish(registry, "digest-mismatch", image)
    corrupt_blob(registry, image.layers[-1].digest)
    assert_fails_twice(
        project, registry, "digest-mismatch", image.layers[-1].digest, "content hashes to"
    )


def test_lying_history_line_is_reported_in_full_mode(
    project: Path, registry: RegistryServer
) -> None:
    history = [{"created_by": DEBIAN_SH.format("bullseye")}]
    publish(registry, "lying", single(debian_files("bookworm", "12.8"), history=history))
    code, row, _ = resolve_os(project, "lying", "--os-detect", "full")
    [found] = by_platform(row).values()
    assert code == 0
    assert found == {
        **os_of("debian", "12", "bookworm", "12.8", "layer:etc/os-release"),
        "disagreement": "config-history says debian bullseye, the filesystem shows debian bookworm",
    }


def test_debian_sh_history_in_fast_mode_reads_only_the_config(
    project: Path, registry: RegistryServer
) -> None:
    history = [{"created_by": DEBIAN_SH.format("bookworm")}]
    image = single(
        debian_files("trixie"), app_files("hinted"), history=history
    )  # layers would say trixie
    publish(registry, "hinted", image)
    mark = registry.mark()
    code, row, _ = resolve_os(project, "hinted")
    assert code == 0
    assert by_platform(row) == {
        "linux/amd64": os_of("debian", "12", "bookworm", None, "config-history")
    }
    assert blob_gets(registry.requests_since(mark)) == [image.config.digest]


def test_a_digest_seen_before_costs_only_the_manifest_head(
    project: Path, registry: RegistryServer
) -> None:
    publish(registry, "seen", debian_index("bookworm", seed="seen"))
    first = resolve_os(project, "seen")
    mark = registry.mark()
    code, row, _ = resolve_os(project, "seen")
    seen = [r for r in registry.requests_since(mark) if r[1] != "/v2/"]
    assert seen == [("HEAD", f"/v2/{REPO}/manifests/seen", 200)]
    assert code == 0 and row["digest"] == first[1]["digest"]
    assert {p: o["codename"] for p, o in by_platform(row).items()} == {
        "linux/amd64": "bookworm",
        "linux/arm64/v8": "bookworm",
    }
    assert {o["source"] for o in by_platform(row).values()} == {"cache:layer:etc/os-release"}


def test_text_output_names_the_codename_per_platform(
    project: Path, registry: RegistryServer
) -> None:
    digest = publish(
        registry, "text", debian_index("bookworm", seed="text", arm64_codename="trixie")
    )
    done = driftwatch(project, "resolve", "--os", "osdemo:text")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"osdemo:text  {digest}  linux/amd64=bookworm linux/arm64/v8=trixie\n"
