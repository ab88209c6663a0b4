"""What neither the real registry nor the fault proxy can be made to do: RateLimit headers, a 403,
no digest header, no HEAD, a short body without a transport error, schema1, an oversized manifest,
a CDN redirect, Accept headers seen. Served by httpx.MockTransport (429, 5xx, refused connections,
lying digests, a lying blob and the concurrency limit are in tests/faults/test_client_faults.py, for real)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from driftwatch.cache import MemoryManifestCache
from driftwatch.config import Config
from driftwatch.errors import (
    DigestMismatch,
    InvalidResponse,
    NotFound,
    Unauthorized,
    UnsupportedManifest,
)
from driftwatch.oci.media import MANIFEST_TYPES
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from tests.testbed.images import build_image, build_index

HOST = "registry.test"
REF = parse_reference(f"{HOST}/team/app:1")
INDEX = build_index([build_image([{"a": b"1"}]), build_image([{"a": b"2"}], architecture="arm64")])
BODY = INDEX.manifest.data
DIGEST = INDEX.digest
Handler = Callable[[httpx.Request], httpx.Response]


def manifest_response(
    body: bytes = BODY, digest: str | None = DIGEST, **headers: str
) -> httpx.Response:
    sent = {"Content-Type": json.loads(body).get("mediaType", "application/json"), **headers}
    if digest:
        sent["Docker-Content-Digest"] = digest
    return httpx.Response(200, headers=sent, content=body)


class Fake:
    """Routes requests to `handler` after answering the /v2/ ping; records every request."""

    def __init__(self, handler: Handler, ping: httpx.Response | None = None) -> None:
        self.handler = handler
        self.ping = ping or httpx.Response(200)
        self.seen: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/v2/":
            return self.ping
        return self.handler(request)

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.seen if r.url.path != "/v2/"]

    def run(self, action: Callable[[RegistryClient], Any], config: Config | None = None) -> Any:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        async def go() -> Any:
            transport = httpx.MockTransport(self)
            async with RegistryClient(
                config or Config(retries=2), transport=transport, cache=MemoryManifestCache()
            ) as client:
                client.session.sleep = sleep
                return await action(client)

        return asyncio.run(go())


def resolve(client: RegistryClient) -> Any:
    return client.resolve(REF)


def test_ratelimit_remaining_is_reported() -> None:
    fake = Fake(lambda r: manifest_response(**{"RateLimit-Remaining": "57;w=21600"}))
    assert fake.run(resolve).ratelimit_remaining == 57


@pytest.mark.parametrize(
    ("status", "error"), [(401, Unauthorized), (403, Unauthorized), (404, NotFound)]
)
def test_no_retry_on_401_403_404(status: int, error: type[Exception]) -> None:
    fake = Fake(lambda r: httpx.Response(status))
    with pytest.raises(error, match=str(status)):
        fake.run(resolve)
    # a HEAD's 404 is confirmed by one GET (tests/registry/test_shapes.py): no retry either way
    assert [m for m, _ in fake.calls()] == (["HEAD", "GET"] if status == 404 else ["HEAD"])
    assert fake.sleeps == []


def test_accept_lists_the_four_manifest_types_on_head_and_get() -> None:
    fake = Fake(lambda r: manifest_response())
    fake.run(resolve)
    for request in fake.seen[1:]:
        assert [t.strip() for t in request.headers["accept"].split(",")] == list(MANIFEST_TYPES)


def test_missing_digest_header_falls_back_to_get_and_hashes_the_body() -> None:
    fake = Fake(lambda r: manifest_response(digest=None))
    result = fake.run(resolve)
    assert result.digest == "sha256:" + hashlib.sha256(BODY).hexdigest() == DIGEST
    assert fake.calls() == [
        ("HEAD", "/v2/team/app/manifests/1"),
        ("GET", "/v2/team/app/manifests/1"),
    ]


def test_registry_without_head_gets_by_tag() -> None:
    fake = Fake(
        lambda r: httpx.Response(405) if r.method == "HEAD" else manifest_response(digest=None)
    )
    assert fake.run(resolve).digest == DIGEST
    assert fake.calls() == [
        ("HEAD", "/v2/team/app/manifests/1"),
        ("GET", "/v2/team/app/manifests/1"),
    ]


def test_lying_digest_header_is_caught() -> None:
    liar = "sha256:" + "f" * 64
    by_digest = Fake(lambda r: manifest_response(digest=liar))
    with pytest.raises(DigestMismatch, match="expected " + liar):
        by_digest.run(resolve)
    by_tag = Fake(lambda r: manifest_response(digest=None if r.method == "HEAD" else liar))
    with pytest.raises(DigestMismatch):
        by_tag.run(resolve)


def test_truncated_body_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return manifest_response()
        return httpx.Response(
            200,
            headers={"Content-Length": str(len(BODY)), "Docker-Content-Digest": DIGEST},
            content=BODY[:-40],
        )

    with pytest.raises(InvalidResponse, match="truncated"):
        Fake(handler).run(resolve)


def test_schema1_is_refused_on_head_and_on_get() -> None:
    schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    head = Fake(
        lambda r: httpx.Response(
            200, headers={"Content-Type": schema1, "Docker-Content-Digest": DIGEST}
        )
    )
    with pytest.raises(UnsupportedManifest, match="schema1"):
        head.run(resolve)
    body = b'{"schemaVersion": 1, "name": "team/app", "tag": "1", "fsLayers": []}'
    get = Fake(
        lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, content=body)
    )
    with pytest.raises(UnsupportedManifest, match="schema1"):
        get.run(resolve)


def test_manifest_over_4_mib_is_refused() -> None:
    huge = (
        b'{"mediaType": "application/vnd.oci.image.index.v1+json", "pad": "'
        + b"x" * (4 * 1024 * 1024)
        + b'"}'
    )
    fake = Fake(lambda r: manifest_response(huge, digest=None))
    with pytest.raises(InvalidResponse, match="limit"):
        fake.run(resolve)


def test_blob_redirect_drops_authorization_for_another_origin() -> None:
    image = build_image([{"big": b"z" * 1000}])
    layer = image.layers[0]
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"token": "tok-123", "expires_in": 300})
        if "Authorization" not in request.headers and request.url.host == HOST:
            return httpx.Response(
                401,
                headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="s"'},
            )
        seen[request.url.host] = request.headers.get("Authorization")
        if request.url.host == HOST:
            return httpx.Response(307, headers={"Location": "https://cdn.test/blobs/x?sig=1"})
        return httpx.Response(200, content=layer.data)

    fake = Fake(
        handler,
        ping=httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="s"'}
        ),
    )

    async def fetch(client: RegistryClient) -> bytes:
        return await client.get_blob(REF, layer.digest, 1 << 20)

    assert fake.run(fetch) == layer.data
    assert seen == {HOST: "Bearer tok-123", "cdn.test": None}


def test_a_same_origin_redirect_after_a_refused_token_carries_the_fresh_token() -> None:
    """The token sent up front is refused (it expired), a fresh one is accepted and answered with
    a redirect on the same origin: the redirect carries the fresh token, not the refused one.
    (A registry answering so is a shape the local registry cannot be made to give.)"""
    challenge = {"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="s"'}
    tokens = iter(["stale", "fresh"])
    sent: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"token": next(tokens), "expires_in": 300})
        sent.append((request.url.path, request.headers.get("Authorization")))
        if request.headers.get("Authorization") != "Bearer fresh":
            return httpx.Response(401, headers=challenge)
        if request.url.path.endswith("/manifests/1"):
            return httpx.Response(307, headers={"Location": "/v2/team/app/manifests/real-1"})
        return manifest_response()

    fake = Fake(handler, ping=httpx.Response(401, headers=challenge))
    resolution = fake.run(lambda client: client.resolve(REF), Config(retries=0))
    assert resolution.digest == DIGEST
    assert ("/v2/team/app/manifests/real-1", "Bearer fresh") in sent
    assert ("/v2/team/app/manifests/real-1", "Bearer stale") not in sent
