"""A TCP relay on loopback that counts accepted connections and can add network latency, and
the loopback server thread it and the fault proxy (tests/faults/proxy.py) are built on.

`with NetProxy("127.0.0.1:5000", delay=0.010) as proxy:` then send clients to `proxy.address`.
Bytes pass untouched (plain HTTP, TLS or HTTP/2 alike). With `delay`, every chunk reaches the
other side `delay` seconds after it arrived, in both directions (a pipe with 2 x delay of round trip,
not a throughput limit), and each accepted connection first waits one round trip (2 x delay), the
cost of a TCP handshake. `proxy.accepted` counts connections; `proxy.max_open` the most open at once.
Used by tests (connection reuse) and benchmarks/ (latency runs); standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TypeVar

CHUNK = 64 * 1024
_S = TypeVar("_S", bound="LoopbackServerThread")


class LoopbackServerThread:
    """An asyncio TCP server on 127.0.0.1:<free port> in its own thread and event loop.

    Subclasses answer a connection in `_connection` (the writer is closed for them) and may hold
    something open while serving in `_serving`. `stop()` (or `lifetime` seconds) cancels every
    connection and joins the thread; `start()` returns once the port is bound.
    """

    name = "loopback-server"
    backlog = 100

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.port = 0
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None

    @property
    def address(self) -> str:
        """host:port to use instead of the upstream's."""
        return f"127.0.0.1:{self.port}"

    def start(self: _S) -> _S:
        """Start serving; returns once the port is bound (or raises what prevented it)."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._failure is not None:
            raise RuntimeError(f"{self.name} did not start: {self._failure!r}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: cut open connections and join the thread, bounded."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not stop in time")

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._failure = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=self.backlog)
        self.port = int(server.sockets[0].getsockname()[1])
        async with self._serving():
            self._ready.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.lifetime)
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._connection(reader, writer)
        finally:
            self._tasks.discard(task)
            writer.close()

    def _serving(self) -> AbstractAsyncContextManager[object]:
        """What stays open while the server serves (nothing here)."""
        return contextlib.nullcontext()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class NetProxy(LoopbackServerThread):
    """Relay 127.0.0.1:<free port> to a loopback `upstream` (host:port) in its own thread."""

    name = "net proxy"
    backlog = 1024

    def __init__(self, upstream: str, *, delay: float = 0.0, lifetime: float = 3600.0) -> None:
        host, _, port = upstream.rpartition(":")
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
            raise ValueError(f"NetProxy relays to loopback only, not {upstream!r}")
        super().__init__(lifetime)
        self.upstream = (host.strip("[]"), int(port))
        self.delay = delay
        self.accepted = 0
        self.open = self.max_open = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start counting again (connections still open stay open)."""
        with self._lock:
            self.accepted = 0
            self.max_open = self.open

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.accepted += 1
            self.open += 1
            self.max_open = max(self.max_open, self.open)
        try:
            if self.delay:
                await asyncio.sleep(2 * self.delay)  # the handshake's round trip
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            try:
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            finally:
                up_writer.close()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a connection cut (or the proxy stopping) just ends the relay
        finally:
            with self._lock:
                self.open -= 1

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Copy source to sink, each chunk `delay` after it arrived (order kept, not serialised)."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    with contextlib.suppress(OSError):
                        if sink.can_write_eof():
                            sink.write_eof()
                    return
                sink.write(data)
                await sink.drain()

        delivering = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await source.read(CHUNK)
                queue.put_nowait((time.monotonic() + self.delay, data))
                if not data:
                    break
            await delivering
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await delivering
