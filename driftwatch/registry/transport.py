"""The httpx transport of a registry client: driftwatch's pool and sockets under httpx's API.

httpx stays the client (requests, responses, headers, TLS settings); underneath, each registry gets
a `ConnectionPool` (registry/pool.py) over `AsyncioBackend` sockets (registry/netbackend.py), which
together halve the CPU a request costs against httpx's default transport (benchmarks/resolve.py).
Behind an HTTP(S) proxy set in the environment, httpx's own transport is used, which knows proxies.
"""

from __future__ import annotations

import contextlib
import ssl
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Protocol

import httpcore
import httpx

from driftwatch.registry.netbackend import AsyncioBackend
from driftwatch.registry.pool import ConnectionPool


def environment_has_proxy() -> bool:
    """Whether HTTP_PROXY/HTTPS_PROXY/ALL_PROXY (any case) is set: httpx must route requests
    (NO_PROXY or FTP_PROXY alone route nothing)."""
    return bool(urllib.request.getproxies().keys() & {"http", "https", "all"})


class RegistryTransport(httpx.AsyncBaseTransport):
    """httpx requests sent through a `ConnectionPool` of at most `connections` connections."""

    def __init__(
        self, ssl_context: ssl.SSLContext, connections: int, keepalive: float, http2: bool
    ) -> None:
        self._pool = ConnectionPool(
            connections,
            ssl_context=ssl_context,
            keepalive_expiry=keepalive,
            http2=http2,
            backend=AsyncioBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        sent = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with httpx_errors():
            answer = await self._pool.handle_async_request(sent)
        assert isinstance(answer.stream, AsyncIterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _Body(httpx.AsyncByteStream):
    """httpcore's response body as httpx's, its errors as httpx's."""

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            with httpx_errors():
                await close()


@contextlib.contextmanager
def httpx_errors() -> Iterator[None]:
    """Raise httpcore's errors as httpx's exception of the same name (httpx mirrors them)."""
    try:
        yield
    except httpcore.ConnectionNotAvailable as exc:  # the pool retries these; never escapes
        raise httpx.TransportError(str(exc)) from exc
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.ProxyError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        mirror = getattr(httpx, type(exc).__name__, httpx.TransportError)
        raise mirror(str(exc)) from exc


class Sender(Protocol):
    """Sends a prepared request and answers with its response, the body not read yet."""

    async def send(self, request: httpx.Request) -> httpx.Response: ...

    async def aclose(self) -> None: ...


class DirectSender:
    """Requests handed straight to a `RegistryTransport`.

    httpx's client adds nothing a registry request needs here (driftwatch builds every header,
    answers auth challenges and follows redirects itself), but costs about a quarter of a warm
    run's CPU, a third of it storing cookies no registry request should carry.
    """

    def __init__(self, transport: RegistryTransport) -> None:
        self._transport = transport

    async def send(self, request: httpx.Request) -> httpx.Response:
        response = await self._transport.handle_async_request(request)
        response.request = request
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()


class ClientSender:
    """Requests sent by an `httpx.AsyncClient`: behind an environment proxy (httpx routes them),
    or through a transport given by the caller (tests)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True)

    async def aclose(self) -> None:
        await self._client.aclose()
