"""The registry client against the real registry behind the fault proxy: retries, Retry-After, lying
digests and the per-registry concurrency limit, with real sockets instead of httpx.MockTransport."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from driftwatch.cache import MemoryManifestCache
from driftwatch.config import Config, RegistrySettings
from driftwatch.errors import DigestMismatch, InvalidResponse, NotFound, RateLimited, Unreachable
from driftwatch.models import Resolution
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from tests.names import unique_name
from tests.testbed.images import build_image, build_index
from tests.testbed.registry import RegistryServer, corrupt_blob

from .proxy import FaultProxy
from .registry import Pushed, free_port
from .rules import Fault, Rule

Action = Callable[[RegistryClient], Awaitable[Any]]


def plain(address: str, **settings: Any) -> Config:
    """Plain HTTP to `address` (the proxy cannot answer the https probe, which would time out)."""
    endpoint = RegistrySettings(endpoint=f"http://{address}", concurrency=settings.pop("limit", 16))
    return Config(registries={address: endpoint}, **settings)


def run_client(
    action: Action, config: Config, sleeps: list[float] | None = None
) -> tuple[Any, list[float]]:
    """Run `action` with a fresh client; its result and the back-off sleeps it asked for."""
    sleeps = [] if sleeps is None else sleeps

    async def sleep(seconds: float) -> None:  # record the back-off instead of waiting it
        sleeps.append(seconds)

    async def go() -> Any:
        async with RegistryClient(config, cache=MemoryManifestCache()) as c:
            c.session.sleep = sleep
            return await action(c)

    return asyncio.run(go()), sleeps


def resolving(reference: str) -> Action:
    """An action resolving one reference (errors raised)."""
    return lambda client: client.resolve(parse_reference(reference))


def manifest_requests(proxy: FaultProxy) -> list[tuple[str, str, Fault | None]]:
    """(method, path, fault) of the manifest requests the proxy saw, in order."""
    return [(e.method, e.path, e.fault) for e in proxy.events if "/manifests/" in e.path]


def debian(proxy: FaultProxy) -> str:
    return f"{proxy.address}/faults/debian:bookworm"


def test_429_honours_retry_after_capped_then_succeeds(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules(
        [Rule("429", path="/manifests/", retry_after=2, times=1)]
        + [Rule("429", path="/manifests/", retry_after=99999, times=1)]
    )
    result, sleeps = run_client(resolving(debian(fault_proxy)), plain(fault_proxy.address))
    assert isinstance(result, Resolution) and result.digest == pushed["debian"].digest
    assert sleeps == [2.0, 60.0]  # Retry-After honoured, and capped
    faults = [fault for _, _, fault in manifest_requests(fault_proxy)]
    assert faults[:3] == [Fault.TOO_MANY, Fault.TOO_MANY, None]


def test_429_forever_is_rate_limited_after_bounded_retries(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules([Rule("429", path="/manifests/", retry_after=0)])
    sleeps: list[float] = []
    with pytest.raises(RateLimited, match="429"):
        run_client(resolving(debian(fault_proxy)), plain(fault_proxy.address, retries=3), sleeps)
    assert len(manifest_requests(fault_proxy)) == 4  # the first try and three retries
    assert len(sleeps) == 3 and sleeps[0] < sleeps[-1]  # exponential back-off


def test_5xx_is_retried_and_a_closed_port_is_unreachable(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules([Rule("503", path="/manifests/", times=1)])
    result, sleeps = run_client(resolving(debian(fault_proxy)), plain(fault_proxy.address))
    assert result.digest == pushed["debian"].digest and len(sleeps) == 1
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(Unreachable, match="cannot connect"):
        run_client(resolving(f"{closed}/faults/debian:bookworm"), plain(closed))


def test_a_missing_tag_is_not_retried(fault_proxy: FaultProxy, pushed: dict[str, Pushed]) -> None:
    with pytest.raises(NotFound, match="404"):
        run_client(
            resolving(f"{fault_proxy.address}/faults/debian:no-such-tag"),
            plain(fault_proxy.address),
        )
    # one HEAD, then one GET confirming its 404 (some registries 404 a HEAD their GET serves)
    assert [m for m, _, _ in manifest_requests(fault_proxy)] == ["HEAD", "GET"]


def test_a_lying_digest_header_is_caught(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    """A first sighting is a GET whose body is hashed: a header naming another digest is refused."""
    fault_proxy.set_rules([Rule("wrong-digest", method="GET", path="/manifests/")])

    async def first_sighting(client: RegistryClient) -> Resolution:
        client.baseline = {}  # nothing seen before: the body must be read and hashed
        return await client.resolve(parse_reference(debian(fault_proxy)))

    with pytest.raises(DigestMismatch):
        run_client(first_sighting, plain(fault_proxy.address, retries=0))
    assert [(m, f) for m, _, f in manifest_requests(fault_proxy)] == [("GET", Fault.WRONG_DIGEST)]


def test_per_registry_concurrency_limit(fault_registry: RegistryServer) -> None:
    repo = unique_name("faults/many")
    image = build_image([{"a": b"1"}])
    tags = [str(n) for n in range(8)]
    for tag in tags:
        fault_registry.pusher.push_image(repo, tag, image)
    rules = [Rule(Fault.STALL, path="/manifests/", stall=0.3)]  # keep requests overlapping
    with FaultProxy(fault_registry.url, rules, seed=1) as proxy:
        config = plain(proxy.address, limit=3)
        refs = [parse_reference(f"{proxy.address}/{repo}:{tag}") for tag in tags]
        results, _ = run_client(lambda client: client.resolve_all(refs), config)
        assert all(isinstance(r, Resolution) for r in results), results
        assert proxy.max_active == 3


def test_a_streamed_blob_that_lies_raises_digest_mismatch_at_the_end(
    fault_registry: RegistryServer,
) -> None:
    """The registry serves flipped bytes (storage damaged): every chunk arrives, then the error."""
    repo = unique_name("faults/lying-blob")
    image = build_image([{"big": repo.encode() * 500}])  # blobs are shared: content of its own
    fault_registry.pusher.push_image(repo, "1", image)
    layer = image.layers[0]
    corrupt_blob(fault_registry, layer.digest)
    chunks: list[bytes] = []

    async def stream(client: RegistryClient) -> None:
        reference = parse_reference(f"{fault_registry.host}/{repo}:1")
        async with client.stream_blob(reference, layer.digest) as stream:
            async for chunk in stream:
                chunks.append(chunk)  # noqa: PERF401 - keep what arrived before the error

    with pytest.raises(DigestMismatch):
        run_client(stream, plain(fault_registry.host, retries=0))
    received = b"".join(chunks)
    assert len(received) == len(layer.data) and received != layer.data


def with_baseline(reference: str, baseline: dict[str, str | None]) -> Action:
    """Resolve `reference` as a fleet scan does: knowing what the history saw last time."""

    async def action(client: RegistryClient) -> Resolution:
        client.baseline = baseline
        return await client.resolve(parse_reference(reference))

    return action


def test_a_new_digest_on_head_is_only_believed_after_hashing_the_body(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    reference = debian(fault_proxy)
    fault_proxy.set_rules([Rule("wrong-digest", method="HEAD", path="/manifests/")])
    last_time = {str(parse_reference(reference)): pushed["debian"].digest}
    with pytest.raises(DigestMismatch):
        run_client(with_baseline(reference, last_time), plain(fault_proxy.address, retries=0))
    assert [(m, f) for m, _, f in manifest_requests(fault_proxy)] == [
        ("HEAD", Fault.WRONG_DIGEST),
        ("GET", None),  # by tag, hashed: the header's digest is not in the body
    ]


def test_the_digest_seen_last_time_costs_one_head(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    reference = debian(fault_proxy)
    last_time = {str(parse_reference(reference)): pushed["debian"].digest}
    result, _ = run_client(with_baseline(reference, last_time), plain(fault_proxy.address))
    assert result.digest == pushed["debian"].digest
    assert [m for m, _, _ in manifest_requests(fault_proxy)] == ["HEAD"]


def test_a_first_sighting_outside_docker_hub_is_one_hashed_get(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    result, _ = run_client(with_baseline(debian(fault_proxy), {}), plain(fault_proxy.address))
    assert result.digest == pushed["debian"].digest
    assert [m for m, _, _ in manifest_requests(fault_proxy)] == ["GET"]  # HEAD only names it


def test_a_named_digest_that_404s_is_an_inconsistent_registry_not_a_gone_tag(
    fault_registry: RegistryServer, fault_proxy: FaultProxy
) -> None:
    repo = unique_name("faults/index")
    index = build_index([build_image([{"a": repo.encode()}])])
    fault_registry.pusher.push_index(repo, "1", index)
    fault_proxy.set_rules([Rule("wrong-digest", method="HEAD", path="/manifests/")])
    with pytest.raises(InvalidResponse, match="does not serve it"):
        run_client(resolving(f"{fault_proxy.address}/{repo}:1"), plain(fault_proxy.address))
    [(head, _, lie), (get, path, _)] = manifest_requests(fault_proxy)
    assert (head, lie, get) == ("HEAD", Fault.WRONG_DIGEST, "GET")
    assert path.rsplit("/", 1)[-1] != index.digest  # the GET asked for the digest HEAD named
