"""httpcore's sockets on plain asyncio protocols, for less CPU per request than anyio's streams.

httpcore asks an idle connection "is the socket readable?" every time its pool looks for a free
connection, several times per request. Through anyio that question builds a dict of socket
attributes, calls `getpeername()` and polls the socket (about a third of a warm run's CPU in the
benchmark's profile). A protocol already knows: data or end-of-file it received is in its buffer.
This backend implements httpcore's public `AsyncNetworkBackend` on `loop.create_connection`, with
flow control (reading pauses while a whole buffer waits to be consumed) and httpcore's timeouts.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

HIGH_WATER = 256 * 1024  # bytes buffered before the socket stops being read
HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305's recommended wait before trying the next address


class _Buffered(asyncio.Protocol):
    """Received bytes, end-of-file and errors, kept until a reader takes them."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.ended = False
        self.error: BaseException | None = None
        self.transport: asyncio.Transport | None = None
        self._reader: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self.paused = False
        self._paused_writing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        _wake(self._reader)

    def eof_received(self) -> bool:
        self.ended = True
        _wake(self._reader)
        return False  # close our side too: an HTTP peer that stops sending is done

    def connection_lost(self, exc: BaseException | None) -> None:
        self.ended = True
        self.error = exc
        _wake(self._reader)
        _wake(self._drain)

    def pause_writing(self) -> None:
        self._paused_writing = True

    def resume_writing(self) -> None:
        self._paused_writing = False
        _wake(self._drain)

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what was received; resumes reading once the buffer drained."""
        if max_bytes >= len(self.buffer):
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self.paused and len(self.buffer) <= HIGH_WATER // 2 and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
        return data

    async def received(self, timeout: float | None) -> None:
        """Wait for bytes, end-of-file or an error; httpcore.ReadTimeout after `timeout`."""
        if self.buffer or self.ended:
            return
        self._reader = asyncio.get_running_loop().create_future()
        try:
            await _within(self._reader, timeout, httpcore.ReadTimeout)
        finally:
            self._reader = None

    async def drained(self, timeout: float | None) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        if not self._paused_writing or self.ended:
            return
        self._drain = asyncio.get_running_loop().create_future()
        try:
            await _within(self._drain, timeout, httpcore.WriteTimeout)
        finally:
            self._drain = None


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


async def _within(
    waiter: asyncio.Future[None], timeout: float | None, error: type[httpcore.TimeoutException]
) -> None:
    """Await `waiter`; after `timeout` seconds (None: no limit) it fails with `error`."""
    if timeout is None:
        await waiter
        return

    def expire() -> None:
        if not waiter.done():
            waiter.set_exception(error(f"timed out after {timeout:g} s"))

    handle = asyncio.get_running_loop().call_later(timeout, expire)
    try:
        await waiter
    finally:
        handle.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection, read and written through a `_Buffered` protocol."""

    def __init__(self, transport: asyncio.Transport, protocol: _Buffered) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        await protocol.received(timeout)
        if protocol.buffer:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""  # end of file

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("connection closed")
        self._transport.write(buffer)
        await self._protocol.drained(timeout)

    async def aclose(self) -> None:
        if self._transport.get_extra_info("ssl_object") is not None:
            self._transport.abort()  # no close_notify exchange left running after the loop ends
        else:
            self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncioStream:
        if self._protocol.ended:  # the peer hung up first: no handshake can finish
            raise httpcore.ConnectError("connection closed before the TLS handshake")
        loop = asyncio.get_running_loop()
        try:
            upgraded = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as exc:
            self._transport.close()
            raise _connect_error(exc) from exc
        if upgraded is None:  # the connection was closed during the handshake
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        assert isinstance(upgraded, asyncio.Transport)
        self._protocol.transport = upgraded
        return AsyncioStream(upgraded, self._protocol)

    @property
    def buffered(self) -> int:
        """Bytes received and not read yet (at most about HIGH_WATER plus one socket read)."""
        return len(self._protocol.buffer)

    @property
    def reading_paused(self) -> bool:
        """Whether the socket is not being read because the buffer is full."""
        return self._protocol.paused

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # what httpcore asks of an idle connection: did the peer speak?
            return bool(self._protocol.buffer) or self._protocol.ended
        names = {"client_addr": "sockname", "server_addr": "peername"}
        return self._transport.get_extra_info(names.get(info, info))


def _connect_error(exc: BaseException) -> httpcore.ConnectError | httpcore.ConnectTimeout:
    """httpcore's error for a failed connect, its text the system's reason ("Connection refused",
    "Name or service not known") rather than asyncio's "Connect call failed ('10.0.0.1', 443)"."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return httpcore.ConnectTimeout("timed out while connecting")
    if isinstance(exc, ssl.SSLError):  # its errno is the library's, not the system's
        return httpcore.ConnectError(str(exc))
    if isinstance(exc, socket.gaierror) and exc.strerror:
        return httpcore.ConnectError(exc.strerror)
    if isinstance(exc, OSError) and exc.errno:
        return httpcore.ConnectError(os.strerror(exc.errno))
    return httpcore.ConnectError(str(exc) or type(exc).__name__)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens `AsyncioStream`s: TCP with happy eyeballs; Unix sockets are not used by driftwatch."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        connecting = loop.create_connection(
            _Buffered,
            host,
            port,
            local_addr=(local_address, 0) if local_address else None,
            happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
        )
        try:
            transport, protocol = await asyncio.wait_for(connecting, timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise _connect_error(exc) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            if sock is not None:
                sock.setsockopt(*option)
        assert isinstance(transport, asyncio.Transport)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncioStream:
        raise httpcore.ConnectError("Unix sockets are not supported")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
