"""detect_platforms against the shared real registry (Debian's docker-registry), through the real
RegistryClient: bench images pushed with tests.testbed, read back per platform and cached."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from driftwatch.cache import MemoryManifestCache, MemoryValues
from driftwatch.config import Config
from driftwatch.errors import DigestMismatch
from driftwatch.models import PlatformImage
from driftwatch.osinfo import BoundSource, detect_platforms
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from tests.testbed import build_image, build_index, push_image, push_index
from tests.testbed.distros import app_files, debian_files, ubuntu_files
from tests.testbed.registry import RegistryServer, corrupt_blob

FAST = Config(retries=0, timeout=10)


def detect(
    registry: RegistryServer, repo: str, digest: str, cache: MemoryValues
) -> tuple[PlatformImage, ...]:
    """detect_platforms over the real client bound to `repo` on the bench registry."""

    async def run() -> tuple[PlatformImage, ...]:
        async with RegistryClient(FAST, cache=MemoryManifestCache()) as client:
            source = BoundSource(client, parse_reference(f"{registry.host}/{repo}"))
            return await detect_platforms(source, digest, cache=cache)

    return asyncio.run(run())


def test_index_pushed_to_a_real_registry_is_detected_per_platform(
    registry: RegistryServer,
) -> None:
    amd64 = build_image([debian_files("trixie", "13.1"), app_files("a")], compression="zstd")
    arm64 = build_image(
        [debian_files("bookworm", "12.4"), app_files("a")], architecture="arm64", oci=False
    )
    s390x = build_image([ubuntu_files(), app_files("a")], architecture="s390x", compression="none")
    index = build_index([amd64, arm64, s390x])  # with attestation entries
    digest = push_index(registry, "osinfo/base", "latest", index)
    cache = MemoryValues()
    images = detect(registry, "osinfo/base", digest, cache)
    found = {str(i.platform): (i.os.codename, i.os.point_release) for i in images if i.os}
    assert found == {
        "linux/amd64": ("trixie", "13.1"),
        "linux/arm64": ("bookworm", "12.4"),
        "linux/s390x": ("noble", "24.04.1"),
    }
    mark = registry.mark()
    detect(registry, "osinfo/base", digest, cache)
    seen = [r for r in registry.requests_since(mark) if r[1] != "/v2/"]  # the client's ping
    assert seen == [("GET", f"/v2/osinfo/base/manifests/{digest}", 200)]  # no platform request


def test_layer_corrupted_in_registry_storage_is_a_digest_mismatch(
    registry: RegistryServer,
) -> None:
    image = build_image([{**debian_files("bookworm"), "etc/hostname": b"only in osinfo/corrupt"}])
    digest = push_image(registry, "osinfo/corrupt", "1", image)
    corrupt_blob(registry, image.layers[0].digest)
    cache = MemoryValues()
    with pytest.raises(DigestMismatch):
        detect(registry, "osinfo/corrupt", digest, cache)
    assert ("os-layer", image.layers[0].digest) not in cache.data
    assert not any(kind.startswith("os-manifest") for kind, _ in cache.data)


def skopeo_copy(registry: RegistryServer, name: str, destination: str) -> None:
    skopeo = shutil.which("skopeo")
    assert skopeo, "skopeo must be installed (apt-get install skopeo)"
    source = f"docker://{registry.host}/{name}"
    command = [skopeo, "copy", "--all", "--preserve-digests", "--src-tls-verify=false"]
    done = subprocess.run(
        [*command, source, destination], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_skopeo_accepts_the_bench_distro_images(registry: RegistryServer, tmp_path: Path) -> None:
    """An independent tool copies every platform and verifies every digest the bench wrote."""
    amd64 = build_image([debian_files("bookworm"), app_files("s")], compression="zstd")
    arm64 = build_image([ubuntu_files()], architecture="arm64", compression="none")
    index = build_index([amd64, arm64], attestations=False)
    push_index(registry, "osinfo/skopeo", "v1", index)
    docker = build_image([debian_files("bookworm"), app_files("s")], oci=False)
    push_image(registry, "osinfo/skopeo", "docker", docker)
    skopeo_copy(registry, "osinfo/skopeo:v1", f"oci:{tmp_path / 'oci'}:v1")
    copied = {p.name for p in (tmp_path / "oci" / "blobs" / "sha256").iterdir()}
    assert {d.digest[7:] for d in (amd64, arm64, index)} <= copied
    skopeo_copy(registry, "osinfo/skopeo:docker", f"dir:{tmp_path / 'dir'}")
    assert (tmp_path / "dir" / "manifest.json").read_bytes() == docker.manifest.data
