"""What a real registry can't be made to do: 429 + Retry-After, missing/lying digests, truncation,
schema1, 5xx, CDN redirects, connection failures. Served by httpx.MockTransport."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from driftwatch.cache import MemoryManifestCache
from driftwatch.config import Config, RegistrySettings
from driftwatch.errors import (
    DigestMismatch,
    InvalidResponse,
    NotFound,
    RateLimited,
    Unauthorized,
    Unreachable,
    UnsupportedManifest,
)
from driftwatch.models import Resolution
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


def test_429_honours_retry_after_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(429, headers={"Retry-After": "99999"}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or manifest_response(ratelimit_remaining="57;w=21600")

    fake = Fake(handler)
    result = fake.run(resolve)
    assert isinstance(result, Resolution) and result.digest == DIGEST
    assert fake.sleeps == [2.0, 60.0]  # Retry-After honoured, and capped
    assert fake.calls()[:3] == [("HEAD", "/v2/team/app/manifests/1")] * 3


def test_ratelimit_remaining_is_reported() -> None:
    fake = Fake(lambda r: manifest_response(**{"RateLimit-Remaining": "57;w=21600"}))
    assert fake.run(resolve).ratelimit_remaining == 57


def test_429_forever_is_rate_limited_after_bounded_retries() -> None:
    fake = Fake(lambda r: httpx.Response(429))
    with pytest.raises(RateLimited, match="429"):
        fake.run(resolve, Config(retries=3))
    assert len(fake.calls()) == 4 and len(fake.sleeps) == 3
    assert fake.sleeps[0] < fake.sleeps[-1]  # exponential backoff


def test_5xx_is_retried_connect_errors_become_unreachable() -> None:
    answers = iter([httpx.Response(503)])
    fake = Fake(lambda r: next(answers, None) or manifest_response())
    assert fake.run(resolve).digest == DIGEST and len(fake.sleeps) == 1

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    down = Fake(refuse)
    with pytest.raises(Unreachable, match="cannot connect"):
        down.run(resolve)


@pytest.mark.parametrize(
    ("status", "error"), [(401, Unauthorized), (403, Unauthorized), (404, NotFound)]
)
def test_no_retry_on_401_403_404(status: int, error: type[Exception]) -> None:
    fake = Fake(lambda r: httpx.Response(status))
    with pytest.raises(error, match=str(status)):
        fake.run(resolve)
    assert len(fake.calls()) == 1 and fake.sleeps == []


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


def test_per_registry_concurrency_limit() -> None:
    state = {"now": 0, "max": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        return manifest_response(BODY)

    async def go() -> list[Any]:
        config = Config(registries={HOST: RegistrySettings(concurrency=3)})
        async with RegistryClient(
            config, transport=httpx.MockTransport(handler), cache=MemoryManifestCache()
        ) as client:
            refs = [parse_reference(f"{HOST}/team/app:{n}") for n in range(20)]
            return await client.resolve_all(refs)

    results = asyncio.run(go())
    assert all(isinstance(r, Resolution) for r in results)
    assert state["max"] == 3


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


def test_stream_blob_raises_digest_mismatch_at_the_end() -> None:
    fake = Fake(lambda r: httpx.Response(200, content=b"not what was promised"))
    chunks_seen: list[bytes] = []

    async def stream(client: RegistryClient) -> None:
        async with client.stream_blob(REF, "sha256:" + "a" * 64) as chunks:
            async for chunk in chunks:
                chunks_seen.append(chunk)  # noqa: PERF401 - keep what arrived before the error

    with pytest.raises(DigestMismatch):
        fake.run(stream)
    assert b"".join(chunks_seen) == b"not what was promised"
