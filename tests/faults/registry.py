"""What the fault tests push to the shared bench registry, and the raw HTTP helpers they use."""

from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass

import httpx

from tests.testbed.images import build_image
from tests.testbed.registry import RegistryServer, push_image

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join(
    [
        OCI_INDEX,
        "application/vnd.docker.distribution.manifest.list.v2+json",
        OCI_MANIFEST,
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)

MANIFEST = "/v2/faults/debian/manifests/bookworm"
HEADERS = {"Accept": ACCEPT}


def sha256(data: bytes) -> str:
    """The OCI digest of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(base: str, timeout: float = 5.0) -> httpx.Client:
    """A plain client that never reads proxy settings from the environment."""
    return httpx.Client(base_url=base, timeout=timeout, trust_env=False)


@dataclass(frozen=True)
class Pushed:
    """What was pushed for one tag: the manifest digest and the big layer's digest and size."""

    name: str
    tag: str
    digest: str
    layer: str
    layer_size: int


def push_pushed(
    server: RegistryServer, name: str, tag: str, layer_size: int = 256 * 1024
) -> Pushed:
    """Push a one-layer OCI image whose layer is `layer_size` bytes of gzip; return its digests."""
    image = build_image([{"data.bin": _content(f"{name}:{tag}", layer_size)}])
    digest = push_image(server, name, tag, image)
    layer = image.layers[0]
    return Pushed(name, tag, digest, layer.digest, layer.size)


def _content(seed: str, size: int) -> bytes:
    """`size` incompressible bytes, different for every seed."""
    return b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(size // 32 + 1))[
        :size
    ]


def push_blob(client: httpx.Client, name: str, blob: bytes) -> None:
    """Monolithic upload: POST an upload session, then PUT the bytes with their digest."""
    started = client.post(f"/v2/{name}/blobs/uploads/")
    started.raise_for_status()
    location = started.headers["Location"]
    separator = "&" if "?" in location else "?"
    done = client.put(
        f"{location}{separator}digest={sha256(blob)}",
        content=blob,
        headers={"Content-Type": "application/octet-stream"},
    )
    done.raise_for_status()


def layer_path(pushed: dict[str, Pushed]) -> str:
    """The blob URL path of the debian image's 256 KiB layer."""
    return f"/v2/faults/debian/blobs/{pushed['debian'].layer}"
