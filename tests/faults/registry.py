"""A private, minimal real registry for the fault tests: Debian's docker-registry plus a pusher.

To be replaced by the shared bench (tests/bench/) once it is merged.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import socket
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

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

MANIFEST = "/v2/library/debian/manifests/bookworm"
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


class Registry:
    """`docker-registry serve` on a free loopback port with filesystem storage under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "access.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Registry:
        """Start the registry and wait (at most 10 s) until /v2/ answers."""
        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\nlog: {level: error}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.root / 'data'}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: 127.0.0.1:{self.port}}}\n"
        )
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry did not answer on {self.url}")

    def _answers(self) -> bool:
        """Whether GET /v2/ answers 200 right now."""
        try:
            return httpx.get(f"{self.url}/v2/", timeout=1, trust_env=False).status_code == 200
        except httpx.TransportError:
            return False

    def access_log(self) -> list[tuple[str, str]]:
        """(method, path) of every request the registry has logged so far."""
        found = re.findall(r'"([A-Z]+) (\S+) HTTP/1\.[01]"', self.log_path.read_text())
        return [(method, path) for method, path in found]

    def stop(self) -> None:
        """Terminate the registry process (kill after 5 s)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)

    def __enter__(self) -> Registry:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def push_image(self, name: str, tag: str, layer_size: int = 256 * 1024) -> Pushed:
        """Push a one-layer OCI image whose layer is `layer_size` bytes of gzip; return its digests."""
        with httpx.Client(base_url=self.url, timeout=10, trust_env=False) as client:
            layer = _layer(f"{name}:{tag}", layer_size)
            config = json.dumps(
                {
                    "architecture": "amd64",
                    "os": "linux",
                    "rootfs": {"type": "layers", "diff_ids": []},
                }
            ).encode()
            for blob in (layer, config):
                push_blob(client, name, blob)
            manifest = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": OCI_MANIFEST,
                    "config": _descriptor("application/vnd.oci.image.config.v1+json", config),
                    "layers": [_descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)],
                },
                indent=2,
            ).encode()
            answer = client.put(
                f"/v2/{name}/manifests/{tag}",
                content=manifest,
                headers={"Content-Type": OCI_MANIFEST},
            )
            answer.raise_for_status()
            return Pushed(name, tag, sha256(manifest), sha256(layer), len(layer))


def _descriptor(media_type: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data)}


def _layer(seed: str, size: int) -> bytes:
    """A gzip'd tar holding one file of incompressible bytes, about `size` bytes long."""
    content = b"".join(
        hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(size // 32 + 1)
    )[:size]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("data.bin")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), mtime=0)


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
    return f"/v2/library/debian/blobs/{pushed['debian'].layer}"
