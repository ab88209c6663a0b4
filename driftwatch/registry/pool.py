"""A small connection pool for one registry, built on httpcore's public connection class.

httpcore's own pool re-examines every connection several times per request, and for each idle one
counts the idle connections again (quadratic in the pool size: 2 million `is_idle()` calls for
2,000 requests at 16 connections, a fifth of a warm run's CPU). driftwatch needs much less: the
registry session already holds a permit of the registry's concurrency for each request in flight
(body included), so requests rarely wait here. This pool leases a connection per request and takes
it back when the response body is closed:

- an HTTP/1.1 connection serves one request at a time and is reused once its body was read;
- a connection that negotiated HTTP/2 (or may still, while it connects) is shared by requests up
  to its stream limit, so a whole run multiplexes over one connection;
- an idle connection that expired (keep-alive time, or the server closed it) is closed, never used;
- at most `size` connections are open; with all of them leased, a request waits for one.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

import httpcore

_Connection = httpcore.AsyncHTTPConnection


@dataclass(eq=False)
class _Lease:
    """One pooled connection and how many requests hold it."""

    connection: httpcore.AsyncHTTPConnection
    holders: int = 0
    shared: bool = False  # may serve several requests at once (HTTP/2, or not known yet)

    def usable_for(self, origin: httpcore.Origin) -> bool:
        """Whether a request to `origin` may use this connection now."""
        if not self.connection.can_handle_request(origin):
            return False
        if self.holders and not self.shared:
            return False
        return self.connection.is_available()


class ConnectionPool:
    """At most `size` connections, leased per request and returned when the body is closed."""

    def __init__(
        self,
        size: int,
        *,
        ssl_context: ssl.SSLContext,
        keepalive_expiry: float,
        http2: bool,
        backend: httpcore.AsyncNetworkBackend,
    ) -> None:
        self._size = size
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._http2 = http2
        self._backend = backend
        self._leases: list[_Lease] = []
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        """Send `request` on a leased connection; the lease ends when the body is closed."""
        timeout = request.extensions.get("timeout", {}).get("pool")
        while True:
            lease = await self._lease(request.url.origin, timeout)
            try:
                response = await lease.connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:  # an HTTP/1.1 connection someone else took
                lease.shared = False
                self._give_back(lease)
                continue
            except BaseException:
                self._give_back(lease)
                raise
            assert isinstance(response.stream, AsyncIterable)
            lease.shared = response.extensions.get("http_version") == b"HTTP/2"
            body = _LeasedBody(response.stream, functools.partial(self._give_back, lease))
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=body,
                extensions=response.extensions,
            )

    async def aclose(self) -> None:
        """Close every connection (requests still reading fail)."""
        leases, self._leases = self._leases, []
        for lease in leases:
            await lease.connection.aclose()

    async def _lease(self, origin: httpcore.Origin, timeout: float | None) -> _Lease:
        while True:
            lease, stale = self._pick(origin)  # a lease picked is held already
            try:
                for connection in stale:
                    await connection.aclose()
            except BaseException:  # cancelled while closing: the lease must not stay held
                if lease is not None:
                    self._give_back(lease)
                raise
            if lease is not None:
                return lease
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except asyncio.TimeoutError:
                raise httpcore.PoolTimeout("no connection free in time") from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _pick(self, origin: httpcore.Origin) -> tuple[_Lease | None, list[_Connection]]:
        """A usable connection (a new one if there is room), held at once so no other request
        can take it as idle, and the connections to close."""
        stale = self._drop_stale()
        for lease in self._leases:
            if lease.usable_for(origin):
                lease.holders += 1
                return lease, stale
        if len(self._leases) >= self._size:
            idle = next((lease for lease in self._leases if not lease.holders), None)
            if idle is None:
                return None, stale
            self._leases.remove(idle)  # room for a connection to `origin`
            stale.append(idle.connection)
        lease = _Lease(self._connect(origin), holders=1, shared=self._may_share(origin))
        self._leases.append(lease)
        return lease, stale

    def _drop_stale(self) -> list[_Connection]:
        """Forget closed connections nobody holds; take out idle ones that expired (the caller
        closes them). A closed connection still held stays counted: httpcore may connect it
        again for the requests queued on it (a shared TLS connection whose first connect failed)."""
        stale = []
        kept = []
        for lease in self._leases:
            connection = lease.connection
            if connection.is_closed() and not lease.holders:
                continue
            if not lease.holders and connection.has_expired():
                stale.append(connection)
                continue
            kept.append(lease)
        self._leases = kept
        return stale

    def _connect(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        return httpcore.AsyncHTTPConnection(
            origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            http1=True,
            http2=self._http2,
            network_backend=self._backend,
        )

    def _may_share(self, origin: httpcore.Origin) -> bool:
        """A new TLS connection may turn out HTTP/2: requests wait for its handshake."""
        return self._http2 and origin.scheme == b"https"

    def _give_back(self, lease: _Lease) -> None:
        """End one hold of `lease`; wake every waiting request (one woken but cancelled before it
        ran would otherwise leave the others asleep beside a free connection)."""
        lease.holders -= 1
        if not lease.holders and lease.connection.is_closed() and lease in self._leases:
            self._leases.remove(lease)
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class _LeasedBody(AsyncIterable[bytes]):
    """A response body that returns its connection's lease when closed (or failed), once."""

    def __init__(self, stream: AsyncIterable[bytes], give_back: Callable[[], None]) -> None:
        self._stream = stream
        self._give_back: Callable[[], None] | None = give_back

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        give_back, self._give_back = self._give_back, None
        if give_back is None:
            return
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            give_back()
