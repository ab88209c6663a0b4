"""The image factory's images pushed to a real registry (Debian's docker-registry on loopback) and
read back by detect_os through a small HTTP BlobSource that verifies digests like the client does."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from driftwatch.errors import DigestMismatch
from driftwatch.osinfo import MemoryCache, detect_platforms
from tests.osinfo.imagefactory import ImageStore, app_layer, debian, file, push, ubuntu

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    binary = shutil.which("docker-registry")
    assert binary, "Debian's docker-registry must be installed (apt-get install docker-registry)"
    folder = tmp_path_factory.mktemp("registry")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = folder / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (folder / "access.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/v2/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("docker-registry did not start")
        yield url, folder / "data"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


class HttpSource:
    """A BlobSource over the registry's HTTP API for one repository (test-only, no auth)."""

    def __init__(self, base_url: str, repository: str) -> None:
        self.base, self.repository = base_url, repository
        self.requests: list[str] = []

    async def get_manifest(self, digest: str) -> tuple[bytes, str]:
        self.requests.append(f"manifest {digest[:15]}")
        async with httpx.AsyncClient(base_url=self.base) as client:
            answer = await client.get(
                f"/v2/{self.repository}/manifests/{digest}", headers={"Accept": ACCEPT}
            )
        answer.raise_for_status()
        self._verify(hashlib.sha256(answer.content), digest)
        return answer.content, answer.headers["Content-Type"]

    async def get_blob(self, digest: str, max_bytes: int) -> bytes:
        self.requests.append(f"blob {digest[:15]}")
        async with httpx.AsyncClient(base_url=self.base, follow_redirects=True) as client:
            answer = await client.get(f"/v2/{self.repository}/blobs/{digest}")
        answer.raise_for_status()
        self._verify(hashlib.sha256(answer.content), digest)
        return answer.content

    @asynccontextmanager
    async def stream_blob(self, digest: str) -> AsyncIterator[AsyncIterator[bytes]]:
        self.requests.append(f"stream {digest[:15]}")
        async with (
            httpx.AsyncClient(base_url=self.base, follow_redirects=True) as client,
            client.stream(
                "GET",
                f"/v2/{self.repository}/blobs/{digest}",
                headers={"Accept-Encoding": "identity"},
            ) as answer,
        ):
            answer.raise_for_status()
            yield self._chunks(answer, digest)

    async def _chunks(self, answer: httpx.Response, digest: str) -> AsyncIterator[bytes]:
        hasher = hashlib.sha256()
        async for chunk in answer.aiter_raw():
            hasher.update(chunk)
            yield chunk
        self._verify(hasher, digest)

    @staticmethod
    def _verify(hasher: hashlib._Hash, digest: str) -> None:
        if "sha256:" + hasher.hexdigest() != digest:
            raise DigestMismatch(f"{digest[:19]} does not match its digest")


def test_index_pushed_to_a_real_registry_is_detected_per_platform(
    registry: tuple[str, Path],
) -> None:
    url = registry[0]
    store = ImageStore()
    amd64 = store.add_image([debian("13", "trixie", "13.1"), app_layer()], codec="zstd")
    arm64 = store.add_image([debian(), app_layer()], style="docker", platform=("linux", "arm64"))
    s390x = store.add_image([ubuntu(), app_layer()], codec="none", platform=("linux", "s390x"))
    index = store.add_index(
        [(amd64, "linux/amd64", {}), (arm64, "linux/arm64", {}), (s390x, "linux/s390x", {})],
        attestation=True,
    )
    push(store, url, "test/base", {"latest": index})
    source = HttpSource(url, "test/base")
    cache = MemoryCache()
    images = asyncio.run(detect_platforms(source, index, cache=cache))
    found = {str(i.platform): (i.os.codename, i.os.point_release) for i in images if i.os}
    assert found == {
        "linux/amd64": ("trixie", "13.1"),
        "linux/arm64": ("bookworm", "12.4"),
        "linux/s390x": ("noble", "24.04.1"),
    }
    again = HttpSource(url, "test/base")
    asyncio.run(detect_platforms(again, index, cache=cache))
    assert again.requests == [
        f"manifest {index[:15]}"
    ]  # only the index itself; no platform request


def test_layer_corrupted_in_registry_storage_is_a_digest_mismatch(
    registry: tuple[str, Path],
) -> None:
    url, data_root = registry
    store = ImageStore()
    base = store.add_layer(
        [*debian(), file("etc/hostname", "only here")]
    )  # blobs are shared across repositories
    digest = store.add_image([base])
    push(store, url, "test/corrupt")
    hexdigest = base["digest"].removeprefix("sha256:")
    blob = next(data_root.rglob(f"blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"))
    data = blob.read_bytes()
    blob.write_bytes(
        data[:30] + bytes(b ^ 0xFF for b in data[30:60]) + data[60:]
    )  # same length, other bytes
    cache = MemoryCache()
    with pytest.raises(DigestMismatch):
        asyncio.run(detect_platforms(HttpSource(url, "test/corrupt"), digest, cache=cache))
    assert f"layer/{base['digest']}" not in cache.data and not cache.data.keys() & {
        f"manifest/fast/{digest}"
    }


def skopeo_copy(url: str, name: str, destination: str) -> None:
    skopeo = shutil.which("skopeo")
    assert skopeo, "skopeo must be installed (apt-get install skopeo)"
    source = f"docker://{url.removeprefix('http://')}/{name}"
    command = [
        skopeo,
        "copy",
        "--all",
        "--preserve-digests",
        "--src-tls-verify=false",
        source,
        destination,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_skopeo_accepts_the_factory_images(registry: tuple[str, Path], tmp_path: Path) -> None:
    """An independent tool copies every platform and verifies every digest the factory wrote."""
    url = registry[0]
    store = ImageStore()
    amd64 = store.add_image([debian(), app_layer()], codec="zstd")
    arm64 = store.add_image([ubuntu()], codec="none", platform=("linux", "arm64"))
    index = store.add_index([(amd64, "linux/amd64", {}), (arm64, "linux/arm64", {})])
    docker = store.add_image([debian(), app_layer()], style="docker")
    push(store, url, "test/skopeo", {"v1": index, "docker": docker})
    skopeo_copy(url, "test/skopeo:v1", f"oci:{tmp_path / 'oci'}:v1")
    copied = {p.name for p in (tmp_path / "oci" / "blobs" / "sha256").iterdir()}
    assert {amd64[7:], arm64[7:], index[7:]} <= copied
    skopeo_copy(url, "test/skopeo:docker", f"dir:{tmp_path / 'dir'}")
    assert (tmp_path / "dir" / "manifest.json").read_bytes() == store.manifests[docker][0]
