"""HTTP/2 with a TLS registry that offers it: the whole run multiplexed over one connection; with
`http2 = false`, HTTP/1.1 on at most `concurrency` kept connections. The CLI as users run it, the
test CA trusted through SSL_CERT_FILE, connections counted by a TCP relay."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest

from driftwatch.registry.netbackend import AsyncioBackend, AsyncioStream
from driftwatch.registry.pool import ConnectionPool
from tests.clirun import run_driftwatch
from tests.netproxy import NetProxy
from tests.testbed.images import build_image
from tests.testbed.registry import RegistryServer
from tests.tlsregistry import TlsRegistry


@pytest.fixture(scope="module")
def tls_refs(registry: RegistryServer) -> list[str]:
    refs = []
    for r in range(2):
        for t in range(10):
            image = build_image([{"f": f"h2/{r}/{t}".encode()}])
            registry.pusher.push_image(f"h2/app{r}", f"t{t}", image)
            refs.append(f"h2/app{r}:t{t}")
    return refs


@pytest.fixture
def tls_relay(registry: RegistryServer, tmp_path: Path) -> Iterator[tuple[TlsRegistry, NetProxy]]:
    with TlsRegistry(registry, tmp_path / "tls") as tls, NetProxy(tls.host) as relay:
        yield tls, relay


@pytest.mark.parametrize(("http2", "least", "most"), [(True, 1, 1), (False, 2, 4)])
def test_a_run_over_tls_uses_one_multiplexed_connection(
    tls_refs: list[str],
    tls_relay: tuple[TlsRegistry, NetProxy],
    tmp_path: Path,
    http2: bool,
    least: int,
    most: int,
) -> None:
    tls, relay = tls_relay
    (tmp_path / "driftwatch.toml").write_text(f"concurrency = 4\nhttp2 = {str(http2).lower()}\n")
    refs = [f"{relay.address}/{ref}" for ref in tls_refs]
    env = {"SSL_CERT_FILE": str(tls.ca), "DRIFTWATCH_CACHE_DIR": str(tmp_path / "cache")}
    for run in ("cold", "warm"):
        relay.reset()
        done = run_driftwatch(tmp_path, "resolve", *refs, env=env)
        assert done.returncode == 0, (run, done.stderr)
        assert len(done.stdout.splitlines()) == len(refs)
        assert least <= relay.accepted <= most, (run, relay.accepted)
    assert os.environ.get("SSL_CERT_FILE") != str(tls.ca)  # only the subprocess trusted it


def test_an_untrusted_certificate_is_a_one_line_connect_error(
    tls_refs: list[str], tls_relay: tuple[TlsRegistry, NetProxy], tmp_path: Path
) -> None:
    """The test CA not trusted: exit 3, the TLS library's reason, no traceback. (The endpoint is
    named: a loopback registry would otherwise be tried over plain HTTP too.)"""
    tls, relay = tls_relay
    ref = f"{tls.host}/{tls_refs[0]}"
    config = f'[registries."{tls.host}"]\nendpoint = "https://{tls.host}"\n'
    (tmp_path / "driftwatch.toml").write_text(config)
    done = run_driftwatch(tmp_path, "resolve", ref)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        line for line in done.stderr.splitlines() if line.startswith(f"{ref}: error: ")
    ]
    assert "cannot connect" in done.stderr and "certificate verify failed" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_ca_bundle_that_cannot_be_loaded_is_a_config_error(
    tls_refs: list[str], tls_relay: tuple[TlsRegistry, NetProxy], tmp_path: Path
) -> None:
    tls, relay = tls_relay
    ref = f"{tls.host}/{tls_refs[0]}"
    done = run_driftwatch(tmp_path, "resolve", ref, env={"SSL_CERT_FILE": os.devnull})
    assert done.returncode == 2, done.stderr
    assert f"SSL_CERT_FILE={os.devnull}" in done.stderr
    assert "cannot load the certificates" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_loopback_registry_with_an_untrusted_certificate_names_the_tls_failure(
    tls_refs: list[str], tls_relay: tuple[TlsRegistry, NetProxy], tmp_path: Path
) -> None:
    """A loopback registry is tried over HTTPS, then plain HTTP; an HTTPS-only one answers plain
    HTTP with 400, so the error is the certificate's, not "unexpected answer 400"."""
    tls, relay = tls_relay
    ref = f"{tls.host}/{tls_refs[0]}"
    done = run_driftwatch(tmp_path, "resolve", ref)
    assert done.returncode == 3, done.stderr
    assert "certificate verify failed" in done.stderr and "plain HTTP answered 400" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


class FirstConnectRefused(AsyncioBackend):
    """Real sockets, except the first connect, which fails once another request joined it."""

    def __init__(self) -> None:
        self.connects = 0

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncioStream:
        self.connects += 1
        if self.connects == 1:
            await asyncio.sleep(0)  # the second request queues on this connection meanwhile
            raise httpcore.ConnectError("refused")
        return await super().connect_tcp(host, port, timeout, local_address, socket_options)


def test_a_shared_connection_whose_first_connect_failed_stays_in_the_pool(
    tls_relay: tuple[TlsRegistry, NetProxy],
) -> None:
    """Two requests share a new TLS connection (it may be HTTP/2); its first connect fails and
    httpcore connects again for the second request: that connection must stay tracked (reused,
    counted, closed with the pool), not leak beside it."""
    tls, relay = tls_relay
    backend = FirstConnectRefused()
    context = ssl.create_default_context(cafile=str(tls.ca))
    pool = ConnectionPool(4, ssl_context=context, keepalive_expiry=60, http2=True, backend=backend)
    url = f"https://{tls.host}/v2/"

    async def get() -> int:
        request = httpcore.Request("GET", url, headers={"Host": tls.host})
        response = await pool.handle_async_request(request)
        await response.aread()
        await response.aclose()
        return response.status

    async def go() -> list[object]:
        first = await asyncio.gather(get(), get(), return_exceptions=True)
        third = await get()
        await pool.aclose()
        return [*(type(r).__name__ if isinstance(r, Exception) else r for r in first), third]

    assert asyncio.run(go()) == ["ConnectError", 200, 200]
    assert backend.connects == 2  # the third request reused the connection the second one made
