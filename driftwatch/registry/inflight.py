"""One request in flight: a concurrency permit held until its body is closed, one deadline.

httpx's timeout is per read: a body dripped one byte at a time never trips it. Every request here
gets one deadline for send, headers and body together (the config's `timeout`); a streamed layer
is exempt (OS detection bounds it by its own time and byte budget). The permit of the registry's
concurrency is held until the response is closed, so requests in flight, bodies included, never
exceed the registry's concurrency, and neither do its connections.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import httpx

T = TypeVar("T")


class RequestTimeout(Exception):  # noqa: N818 - an internal signal, mapped to Unreachable
    """The request's overall deadline passed (send, headers or body)."""


if sys.version_info >= (3, 11):

    async def until(deadline: float | None, work: Awaitable[T]) -> T:
        """Await `work`, raising RequestTimeout once the loop clock passes `deadline`."""
        if deadline is None:
            return await work
        try:
            async with asyncio.timeout_at(deadline):
                return await work
        except TimeoutError:
            raise RequestTimeout from None

else:  # pragma: no cover - exercised on 3.10 only

    async def until(deadline: float | None, work: Awaitable[T]) -> T:
        """Await `work`, raising RequestTimeout once the loop clock passes `deadline`."""
        if deadline is None:
            return await work
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(work, max(remaining, 0.0))
        except asyncio.TimeoutError:
            raise RequestTimeout from None


async def until_deadline(deadline: float, work: Awaitable[T]) -> T:
    """Await `work`, raising asyncio.TimeoutError once the loop clock passes `deadline` (a run's
    overall deadline: no task is made per reference, unlike asyncio.wait_for before 3.12)."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout_at(deadline):
            return await work
    remaining = deadline - asyncio.get_running_loop().time()  # pragma: no cover - 3.10
    return await asyncio.wait_for(work, max(remaining, 0.0))  # pragma: no cover - 3.10


class HeldStream(httpx.AsyncByteStream):
    """A response body that releases its concurrency permit when closed and obeys a deadline."""

    def __init__(
        self, stream: httpx.AsyncByteStream, permit: asyncio.Semaphore, deadline: float | None
    ) -> None:
        self._stream = stream
        self._permit: asyncio.Semaphore | None = permit
        self.deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._stream.__aiter__()
        while True:
            try:
                chunk = await until(self.deadline, chunks.__anext__())
            except StopAsyncIteration:
                return
            yield chunk

    async def aclose(self) -> None:
        """Close the body (the connection goes back to the pool if read to its end), once."""
        permit, self._permit = self._permit, None
        try:
            await self._stream.aclose()
        finally:
            if permit is not None:
                permit.release()


def hold(response: httpx.Response, permit: asyncio.Semaphore, deadline: float | None) -> None:
    """Make closing `response` release `permit`, and reading its body obey `deadline`."""
    if response.is_closed:  # read whole already (httpx.MockTransport answers)
        permit.release()
        return
    assert isinstance(response.stream, httpx.AsyncByteStream)
    response.stream = HeldStream(response.stream, permit, deadline)


def unbounded_body(response: httpx.Response) -> None:
    """Lift the overall deadline from the body of a streamed layer (it has its own bounds)."""
    if isinstance(response.stream, HeldStream):
        response.stream.deadline = None
