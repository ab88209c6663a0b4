"""Every registry read is bounded: error bodies and token answers capped, one deadline per request
(not per byte), capped retries, a default deadline for the whole run. Real registry behind the
fault proxy; a MockTransport only for a token server that answers without end."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from driftwatch.cache import MemoryManifestCache, MemoryTagMemo
from driftwatch.config import Config, RegistrySettings, load_config
from driftwatch.errors import ConfigError
from driftwatch.models import Resolution, ResolveFailure
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from driftwatch.registry.session import MAX_RETRIES, MAX_TOKEN_BYTES
from tests.faults.proxy import FaultProxy
from tests.faults.rules import Fault, Rule
from tests.peakrss import PEAK_MIB
from tests.testbed.images import build_image
from tests.testbed.registry import RegistryServer


def push(registry: RegistryServer, name: str, tags: int = 1) -> list[str]:
    """Single-image tags `t0..` in `bounds/<name>`; references without host."""
    for t in range(tags):
        registry.pusher.push_image(
            f"bounds/{name}", f"t{t}", build_image([{"f": f"{name}{t}".encode()}])
        )
    return [f"bounds/{name}:t{t}" for t in range(tags)]


def plain(proxy: FaultProxy, **settings: float) -> Config:
    """Plain HTTP to the fault proxy (it cannot answer the https probe, which would time out)."""
    endpoint = RegistrySettings(endpoint=proxy.url)
    return Config(registries={proxy.address: endpoint}, **settings)  # type: ignore[arg-type]


def plain_toml(proxy: FaultProxy) -> str:
    return f'[registries."{proxy.address}"]\nendpoint = "{proxy.url}"\n'


def resolve_one(config: Config, ref: str) -> Resolution | ResolveFailure:
    async def go() -> Resolution | ResolveFailure:
        async with RegistryClient(config, cache=MemoryManifestCache(), tags=MemoryTagMemo()) as c:
            c.session.sleep = _no_sleep
            [result] = await c.resolve_all([parse_reference(ref)])
            return result

    return asyncio.run(go())


async def _no_sleep(seconds: float) -> None:
    return None


_CLI_WITH_PEAK = f"""
import sys
from driftwatch.cli import main
try:
    main(sys.argv[1:])
finally:
    print("peak-rss-mib", {PEAK_MIB}, file=sys.stderr)
"""


def cli_with_rss(cwd: Path, *args: str) -> tuple[int, str, int]:
    """Run the CLI; (exit code, stderr without the peak line, its own peak RSS in MiB)."""
    done = subprocess.run(
        [sys.executable, "-c", _CLI_WITH_PEAK, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = done.stderr.splitlines()
    peak = [line for line in lines if line.startswith("peak-rss-mib ")]
    assert len(peak) == 1, done.stderr
    stderr = "".join(f"{line}\n" for line in lines if not line.startswith("peak-rss-mib "))
    return done.returncode, stderr, int(peak[0].split()[1])


def test_a_3_gib_404_body_is_cut_off_in_bounded_memory(
    registry: RegistryServer, tmp_path: Path
) -> None:
    [name] = push(registry, "huge")
    with FaultProxy(registry.url, [Rule(Fault.HUGE, method="GET", path="/manifests/")]) as proxy:
        (tmp_path / "driftwatch.toml").write_text(plain_toml(proxy))
        code, stderr, rss = cli_with_rss(tmp_path, "resolve", f"{proxy.address}/{name}")
        gets = [e.fault for e in proxy.events if e.manifest and e.method == "GET"]
        assert gets == [Fault.HUGE]  # then one HEAD asks whether the tag itself still exists
    assert code == 3, stderr
    assert "manifest unknown (404)" in stderr, stderr
    assert "Traceback" not in stderr
    assert rss < 200, f"peak RSS {rss} MB"


def test_a_dripped_manifest_ends_at_the_request_timeout(registry: RegistryServer) -> None:
    [name] = push(registry, "drip")
    rule = Rule(Fault.DRIP, method="GET", path="/manifests/", drip=0.5)
    with FaultProxy(registry.url, [rule]) as proxy:
        started = time.monotonic()
        result = resolve_one(plain(proxy, timeout=2, retries=3), f"{proxy.address}/{name}")
        elapsed = time.monotonic() - started
        dripped = [e for e in proxy.events if e.manifest]
    assert isinstance(result, ResolveFailure)
    assert result.error_type == "Unreachable" and "timed out" in result.reason, result
    assert len(dripped) == 1  # a body too slow is not fetched again: it would be as slow
    # byte by byte the ~500-byte manifest would take minutes; each read alone is within 2 s
    assert elapsed < 15, elapsed


def test_retries_are_capped_whatever_the_config_says(registry: RegistryServer) -> None:
    [name] = push(registry, "retries")
    with FaultProxy(registry.url, [Rule("503", path="/manifests/")]) as proxy:
        result = resolve_one(plain(proxy, retries=50, timeout=5), f"{proxy.address}/{name}")
        hits = [e for e in proxy.events if e.manifest]
    assert isinstance(result, ResolveFailure) and result.error_type == "Unreachable", result
    assert len(hits) == MAX_RETRIES + 1


def test_the_run_ends_at_its_default_deadline(registry: RegistryServer, tmp_path: Path) -> None:
    names = push(registry, "deadline", tags=3)
    rule = Rule(Fault.STALL, path="/manifests/", stall=20)
    with FaultProxy(registry.url, [rule]) as proxy:
        toml = "deadline = 1.5\ntimeout = 30\n" + plain_toml(proxy)
        (tmp_path / "driftwatch.toml").write_text(toml)
        refs = [f"{proxy.address}/{name}" for name in names]
        started = time.monotonic()
        code, stderr, _ = cli_with_rss(tmp_path, "resolve", *refs)
        elapsed = time.monotonic() - started
    assert code == 3, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.endswith("could not check: deadline") for line in lines)
    assert elapsed < 15, elapsed  # not the 20 s stall, nor 30 s timeouts


def test_a_token_answer_without_end_is_cut_off() -> None:
    pulled = {"bytes": 0}

    async def endless() -> AsyncIterator[bytes]:
        while True:
            pulled["bytes"] += 65536
            yield b'{"token":"' + b"x" * 65526

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, stream=_Stream(endless()))
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/t",service="s"'}
        )

    async def go() -> Resolution | ResolveFailure:
        config = Config(registries={"registry.test": RegistrySettings(concurrency=2)})
        transport = httpx.MockTransport(handler)
        async with RegistryClient(config, transport=transport, cache=MemoryManifestCache()) as c:
            [result] = await c.resolve_all([parse_reference("registry.test/team/app:1")])
            return result

    result = asyncio.run(go())
    assert isinstance(result, ResolveFailure) and result.error_type == "InvalidResponse", result
    assert "token server" in result.reason and "limit" in result.reason
    assert pulled["bytes"] <= MAX_TOKEN_BYTES + 2 * 65536


class _Stream(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk


@pytest.mark.parametrize(
    "line",
    [
        "deadline = nan",
        "deadline = 0",
        "deadline = -1",
        "deadline = 1e9",
        "deadline = true",
        'http2 = "yes"',
        "http2 = 1",
    ],
)
def test_network_keys_are_validated(tmp_path: Path, line: str) -> None:
    (tmp_path / "driftwatch.toml").write_text(line + "\n")
    with pytest.raises(ConfigError, match=line.split()[0]):
        load_config(tmp_path / "driftwatch.toml")


def test_network_keys_are_read(tmp_path: Path) -> None:
    (tmp_path / "driftwatch.toml").write_text("deadline = 60\nhttp2 = false\n")
    config = load_config(tmp_path / "driftwatch.toml")
    assert (config.deadline, config.http2) == (60.0, False)
    assert (Config().deadline, Config().http2) == (900.0, True)
