"""The proxy's seeded random mode, concurrency, lifecycle and safety limits."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from tests.polling import wait_until
from tests.testbed.registry import RegistryServer

from .proxy import FaultProxy
from .registry import HEADERS, MANIFEST, Pushed, client, free_port, layer_path, sha256
from .rules import Fault, Rule

EXPECTED = {
    None: "ok",
    Fault.STALL: "ok",
    Fault.TOO_MANY: "429",
    Fault.ERROR_500: "500",
    Fault.BAD_GATEWAY: "502",
    Fault.UNAVAILABLE: "503",
    Fault.RESET: "broken",
    Fault.RESET_MID_BODY: "broken",
    Fault.TRUNCATE: "broken",
    Fault.WRONG_DIGEST: "wrong-digest",
    Fault.CORRUPT: "corrupt",
}


def workload(pushed: dict[str, Pushed], rounds: int) -> list[tuple[str, str, str]]:
    """(method, path, true digest) of a mixed sequence of manifest HEAD/GETs and blob GETs."""
    python = "/v2/faults/python/manifests/3.12-slim"
    one = [
        ("HEAD", MANIFEST, pushed["debian"].digest),
        ("GET", MANIFEST, pushed["debian"].digest),
        ("GET", layer_path(pushed), pushed["debian"].layer),
        ("HEAD", python, pushed["python"].digest),
        ("GET", python, pushed["python"].digest),
    ]
    return one * rounds


def outcome(http: httpx.Client, method: str, path: str, digest: str) -> str:
    """What a careful client sees: ok, a status, a broken transfer, or a lie it can detect."""
    try:
        answer = http.request(method, path, headers=HEADERS)
    except httpx.TransportError:
        return "broken"
    if answer.status_code != 200:
        return str(answer.status_code)
    if answer.headers["Docker-Content-Digest"] != digest:
        return "wrong-digest"
    if method == "GET" and sha256(answer.content) != digest:
        return "corrupt"
    return "ok"


def run_random(proxy: FaultProxy, pushed: dict[str, Pushed]) -> list[tuple[str, str, str]]:
    """Drive the workload through a proxy at 40 % random faults; (method, fault, outcome) each."""
    proxy.set_rules([Rule("random", rate=0.4, stall=0.2)])
    proxy.clear_log()
    with client(proxy.url, timeout=3) as http:
        outcomes = [outcome(http, m, p, d) for m, p, d in workload(pushed, 8)]
    events = proxy.events
    assert len(events) == len(outcomes)
    return [
        (e.method, e.fault.value if e.fault else "pass", seen)
        for e, seen in zip(events, outcomes, strict=True)
    ]


def test_random_faults_are_observable_and_replayable(
    fault_registry: RegistryServer, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    """Same seed, same injections; every injection is seen by the client as its kind says."""
    first = run_random(fault_proxy, pushed)
    with FaultProxy(fault_registry.url, seed=fault_proxy.seed) as again:
        assert run_random(again, pushed) == first
    with FaultProxy(fault_registry.url, seed=fault_proxy.seed + 1) as other:
        assert run_random(other, pushed) != first
    for method, fault, seen in first:
        kind = None if fault == "pass" else Fault(fault)
        assert seen == EXPECTED[kind], (method, fault, seen)
        assert not (method == "HEAD" and kind is not None and kind.needs_body)
    injected = sum(fault != "pass" for _, fault, _ in first)
    assert 3 <= injected <= 32  # 40 requests at 40 %: mean 16, bounds beyond 4 sigma


def test_concurrent_clients_get_the_same_faults_per_path(
    fault_registry: RegistryServer, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    """Draws depend on (seed, method, path, occurrence), not on how requests interleave."""
    rules = [Rule("random", rate=0.5, among=("503", "wrong-digest", "truncate", "reset"))]
    jobs = workload(pushed, 6)

    async def concurrently() -> None:
        async with httpx.AsyncClient(base_url=fault_proxy.url, trust_env=False) as http:
            await asyncio.gather(
                *(http.request(m, p, headers=HEADERS) for m, p, _ in jobs), return_exceptions=True
            )

    fault_proxy.set_rules(rules)
    asyncio.run(concurrently())
    with FaultProxy(fault_registry.url, rules, seed=fault_proxy.seed) as serial:
        with client(serial.url) as http:
            for method, path, digest in jobs:
                outcome(http, method, path, digest)
        want = sorted((e.method, e.path, str(e.fault)) for e in serial.events)
    got = sorted((e.method, e.path, str(e.fault)) for e in fault_proxy.events)
    assert got == want
    assert len(got) == len(jobs)


def test_stop_is_bounded_even_during_a_stall(fault_registry: RegistryServer) -> None:
    proxy = FaultProxy(fault_registry.url, [Rule("stall", stall=20)], seed=1).start()
    errors: list[BaseException] = []

    def stalled() -> None:
        try:
            with client(proxy.url, timeout=30) as http:
                http.head(MANIFEST, headers=HEADERS)
        except httpx.TransportError as exc:
            errors.append(exc)

    worker = threading.Thread(target=stalled)
    worker.start()
    wait_until(lambda: any(e.fault is Fault.STALL for e in proxy.events))  # the stall has begun
    started = time.monotonic()
    proxy.stop()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert not worker.is_alive() and len(errors) == 1
    assert [e.fault for e in proxy.events] == [Fault.STALL]


def test_proxy_stops_by_itself_after_its_lifetime(fault_registry: RegistryServer) -> None:
    started = time.monotonic()
    proxy = FaultProxy(fault_registry.url, lifetime=0.5, seed=1).start()
    with client(proxy.url) as http:
        assert http.get("/v2/").status_code == 200
    wait_until(lambda: refuses(proxy.url))
    assert time.monotonic() - started >= 0.5  # not before its lifetime
    proxy.stop()  # already stopped: a no-op


def refuses(url: str) -> bool:
    """True once nothing listens at `url` any more."""
    try:
        with client(url) as http:
            http.get("/v2/")
    except httpx.ConnectError:
        return True
    except httpx.TransportError:  # caught while shutting down: not refused yet
        return False
    return False


@pytest.mark.parametrize("upstream", ["http://192.0.2.1:5000", "http://registry.example:5000"])
def test_only_loopback_upstreams(upstream: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(upstream)


def test_upstream_down_gives_502_logged_as_pass() -> None:
    with FaultProxy(f"http://127.0.0.1:{free_port()}", seed=1) as proxy, client(proxy.url) as http:
        assert http.get("/v2/").status_code == 502
        assert [e.fault for e in proxy.events] == [None]


def test_proxy_listens_on_loopback(fault_proxy: FaultProxy) -> None:
    assert fault_proxy.url.startswith("http://127.0.0.1:") and fault_proxy.port > 0


@pytest.mark.parametrize(
    "kwargs",
    [{"fault": "418"}, {"fault": "503", "rate": 1.5}, {"fault": "stall", "stall": 60}],
)
def test_bad_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Rule(**kwargs)  # type: ignore[arg-type]
