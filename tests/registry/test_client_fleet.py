"""Client guarantees for fleet scans that neither the real registry nor the fault proxy can break
(MockTransport): a short body without a transport error that heals, the deadline. The baseline,
lying-HEAD and named-digest-404 cases run for real in tests/faults/test_client_faults.py."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from driftwatch.errors import DeadlineExceeded
from driftwatch.models import Resolution, ResolveFailure
from driftwatch.registry import RegistryClient
from tests.registry.test_client_mock import DIGEST, REF, Fake, manifest_response


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
