"""Each fault kind of the proxy, proved with raw httpx against a real docker-registry behind it."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.testbed.registry import RegistryServer

from .damage import wrong_digest
from .proxy import FaultProxy
from .registry import (
    HEADERS,
    MANIFEST,
    Pushed,
    client,
    layer_path,
    push_blob,
    sha256,
)
from .rules import Fault, Rule


def test_pass_through_is_byte_exact(
    fault_registry: RegistryServer, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    """Without rules, status, digest header, type, length and body equal the direct answer."""
    paths = [("HEAD", MANIFEST), ("GET", MANIFEST), ("GET", layer_path(pushed)), ("GET", "/v2/")]
    paths.append(("GET", "/v2/faults/debian/manifests/no-such-tag"))
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
    fault_registry: RegistryServer, fault_proxy: FaultProxy, http: httpx.Client
) -> None:
    """Request bodies (sized and chunked) reach the registry; its Location points at the proxy."""
    started = http.post("/v2/faults/scratch/blobs/uploads/")
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
    push_blob(http, "faults/scratch", sized)
    with client(fault_registry.url) as direct:
        for data in (chunked, sized):
            assert direct.get(f"/v2/faults/scratch/blobs/{sha256(data)}").content == data


def test_digest_and_blob_bytes_survive_the_proxy(
    http: httpx.Client, pushed: dict[str, Pushed]
) -> None:
    """The manifest hashes to its pushed digest and the 256 KiB layer to its own, via the proxy."""
    manifest = http.get(MANIFEST, headers=HEADERS)
    assert sha256(manifest.content) == manifest.headers["Docker-Content-Digest"]
    assert manifest.headers["Docker-Content-Digest"] == pushed["debian"].digest
    layer = http.get(layer_path(pushed))
    assert len(layer.content) == pushed["debian"].layer_size > 200_000
    assert sha256(layer.content) == pushed["debian"].layer


def test_429_carries_retry_after_and_never_reaches_the_registry(
    fault_registry: RegistryServer, fault_proxy: FaultProxy, http: httpx.Client
) -> None:
    fault_proxy.set_rules([Rule("429", retry_after=7)])
    mark = fault_registry.mark()
    answer = http.get(MANIFEST, headers=HEADERS)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert http.head(MANIFEST, headers=HEADERS).status_code == 429
    assert fault_registry.requests_since(mark) == []
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
    with http.stream("GET", layer_path(pushed)) as answer:
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
    with http.stream("GET", layer_path(pushed)) as answer:
        assert answer.headers["Content-Length"] == str(pushed["debian"].layer_size)
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_raw():
                received += len(chunk)
    assert received == pushed["debian"].layer_size // 2
    assert http.head(layer_path(pushed)).status_code == 200  # body faults never apply to HEAD
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
    assert http.head(layer_path(pushed)).status_code == 200
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


def test_events_name_the_manifest_they_hit(
    http: httpx.Client, fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    """So a scan test can tell which references had a fault injected."""
    fault_proxy.set_rules([Rule("503", path="/manifests/")])
    http.head(MANIFEST, headers=HEADERS)
    http.get(f"/v2/faults/python/manifests/{pushed['python'].digest}", headers=HEADERS)
    http.get(layer_path(pushed))
    assert [e.manifest for e in fault_proxy.events] == [
        ("faults/debian", "bookworm"),
        ("faults/python", pushed["python"].digest),
        None,
    ]
    assert {e.manifest for e in fault_proxy.injections} == {
        ("faults/debian", "bookworm"),
        ("faults/python", pushed["python"].digest),
    }


def test_drip_sends_the_real_body_one_byte_at_a_time(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules([Rule("drip", method="GET", path="/manifests/", drip=0.001)])
    with (
        client(fault_proxy.url, timeout=5) as http,
        http.stream("GET", MANIFEST, headers=HEADERS) as answer,
    ):
        chunks = list(answer.iter_raw())
    assert answer.status_code == 200
    assert sha256(b"".join(chunks)) == pushed["debian"].digest
    assert len(chunks) > 10  # arrived in pieces, not in one read
    assert [e.fault for e in fault_proxy.events] == [Fault.DRIP]


def test_huge_is_a_404_whose_body_does_not_end(
    fault_proxy: FaultProxy, pushed: dict[str, Pushed]
) -> None:
    fault_proxy.set_rules([Rule("huge", method="GET", huge=4 * 2**20)])
    with client(fault_proxy.url) as http, http.stream("GET", MANIFEST, headers=HEADERS) as answer:
        assert answer.status_code == 404 and "content-length" not in answer.headers
        size = sum(len(chunk) for chunk in answer.iter_raw())
    assert size == 4 * 2**20
    assert Fault.HUGE not in Rule("random").among and Fault.DRIP not in Rule("random").among
