"""driftwatch's HTTP transport (registry/transport.py, pool.py, netbackend.py) on real sockets.

Against the suite's registry (through the counting TCP relay) and, for a server that closes idle
connections, a few lines of asyncio server: waiting for a free connection, the pool timeout, flow
control of a large body, a stale keep-alive connection, and httpx's own transport behind a proxy.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from driftwatch.config import Config, RegistrySettings
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from driftwatch.registry.netbackend import HIGH_WATER, AsyncioStream
from driftwatch.registry.session import RegistrySession, tls_context
from driftwatch.registry.transport import ClientSender, DirectSender, RegistryTransport
from tests.names import unique_name
from tests.netproxy import NetProxy
from tests.testbed.images import Blob, build_image
from tests.testbed.registry import RegistryServer

SOCKET_READ = 256 * 1024  # the most asyncio reads from a socket at once


def transport(connections: int) -> RegistryTransport:
    return RegistryTransport(tls_context(), connections, keepalive=60.0, http2=False)


def run(work: Callable[[httpx.AsyncClient], Awaitable[None]], connections: int) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=transport(connections)) as client:
            await work(client)

    asyncio.run(go())


@pytest.fixture
def relay(registry: RegistryServer) -> Iterator[NetProxy]:
    with NetProxy(registry.host) as proxy:
        yield proxy


def test_more_requests_than_connections_wait_for_one(relay: NetProxy) -> None:
    statuses: list[int] = []

    async def work(client: httpx.AsyncClient) -> None:
        async def one() -> None:
            statuses.append((await client.get(f"http://{relay.address}/v2/")).status_code)

        await asyncio.gather(*(one() for _ in range(20)))

    run(work, connections=2)
    assert statuses == [200] * 20
    assert relay.accepted <= 2
    assert relay.max_open <= 2


def test_a_request_waiting_past_the_pool_timeout_fails_and_the_connection_stays(
    relay: NetProxy,
) -> None:
    url = f"http://{relay.address}/v2/"

    async def work(client: httpx.AsyncClient) -> None:
        async with client.stream("GET", url) as held:  # its body not read: the connection is taken
            with pytest.raises(httpx.PoolTimeout):
                await client.get(url, timeout=httpx.Timeout(10.0, pool=0.2))
            await held.aread()
        assert (await client.get(url)).status_code == 200

    run(work, connections=1)
    assert relay.accepted == 1


def test_a_large_body_is_read_with_flow_control(registry: RegistryServer) -> None:
    repo = unique_name("transport/large")
    blob = Blob("application/octet-stream", os.urandom(8 * 1024 * 1024))
    registry.pusher.push_blob(repo, blob)
    url = f"{registry.url}/v2/{repo}/blobs/{blob.digest}"
    seen: dict[str, object] = {}

    async def work(client: httpx.AsyncClient) -> None:
        async with client.stream("GET", url) as response:
            stream = response.extensions["network_stream"]
            assert isinstance(stream, AsyncioStream)
            await _until(lambda: stream.reading_paused)  # the registry sends faster than we read
            seen["buffered"] = stream.buffered
            digest = hashlib.sha256()
            async for chunk in response.aiter_raw():
                digest.update(chunk)
            seen["digest"] = "sha256:" + digest.hexdigest()

    run(work, connections=1)
    assert seen["digest"] == blob.digest
    assert isinstance(seen["buffered"], int)
    assert HIGH_WATER < seen["buffered"] <= HIGH_WATER + SOCKET_READ


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll `condition` on the running loop (the loop must run for sockets to be read)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


class ClosingServer:
    """HTTP/1.1 on loopback that answers one request per connection, then closes it, without
    saying `Connection: close` (as a server whose keep-alive timer fired right after). Every
    answer sets a cookie; `requests` keeps the head of each request."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self.requests: list[bytes] = []

    async def __aenter__(self) -> ClosingServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.requests.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()


def test_a_keep_alive_connection_the_server_closed_is_not_reused() -> None:
    async def go() -> list[str]:
        async with ClosingServer() as server, httpx.AsyncClient(transport=transport(1)) as client:
            url = f"http://127.0.0.1:{server.port}/"
            first = await client.get(url)
            stream = first.extensions["network_stream"]
            await _until(lambda: bool(stream.get_extra_info("is_readable")))  # the FIN arrived
            second = await client.get(url)  # on a new connection, not a failed write
            assert server.connections == 2
            return [first.text, second.text]

    assert asyncio.run(go()) == ["ok", "ok"]


def test_requests_carry_driftwatchs_headers_once_and_never_a_cookie() -> None:
    async def go() -> list[bytes]:
        async with ClosingServer() as server:
            host = f"127.0.0.1:{server.port}"
            settings = RegistrySettings(endpoint=f"http://{host}")
            session = RegistrySession(Config(registries={host: settings}), None, None)
            try:
                ref = parse_reference(f"{host}/app:1")
                headers = {"accept": "application/vnd.oci.image.index.v1+json"}
                for _ in range(2):
                    response = await session.request(ref, "GET", "/v2/app/manifests/1", headers)
                    await response.aclose()
            finally:
                await session.close()
            return server.requests

    pings_and_gets = asyncio.run(go())
    assert len(pings_and_gets) == 3  # /v2/, then the manifest twice
    for head in pings_and_gets[1:]:
        lines = head.decode().lower().splitlines()
        assert [line for line in lines if line.startswith("accept:")] == [
            "accept: application/vnd.oci.image.index.v1+json"
        ]
        assert "accept-encoding: identity" in lines
        assert any(line.startswith("user-agent: driftwatch/") for line in lines)
        assert not any(line.startswith("cookie:") for line in lines)


async def _resolve(config: Config, ref: str) -> str:
    async with RegistryClient(config) as client:
        resolution = await client.resolve(parse_reference(ref))
    return resolution.digest


def test_a_proxy_in_the_environment_is_used_through_httpx(
    registry: RegistryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY set: requests go through it (httpx's transport, which knows proxies)."""
    repo = unique_name("transport/proxied")
    digest = registry.pusher.push_image(repo, "1", build_image([{"f": repo.encode()}]))
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings = RegistrySettings(endpoint=registry.url)
    config = Config(registries={registry.host: settings}, retries=0, timeout=10)
    with NetProxy(registry.host) as proxy:  # the registry answers absolute-form requests
        monkeypatch.setenv("HTTP_PROXY", f"http://{proxy.address}")
        assert asyncio.run(_resolve(config, f"{registry.host}/{repo}:1")) == digest
        assert proxy.accepted >= 1
        monkeypatch.delenv("HTTP_PROXY")
        proxy.reset()
        assert asyncio.run(_resolve(config, f"{registry.host}/{repo}:1")) == digest
        assert proxy.accepted == 0


def test_sessions_send_directly_unless_a_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)

    def sender_of(session: RegistrySession) -> object:
        return session._new_sender(False, 4)

    assert isinstance(sender_of(RegistrySession(Config(), None, None)), DirectSender)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert isinstance(sender_of(RegistrySession(Config(), None, None)), ClientSender)
