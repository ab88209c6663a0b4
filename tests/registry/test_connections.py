"""Connection reuse: a run opens at most the registry's concurrency of TCP connections.

A TCP relay (tests/netproxy.py) in front of the suite's real registry counts the connections the
client opens, cold (bodies read) and warm (HEADs), with token auth, error answers, retries after
5xx (through the fault proxy) and OS detection (blobs and layers streamed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

import pytest

from driftwatch.cache import MemoryManifestCache, MemoryTagMemo
from driftwatch.config import Config, RegistrySettings
from driftwatch.models import Resolution, ResolveFailure
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from driftwatch.usecases.online import OsOptions, resolve_online
from tests.conftest import sample_index
from tests.faults.proxy import FaultProxy
from tests.faults.rules import Rule
from tests.netproxy import NetProxy
from tests.testbed.images import build_image
from tests.testbed.registry import RegistryServer

CONCURRENCY = 4


def config_for(proxy: NetProxy, concurrency: int = CONCURRENCY) -> Config:
    """Plain HTTP to the relay (no https probe first), `concurrency` requests at once."""
    settings = RegistrySettings(endpoint=f"http://{proxy.address}", concurrency=concurrency)
    return Config(registries={proxy.address: settings}, retries=2, timeout=10)


def push_tags(server: RegistryServer, prefix: str, repos: int = 3, tags: int = 8) -> list[str]:
    """`repos` x `tags` single-image tags; references by repository path and tag (no host)."""
    found = []
    for r in range(repos):
        repo = f"conn/{prefix}{r}"
        for t in range(tags):
            image = build_image([{"f": f"{repo}:{t}".encode()}])
            server.pusher.push_image(repo, f"t{t}", image)
            found.append(f"{repo}:t{t}")
    return found


def resolve(
    config: Config, refs: Sequence[str], cache: MemoryManifestCache, tags: MemoryTagMemo
) -> list[Resolution | ResolveFailure]:
    async def go() -> list[Resolution | ResolveFailure]:
        async with RegistryClient(config, cache=cache, tags=tags) as client:
            return await client.resolve_all([parse_reference(r) for r in refs])

    return asyncio.run(go())


@pytest.fixture
def relay(registry: RegistryServer) -> Iterator[NetProxy]:
    with NetProxy(registry.host) as proxy:
        yield proxy


def test_cold_and_warm_runs_reuse_connections(registry: RegistryServer, relay: NetProxy) -> None:
    refs = [f"{relay.address}/{ref}" for ref in push_tags(registry, "cw")]
    cache, tags = MemoryManifestCache(), MemoryTagMemo()
    for run in ("cold", "warm"):
        relay.reset()
        results = resolve(config_for(relay), refs, cache, tags)
        assert all(isinstance(r, Resolution) for r in results), (run, results)
        assert 1 <= relay.accepted <= CONCURRENCY, (run, relay.accepted)


def test_error_answers_and_missing_tags_keep_their_connections(
    registry: RegistryServer, relay: NetProxy
) -> None:
    refs = [f"{relay.address}/{ref}" for ref in push_tags(registry, "gone", repos=1, tags=4)]
    missing = [f"{relay.address}/conn/gone0:nope{n}" for n in range(12)]
    missing += [f"{relay.address}/conn/nosuchrepo:{n}" for n in range(12)]
    cache, tags = MemoryManifestCache(), MemoryTagMemo()
    resolve(config_for(relay), refs, cache, tags)  # known: HEADs next time, 404 to HEAD
    relay.reset()
    results = resolve(config_for(relay), refs + missing, cache, tags)
    assert [type(r).__name__ for r in results[len(refs) :]] == ["ResolveFailure"] * len(missing)
    assert all(r.error_type == "NotFound" for r in results[len(refs) :])  # type: ignore[union-attr]
    assert relay.accepted <= CONCURRENCY


def test_token_auth_reuses_registry_connections(token_registry: RegistryServer) -> None:
    assert token_registry.token_server is not None
    names = push_tags(token_registry, "tok", repos=2, tags=6)
    with NetProxy(token_registry.host) as relay:
        refs = [f"{relay.address}/{ref}" for ref in names]
        cache, tags = MemoryManifestCache(), MemoryTagMemo()
        for run in ("cold", "warm"):
            before = len(token_registry.token_server.requests)
            relay.reset()
            results = resolve(config_for(relay), refs, cache, tags)
            assert all(isinstance(r, Resolution) for r in results), (run, results)
            assert relay.accepted <= CONCURRENCY, (run, relay.accepted)
            assert len(token_registry.token_server.requests) - before == 2  # one per repository


def test_retries_after_server_errors_reuse_connections(registry: RegistryServer) -> None:
    names = push_tags(registry, "retry", repos=2, tags=6)
    with FaultProxy(registry.url, seed=3) as faults, NetProxy(faults.address) as relay:
        refs = [f"{relay.address}/{ref}" for ref in names]
        cache, tags = MemoryManifestCache(), MemoryTagMemo()
        resolve(config_for(relay), refs, cache, tags)
        faults.set_rules([Rule("503", method="HEAD", path="/manifests/", per_path=1)])
        relay.reset()
        results = resolve(config_for(relay), refs, cache, tags)
        assert all(isinstance(r, Resolution) for r in results), results
        assert len(faults.injections) == len(refs)  # every HEAD answered 503 once, then retried
        assert relay.accepted <= CONCURRENCY


def test_os_detection_reads_blobs_on_kept_connections(
    registry: RegistryServer, relay: NetProxy
) -> None:
    refs = []
    for n in range(3):
        registry.pusher.push_index(f"conn/os{n}", "1", sample_index(f"os{n}"))
        refs.append(parse_reference(f"{relay.address}/conn/os{n}:1"))
    relay.reset()
    results = resolve_online(
        refs, config_for(relay), strict=True, os_options=OsOptions(mode="full")
    )
    assert all(isinstance(r, Resolution) for r in results), results
    releases = {image.os.id for r in results for image in r.platforms if image.os}  # type: ignore[union-attr]
    assert releases == {"debian"}
    assert relay.accepted <= CONCURRENCY
