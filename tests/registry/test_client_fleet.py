"""Client guarantees for fleet scans that a real registry can't be made to break (MockTransport):
a lying digest header on a single manifest, a truncated body that heals, a 404 for a named digest,
the deadline."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from driftwatch.config import Config
from driftwatch.errors import DeadlineExceeded, DigestMismatch, InvalidResponse
from driftwatch.models import Resolution, ResolveFailure
from driftwatch.registry import RegistryClient
from tests.registry.test_client_mock import DIGEST, REF, Fake, manifest_response
from tests.testbed.images import build_image

IMAGE = build_image([{"a": b"1"}])
LIE = "sha256:" + "0" * 64


def single(digest: str) -> httpx.Response:
    return manifest_response(IMAGE.manifest.data, digest)


def with_baseline(baseline: dict[str, str | None]) -> object:
    async def action(client: RegistryClient) -> object:
        client.baseline = baseline
        return await client.resolve(REF)

    return action


def test_a_new_digest_on_head_is_only_believed_after_hashing_the_body() -> None:
    fake = Fake(lambda r: single(IMAGE.digest if r.method == "GET" else LIE))
    with pytest.raises(DigestMismatch):
        fake.run(with_baseline({str(REF): IMAGE.digest}), Config(retries=0))  # type: ignore[arg-type]
    assert ("GET", "/v2/team/app/manifests/1") in fake.calls()


def test_the_digest_seen_last_time_costs_one_head() -> None:
    fake = Fake(lambda r: single(IMAGE.digest))
    result = fake.run(with_baseline({str(REF): IMAGE.digest}))  # type: ignore[arg-type]
    assert isinstance(result, Resolution) and result.digest == IMAGE.digest
    assert [method for method, _ in fake.calls()] == ["HEAD"]


def test_a_first_sighting_outside_docker_hub_is_one_hashed_get() -> None:
    fake = Fake(lambda r: single(IMAGE.digest))
    result = fake.run(with_baseline({}))  # type: ignore[arg-type]
    assert result.digest == IMAGE.digest
    assert [method for method, _ in fake.calls()] == ["GET"]  # HEAD would only name a digest


def test_a_first_sighting_whose_body_lies_is_refused() -> None:
    fake = Fake(lambda r: single(LIE))  # the digest header does not match the body
    with pytest.raises(DigestMismatch):
        fake.run(with_baseline({}), Config(retries=0))  # type: ignore[arg-type]


def test_a_truncated_body_is_fetched_again() -> None:
    answers = iter([httpx.Response(200, headers={"Content-Length": "9999"}, content=b"{}")])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return next(answers, None) or manifest_response()
        return manifest_response()

    async def action(client: RegistryClient) -> list[Resolution | ResolveFailure]:
        return await client.resolve_all([REF])

    fake = Fake(handler)
    [result] = fake.run(action)
    assert isinstance(result, Resolution) and result.digest == DIGEST
    assert [m for m, _ in fake.calls()] == ["HEAD", "GET", "HEAD", "GET"]


def test_a_named_digest_that_404s_is_an_inconsistent_registry_not_a_gone_tag() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404, content=json.dumps({"errors": []}).encode())
        return manifest_response()

    with pytest.raises(InvalidResponse, match="does not serve it"):
        Fake(handler).run(lambda c: c.resolve(REF))


def test_deadline_turns_unfinished_work_into_deadline_failures() -> None:
    async def action(client: RegistryClient) -> object:
        client.deadline = time.monotonic() + 0.2
        slow = client.within_deadline(asyncio.sleep(5), "slow")
        with pytest.raises(DeadlineExceeded, match="slow: could not check: deadline"):
            await slow
        client.deadline = time.monotonic() - 1
        return await client.resolve_all([REF])

    [result] = Fake(lambda r: manifest_response()).run(action)
    assert isinstance(result, ResolveFailure) and result.error_type == "DeadlineExceeded"
