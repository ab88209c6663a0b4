"""A registry front that redirects manifest requests to another origin, as registry.k8s.io does.

registry.k8s.io answers `GET /v2/` with 200 and every `/v2/<name>/manifests/<ref>` with a
`307 Temporary Redirect` to `https://<region>-docker.pkg.dev/v2/k8s-artifacts-prod/images/<name>/...`
(recorded with `crane --verbose` in kubernetes/registry.k8s.io#116 and kubernetes/k8s.io#4214).
Here a small front on its own port redirects the same way to the real local registry, under a path
prefix like Artifact Registry's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from driftwatch.cache import MemoryManifestCache
from driftwatch.config import Config
from driftwatch.models import Resolution
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from driftwatch.registry.tags import list_tags
from tests.conftest import sample_index
from tests.names import unique_name
from tests.testbed.registry import RegistryServer

PREFIX = "k8s-artifacts-prod/images"


class _Front:
    """Answers /v2/ itself and 307s everything else to `upstream` under PREFIX."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: list[tuple[str, str]] = []
        front = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                front.seen.append((self.command, self.path))
                if self.path == "/v2/":
                    self.send_response(200)
                    self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = f"{front.upstream}/v2/{PREFIX}/{self.path[len('/v2/') :]}"
                body = f'<a href="{target}">Temporary Redirect</a>.\n'.encode()
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def front(registry: RegistryServer) -> Iterator[_Front]:
    served = _Front(registry.url)
    yield served
    served.stop()


def _run(work: Any) -> Any:
    async def go() -> Any:
        async with RegistryClient(Config(retries=0), cache=MemoryManifestCache()) as client:
            return await work(client)

    return asyncio.run(go())


def test_manifest_redirected_to_another_origin_resolves(
    registry: RegistryServer, front: _Front
) -> None:
    name = unique_name("pause")
    index = sample_index()
    registry.pusher.push_index(f"{PREFIX}/{name}", "3.9", index)
    ref = parse_reference(f"{front.host}/{name}:3.9")

    async def work(client: RegistryClient) -> tuple[Resolution, bool, Resolution]:
        resolved = await client.resolve(ref)
        served = await client.has_manifest(ref, index.digest)
        client.baseline = {}  # a first sighting: one GET by tag, its body hashed
        return resolved, served, await client.resolve(ref)

    resolved, served, first = _run(work)
    assert resolved.digest == first.digest == index.digest
    assert [p.digest for p in resolved.platforms] == [i.digest for i in index.images]
    assert served
    assert ("HEAD", f"/v2/{name}/manifests/3.9") in front.seen
    assert ("GET", f"/v2/{name}/manifests/3.9") in front.seen


def test_tag_list_redirected_to_another_origin_is_read(
    registry: RegistryServer, front: _Front
) -> None:
    name = unique_name("pause")
    for tag in ("3.9", "3.10"):
        registry.pusher.push_index(f"{PREFIX}/{name}", tag, sample_index())
    ref = parse_reference(f"{front.host}/{name}:3.9")
    listing = _run(lambda client: list_tags(client, ref))
    assert sorted(listing.tags) == ["3.10", "3.9"] and listing.stopped is None
    assert any(path.startswith(f"/v2/{name}/tags/list") for _, path in front.seen)
