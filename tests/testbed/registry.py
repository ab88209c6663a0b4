"""Start Debian's docker-registry on a free loopback port, in three auth flavours, and read its log."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import httpx

from tests.testbed.images import Image, Index
from tests.testbed.push import Pusher
from tests.testbed.tokenserver import ISSUER, SERVICE, TokenServer

PUSHER = ("pusher", "push-secret-Xq7")
READER = ("reader", "read-secret-Zk9")
_FENCE = "/driftwatch-test-fence/"  # marker requests, see RegistryServer._fence
_ACCESS = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')


def registry_binary() -> str:
    """The registry executable on PATH; fails loudly (ci/setup-test.sh installs it) when missing."""
    found = shutil.which("docker-registry") or shutil.which("registry")
    if not found:
        raise RuntimeError(
            "no docker-registry/registry binary on PATH: run ci/setup-test.sh (apt-get install docker-registry)"
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RegistryServer:
    """One running registry: `host` (127.0.0.1:port), `url`, its access log and a pusher."""

    flavour: str  # anonymous | basic | token
    workdir: Path
    port: int = 0
    token_server: TokenServer | None = None
    process: subprocess.Popen[bytes] | None = None
    _pusher: Pusher | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "registry.log"

    def start(self) -> RegistryServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "data")},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.host},
        }
        config |= self._auth_config()
        config_path = self.workdir / "config.yml"
        config_path.write_text(json.dumps(config))  # JSON is YAML
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [registry_binary(), "serve", str(config_path)], stdout=log, stderr=subprocess.STDOUT
        )
        self._wait_ready()
        return self

    def _auth_config(self) -> dict[str, object]:
        if self.flavour == "basic":
            lines = [
                f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=5)).decode()}"
                for u, p in (PUSHER, READER)
            ]
            (self.workdir / "htpasswd").write_text("\n".join(lines) + "\n")
            return {
                "auth": {
                    "htpasswd": {"realm": "driftwatch-test", "path": str(self.workdir / "htpasswd")}
                }
            }
        if self.flavour == "token":
            self.token_server = TokenServer(users=dict([PUSHER, READER]))
            self.token_server.start(self.workdir)
            token = {
                "realm": self.token_server.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(self.token_server.cert_path),
            }
            return {"auth": {"token": token}}
        return {}

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited early: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v2/", timeout=1).status_code in (200, 401):
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("registry did not become ready in 20 s")

    def stop(self) -> None:
        if self._pusher:
            self._pusher.close()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.token_server:
            self.token_server.stop()

    @property
    def pusher(self) -> Pusher:
        if self._pusher is None:
            user, password = PUSHER if self.flavour != "anonymous" else (None, None)
            self._pusher = Pusher(self.url, user, password)
        return self._pusher

    def access_log(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request so far, in order, without the suite's fences."""
        return [line for line in self._log_lines() if not line[1].startswith(_FENCE)]

    def _log_lines(self) -> list[tuple[str, str, int]]:
        text = self.log_path.read_text(errors="replace")
        return [(m.group(1), m.group(2), int(m.group(3))) for m in _ACCESS.finditer(text)]

    def _fence(self) -> list[tuple[str, str, int]]:
        """The log up to a marker request of our own, polled until the registry has written it.

        The registry writes a request's log line before it finishes the answer, so every request
        answered before the marker was sent is in the log once the marker's line is: no sleeping.
        """
        path = f"{_FENCE}{uuid.uuid4().hex}"
        httpx.get(f"{self.url}{path}", timeout=10)
        deadline = time.monotonic() + 10
        while True:
            lines = self._log_lines()
            for position, line in enumerate(lines):
                if line[1] == path:
                    return [kept for kept in lines[:position] if not kept[1].startswith(_FENCE)]
            if time.monotonic() > deadline:
                raise AssertionError(f"the registry never logged {path}")
            time.sleep(0.005)  # a poll interval, bounded by the deadline

    def mark(self) -> int:
        """Position in the access log; pass to `requests_since` to count what a test caused."""
        return len(self._fence())

    def requests_since(self, mark: int) -> list[tuple[str, str, int]]:
        """Every request answered between `mark()` and now, in log order."""
        return self._fence()[mark:]


def push_image(registry: RegistryServer, repo: str, tag: str | None, image: Image) -> str:
    """Push `image` to `registry` under `tag` (by digest when None); the digest the registry reports."""
    return registry.pusher.push_image(repo, tag, image)


def push_index(registry: RegistryServer, repo: str, tag: str, index: Index) -> str:
    """Push `index`, its images and attestations; the digest the registry reports."""
    return registry.pusher.push_index(repo, tag, index)


def corrupt_blob(registry: RegistryServer, digest: str) -> None:
    """Flip bytes of a blob in the registry's storage (same length): it then serves bytes that lie."""
    hexdigest = digest.removeprefix("sha256:")
    blobs = registry.workdir / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256"
    path = blobs / hexdigest[:2] / hexdigest / "data"
    data = path.read_bytes()
    path.write_bytes(data[:20] + bytes(b ^ 0xFF for b in data[20:50]) + data[50:])
