"""The fault proxy, proved with raw httpx against a real docker-registry behind it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from .damage import wrong_digest
from .proxy import FaultProxy
from .registry import ACCEPT, Pushed, Registry, push_blob, sha256
from .rules import Fault, Rule

MANIFEST = "/v2/library/debian/manifests/bookworm"
HEADERS = {"Accept": ACCEPT}


def client(base: str, timeout: float = 5.0) -> httpx.Client:
    """A plain client that never reads proxy settings from the environment."""
    return httpx.Client(base_url=base, timeout=timeout, trust_env=False)


@pytest.fixture
def http(fault_proxy: FaultProxy) -> Iterator[httpx.Client]:
    """A client talking to the registry through the proxy."""
    with client(fault_proxy.url) as session:
        yield session


def blob(pushed: dict[str, Pushed]) -> str:
    return f"/v2/library/debian/blobs/{pushed['debian'].layer}"


def test_pass_through_is_byte_exact(
    fault_registry: Registry, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    """Without rules, status, digest header, type, length and body equal the direct answer."""
    paths = [("HEAD", MANIFEST), ("GET", MANIFEST), ("GET", blob(pushed)), ("GET", "/v2/")]
    paths.append(("GET", "/v2/library/debian/manifests/no-such-tag"))
    with client(fault_registry.url) as direct, client(fault_proxy.url) as proxied:
        for method, path in paths:
            want = direct.request(method, path, headers=HEADERS)
            got = proxied.request(method, path, headers=HEADERS)
            assert got.status_code == want.status_code
            for name in ("Docker-Content-Digest", "Content-Type", "Content-Length"):
                assert got.headers.get(name) == want.headers.get(name), (path, name)
            assert got.content == want.content
    assert got.status_code == 404
    body = want.content
    assert sha256(body) != pushed["debian"].digest  # the 404 body is not the manifest
    assert [e.method for e in fault_proxy.events] == [m for m, _ in paths]
    assert fault_proxy.injections == []


def test_uploads_pass_through_with_host_kept(
    fault_registry: Registry, fault_proxy: FaultProxy, http: httpx.Client
) -> None:
    """Request bodies (sized and chunked) reach the registry; its Location points at the proxy."""
    started = http.post("/v2/library/scratch/blobs/uploads/")
    location = started.headers["Location"]
    assert started.status_code == 202 and location.startswith(fault_proxy.url)
    chunked = b"sent chunked through the fault proxy\n" * 1000
    separator = "&" if "?" in location else "?"
    done = http.put(
        f"{location}{separator}digest={sha256(chunked)}",
        content=iter([chunked[:1000], chunked[1000:]]),
    )
    assert done.status_code == 201  # the registry checked the digest of what arrived
    sized = b"sent with a length through the fault proxy\n" * 1000
    push_blob(http, "library/scratch", sized)
    with client(fault_registry.url) as direct:
        for data in (chunked, sized):
            assert direct.get(f"/v2/library/scratch/blobs/{sha256(data)}").content == data


def test_digest_and_blob_bytes_survive_the_proxy(
    http: httpx.Client, pushed: dict[str, Pushed]
) -> None:
    """The manifest hashes to its pushed digest and the 256 KiB layer to its own, via the proxy."""
    manifest = http.get(MANIFEST, headers=HEADERS)
    assert sha256(manifest.content) == manifest.headers["Docker-Content-Digest"]
    assert manifest.headers["Docker-Content-Digest"] == pushed["debian"].digest
    layer = http.get(blob(pushed))
    assert len(layer.content) == pushed["debian"].layer_size > 200_000
    assert sha256(layer.content) == pushed["debian"].layer


def test_429_carries_retry_after_and_never_reaches_the_registry(
    fault_registry: Registry, fault_proxy: FaultProxy, http: httpx.Client
) -> None:
    fault_proxy.set_rules([Rule("429", retry_after=7)])
    before = len(fault_registry.access_log())
    answer = http.get(MANIFEST, headers=HEADERS)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert http.head(MANIFEST, headers=HEADERS).status_code == 429
    assert len(fault_registry.access_log()) == before
    assert [e.fault for e in fault_proxy.injections] == [Fault.TOO_MANY, Fault.TOO_MANY]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(fault_proxy: FaultProxy, http: httpx.Client, status: int) -> None:
    fault_proxy.set_rules([Rule(str(status), method="GET")])
    answer = http.get(MANIFEST, headers=HEADERS)
    assert answer.status_code == status
    assert "Retry-After" not in answer.headers
    assert http.head(MANIFEST, headers=HEADERS).status_code == 200  # GET only


def test_reset_before_answer(fault_proxy: FaultProxy, http: httpx.Client) -> None:
    fault_proxy.set_rules([Rule("reset")])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.head(MANIFEST, headers=HEADERS)


def test_reset_mid_body(
    fault_proxy: FaultProxy, http: httpx.Client, pushed: dict[str, Pushed]
) -> None:
    """Headers and part of the body arrive, then the connection is reset."""
    fault_proxy.set_rules([Rule("reset-mid-body", path="/blobs/")])
    received = 0
    with http.stream("GET", blob(pushed)) as answer:
        assert answer.status_code == 200
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            for chunk in answer.iter_raw():
                received += len(chunk)
    assert 0 < received < pushed["debian"].layer_size


def test_truncated_body(
    fault_proxy: FaultProxy, http: httpx.Client, pushed: dict[str, Pushed]
) -> None:
    """Full Content-Length announced, half the bytes sent, then a clean close."""
    fault_proxy.set_rules([Rule("truncate", method="GET", path="/manifests/")])
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete|expected"):
        http.get(MANIFEST, headers=HEADERS)
    received = 0
    fault_proxy.set_rules([Rule("truncate", path="/blobs/")])
    with http.stream("GET", blob(pushed)) as answer:
        assert answer.headers["Content-Length"] == str(pushed["debian"].layer_size)
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_raw():
                received += len(chunk)
    assert received == pushed["debian"].layer_size // 2
    assert http.head(blob(pushed)).status_code == 200  # body faults never apply to HEAD
    assert [e.fault for e in fault_proxy.events] == [Fault.TRUNCATE, Fault.TRUNCATE, None]


def test_stall_hits_the_client_timeout_then_passes_for_a_patient_client(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules([Rule("stall", stall=0.8)])
    with client(fault_proxy.url, timeout=0.3) as hasty, pytest.raises(httpx.ReadTimeout):
        hasty.head(MANIFEST, headers=HEADERS)
    started = time.monotonic()
    with client(fault_proxy.url, timeout=3) as patient:
        answer = patient.get(MANIFEST, headers=HEADERS)
    assert time.monotonic() - started >= 0.8
    assert sha256(answer.content) == pushed["debian"].digest


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_wrong_digest_header(
    http: httpx.Client, fault_proxy: FaultProxy, pushed: dict[str, Pushed], method: str
) -> None:
    fault_proxy.set_rules([Rule("wrong-digest")])
    answer = http.request(method, MANIFEST, headers=HEADERS)
    header = answer.headers["Docker-Content-Digest"]
    true = pushed["debian"].digest
    assert answer.status_code == 200
    assert header.startswith("sha256:") and len(header) == 71
    assert header != true and header == wrong_digest(true)
    if method == "GET":
        assert sha256(answer.content) == true != header


def test_corrupt_manifest_keeps_headers_and_length(
    http: httpx.Client, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    clean = http.get(MANIFEST, headers=HEADERS).content
    fault_proxy.set_rules([Rule("corrupt", path="/manifests/")])
    answer = http.get(MANIFEST, headers=HEADERS)
    assert answer.headers["Docker-Content-Digest"] == pushed["debian"].digest
    assert answer.headers["Content-Length"] == str(len(clean)) == str(len(answer.content))
    assert sha256(answer.content) != answer.headers["Docker-Content-Digest"]
    assert sum(a != b for a, b in zip(clean, answer.content, strict=True)) == 1
    json.loads(answer.content)  # still valid JSON: only the hash gives it away


def test_rules_target_method_and_path(
    http: httpx.Client, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules([Rule("503", method="HEAD", path=r"^/v2/.+/manifests/")])
    assert http.head(MANIFEST, headers=HEADERS).status_code == 503
    assert http.get(MANIFEST, headers=HEADERS).status_code == 200
    assert http.head(blob(pushed)).status_code == 200
    assert [e.method for e in fault_proxy.injections] == ["HEAD"]


def test_transient_rule_heals_after_n(http: httpx.Client, fault_proxy: FaultProxy) -> None:
    fault_proxy.set_rules([Rule("502", times=2), Rule("429", path="/nothing-matches/")])
    statuses = [http.head(MANIFEST, headers=HEADERS).status_code for _ in range(5)]
    assert statuses == [502, 502, 200, 200, 200]
    assert [e.index for e in fault_proxy.injections] == [0, 1]


def test_first_live_rule_decides(http: httpx.Client, fault_proxy: FaultProxy) -> None:
    """A transient rule in front of a permanent one: first N get one fault, then the other."""
    fault_proxy.set_rules([Rule("503", times=1), Rule("500")])
    statuses = [http.get(MANIFEST, headers=HEADERS).status_code for _ in range(3)]
    assert statuses == [503, 500, 500]


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
    python = "/v2/library/python/manifests/3.12-slim"
    one = [
        ("HEAD", MANIFEST, pushed["debian"].digest),
        ("GET", MANIFEST, pushed["debian"].digest),
        ("GET", blob(pushed), pushed["debian"].layer),
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
    fault_registry: Registry, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
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
    fault_registry: Registry, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
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


def test_stop_is_bounded_even_during_a_stall(fault_registry: Registry) -> None:
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
    time.sleep(0.3)
    started = time.monotonic()
    proxy.stop()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert not worker.is_alive() and len(errors) == 1
    assert [e.fault for e in proxy.events] == [Fault.STALL]


def test_proxy_stops_by_itself_after_its_lifetime(fault_registry: Registry) -> None:
    proxy = FaultProxy(fault_registry.url, lifetime=0.5, seed=1).start()
    with client(proxy.url) as http:
        assert http.get("/v2/").status_code == 200
    time.sleep(1.0)
    with client(proxy.url) as http, pytest.raises(httpx.ConnectError):
        http.get("/v2/")
    proxy.stop()  # already stopped: a no-op


@pytest.mark.parametrize("upstream", ["http://192.0.2.1:5000", "http://registry.example:5000"])
def test_only_loopback_upstreams(upstream: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(upstream)


def test_proxy_listens_on_loopback(fault_proxy: FaultProxy) -> None:
    assert fault_proxy.url.startswith("http://127.0.0.1:") and fault_proxy.port > 0


@pytest.mark.parametrize(
    "kwargs",
    [{"fault": "418"}, {"fault": "503", "rate": 1.5}, {"fault": "stall", "stall": 60}],
)
def test_bad_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Rule(**kwargs)  # type: ignore[arg-type]
