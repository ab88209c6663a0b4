"""RegistryClient against real registries (anonymous, Basic, token) started by the suite."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from driftwatch.cache import DiskManifestCache, MemoryManifestCache
from driftwatch.config import Config, RegistrySettings
from driftwatch.errors import ConfigError, InvalidResponse, NotFound, PlatformNotFound, Unauthorized
from driftwatch.models import Platform, Resolution, ResolveFailure
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from tests.conftest import sample_index
from tests.names import unique_name
from tests.registry.test_credentials import write_helper
from tests.testbed.images import build_image
from tests.testbed.registry import READER, RegistryServer

FAST = Config(retries=0, timeout=10)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _resolve(
    config: Config, refs: Sequence[str], platforms: Sequence[Platform] = (), cache: Any = None
) -> list[Resolution | ResolveFailure]:
    async with RegistryClient(config, cache=cache or MemoryManifestCache()) as client:
        return await client.resolve_all([parse_reference(r) for r in refs], platforms)


def login(server: RegistryServer, user: str = READER[0], password: str = READER[1]) -> None:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    Path(os.environ["DOCKER_CONFIG"], "config.json").write_text(
        json.dumps({"auths": {server.host: {"auth": auth}}})
    )


@pytest.mark.parametrize("flavour", ["registry", "basic_registry", "token_registry"])
def test_index_and_platform_digests_match_the_registry(
    flavour: str, request: pytest.FixtureRequest
) -> None:
    server: RegistryServer = request.getfixturevalue(flavour)
    index = sample_index()
    repo = unique_name("library/python")
    served = server.pusher.push_index(repo, "3.12-slim", index)
    if flavour != "registry":
        login(server)
    mark = server.mark()
    [result] = run(_resolve(FAST, [f"{server.host}/{repo}:3.12-slim"]))
    assert isinstance(result, Resolution), result
    assert result.digest == served == index.digest
    assert result.is_index
    assert [(str(p.platform), p.digest) for p in result.platforms] == [
        ("linux/amd64", index.images[0].digest),
        ("linux/arm64/v8", index.images[1].digest),
    ]
    manifests = [(m, p) for m, p, s in server.requests_since(mark) if "/manifests/" in p]
    assert manifests == [
        ("HEAD", f"/v2/{repo}/manifests/3.12-slim"),
        ("GET", f"/v2/{repo}/manifests/{served}"),
    ]


def test_cached_index_costs_one_head(registry: RegistryServer, tmp_path: Path) -> None:
    index = sample_index("cached")
    repo = unique_name("library/cached")
    registry.pusher.push_index(repo, "1", index)
    ref = f"{registry.host}/{repo}:1"
    run(_resolve(FAST, [ref], cache=DiskManifestCache(tmp_path / "c")))
    mark = registry.mark()
    [again] = run(
        _resolve(FAST, [ref], cache=DiskManifestCache(tmp_path / "c"))
    )  # a new client, same disk
    assert isinstance(again, Resolution) and len(again.platforms) == 2
    assert [(m, p) for m, p, _ in registry.requests_since(mark)] == [
        ("GET", "/v2/"),
        ("HEAD", f"/v2/{repo}/manifests/1"),
    ]


def test_single_manifest_is_one_head_and_no_config(registry: RegistryServer) -> None:
    image = build_image([{"a": b"1"}], oci=False)
    repo = unique_name("single/app")
    digest = registry.pusher.push_image(repo, "v1", image)
    mark = registry.mark()
    [result] = run(_resolve(FAST, [f"{registry.host}/{repo}:v1"]))
    assert isinstance(result, Resolution) and result.digest == digest and not result.is_index
    assert [(p.platform, p.digest) for p in result.platforms] == [(None, digest)]
    assert [(m, p) for m, p, _ in registry.requests_since(mark)] == [
        ("GET", "/v2/"),
        ("HEAD", f"/v2/{repo}/manifests/v1"),
    ]


def test_platform_filter_reads_the_config_of_a_single_manifest(registry: RegistryServer) -> None:
    image = build_image([{"a": b"2"}], architecture="arm64", variant="v8")
    registry.pusher.push_image("single/arm", "v1", image)
    [hit] = run(_resolve(FAST, [f"{registry.host}/single/arm:v1"], [Platform("linux", "arm64")]))
    assert isinstance(hit, Resolution) and [str(p.platform) for p in hit.platforms] == [
        "linux/arm64/v8"
    ]
    [miss] = run(_resolve(FAST, [f"{registry.host}/single/arm:v1"], [Platform("linux", "amd64")]))
    assert isinstance(miss, ResolveFailure) and miss.error_type == PlatformNotFound.__name__
    assert "linux/amd64" in miss.reason and "has linux/arm64/v8" in miss.reason


def test_missing_tag_and_repository_are_not_found(registry: RegistryServer) -> None:
    registry.pusher.push_image("single/app", "v1", build_image([{"a": b"1"}], oci=False))
    results = run(
        _resolve(
            FAST,
            [
                f"{registry.host}/single/app:nope",
                f"{registry.host}/no/such:1",
                f"{registry.host}/single/app:v1",
            ],
        )
    )
    assert [type(r).__name__ for r in results] == ["ResolveFailure", "ResolveFailure", "Resolution"]
    assert results[0].reason == f"{registry.host}/single/app:nope: manifest unknown (404)"
    assert results[1].error_type == "NotFound" and "\n" not in results[1].reason


def test_pinned_digest(registry: RegistryServer) -> None:
    index = sample_index("pinned")
    registry.pusher.push_index("library/pinned", "1", index)
    [ok, gone] = run(
        _resolve(
            FAST,
            [
                f"{registry.host}/library/pinned:1@{index.digest}",
                f"{registry.host}/library/pinned@sha256:{'0' * 64}",
            ],
        )
    )
    assert isinstance(ok, Resolution) and ok.digest == index.digest
    assert isinstance(gone, ResolveFailure) and gone.error_type == "NotFound"


def test_resolve_all_keeps_order_and_asks_once_per_distinct_reference(
    registry: RegistryServer,
) -> None:
    index = sample_index("dup")
    repo = unique_name("library/dup")
    registry.pusher.push_index(repo, "1", index)
    ref = f"{registry.host}/{repo}:1"
    mark = registry.mark()
    results = run(_resolve(FAST, [ref, f"{registry.host}/{repo}:missing", ref]))
    assert [getattr(r, "digest", None) for r in results] == [index.digest, None, index.digest]
    heads = [p for m, p, _ in registry.requests_since(mark) if m == "HEAD"]
    assert sorted(heads) == [f"/v2/{repo}/manifests/1", f"/v2/{repo}/manifests/missing"]


def test_endpoint_override_sends_docker_hub_names_to_the_endpoint(registry: RegistryServer) -> None:
    name = unique_name("python")  # a Docker Hub short name: docker.io/library/<name>
    registry.pusher.push_index(f"library/{name}", "3.12-slim", sample_index())
    config = Config(retries=0, registries={"docker.io": RegistrySettings(endpoint=registry.url)})
    mark = registry.mark()
    [result] = run(_resolve(config, [f"{name}:3.12-slim"]))
    assert (
        isinstance(result, Resolution)
        and str(result.reference) == f"docker.io/library/{name}:3.12-slim"
    )
    assert ("HEAD", f"/v2/library/{name}/manifests/3.12-slim") in [
        (m, p) for m, p, _ in registry.requests_since(mark)
    ]


def test_plain_http_endpoint_off_loopback_needs_insecure() -> None:
    with pytest.raises(ConfigError, match="insecure"):
        RegistryClient(
            Config(registries={"docker.io": RegistrySettings(endpoint="http://mirror.example.com")})
        )
    RegistryClient(
        Config(
            registries={
                "docker.io": RegistrySettings(endpoint="http://mirror.example.com", insecure=True)
            }
        ),
        cache=MemoryManifestCache(),
    )


def test_basic_auth_wrong_password_is_unauthorized_without_the_secret(
    basic_registry: RegistryServer,
) -> None:
    repo = unique_name("library/python")
    basic_registry.pusher.push_index(repo, "3.12-slim", sample_index())
    login(basic_registry, READER[0], "wrong-password-123")
    [result] = run(_resolve(FAST, [f"{basic_registry.host}/{repo}:3.12-slim"]))
    assert isinstance(result, ResolveFailure) and result.error_type == Unauthorized.__name__
    assert "wrong-password-123" not in result.reason and "401" in result.reason


def test_basic_auth_without_credentials(basic_registry: RegistryServer) -> None:
    [result] = run(_resolve(FAST, [f"{basic_registry.host}/library/python:3.12-slim"]))
    assert isinstance(result, ResolveFailure) and result.error_type == "Unauthorized"


def test_token_flow_one_token_per_repository(token_registry: RegistryServer) -> None:
    assert token_registry.token_server is not None
    for repo in ("tok/a", "tok/b"):
        for tag in ("1", "2", "3"):
            token_registry.pusher.push_image(
                repo, tag, build_image([{"f": f"{repo}{tag}".encode()}])
            )
    before = len(token_registry.token_server.requests)
    refs = [
        f"{token_registry.host}/{repo}:{tag}"
        for repo in ("tok/a", "tok/b")
        for tag in ("1", "2", "3")
    ]
    mark = token_registry.mark()
    results = run(_resolve(FAST, refs))
    assert all(isinstance(r, Resolution) for r in results), results
    scopes = sorted(scope for _, scope, _ in token_registry.token_server.requests[before:])
    assert scopes == ["repository:tok/a:pull", "repository:tok/b:pull"]
    statuses = [s for m, p, s in token_registry.requests_since(mark) if "/manifests/" in p]
    assert statuses == [200] * 6  # the token went out with the first HEAD: no 401 round trips


def test_token_private_repository_needs_credentials(token_registry: RegistryServer) -> None:
    token_registry.pusher.push_image("private/app", "1", build_image([{"p": b"1"}]))
    ref = f"{token_registry.host}/private/app:1"
    [anonymous] = run(_resolve(FAST, [ref]))
    assert isinstance(anonymous, ResolveFailure) and anonymous.error_type == "Unauthorized"
    login(token_registry)
    [reader] = run(_resolve(FAST, [ref]))
    assert isinstance(reader, Resolution)


def test_identity_token_from_a_helper_uses_the_refresh_grant(
    token_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = token_registry.token_server
    assert server is not None
    server.refresh_tokens["refresh-for-reader"] = "reader"
    token_registry.pusher.push_image("private/idt", "1", build_image([{"i": b"1"}]))
    write_helper(
        tmp_path / "bin",
        "idt",
        "sys.stdin.read(); print(json.dumps({'ServerURL': 'x', 'Username': '<token>', 'Secret': 'refresh-for-reader'}))",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    Path(os.environ["DOCKER_CONFIG"], "config.json").write_text(
        json.dumps({"credHelpers": {token_registry.host: "idt"}})
    )
    before = len(server.requests)
    [result] = run(_resolve(FAST, [f"{token_registry.host}/private/idt:1"]))
    assert isinstance(result, Resolution), result
    assert server.requests[before:] == [("POST", "repository:private/idt:pull", "reader")]


def test_manifest_blob_and_stream_are_verified(registry: RegistryServer) -> None:
    image = build_image(
        [{"etc/os-release": b"ID=debian\n"}, {"x": b"y" * 100_000}], compression="zstd"
    )
    registry.pusher.push_image("blobs/app", "1", image)
    ref = parse_reference(f"{registry.host}/blobs/app:1")

    async def go() -> None:
        async with RegistryClient(FAST, cache=MemoryManifestCache()) as client:
            body, media_type = await client.get_manifest(ref, image.digest)
            assert body == image.manifest.data and media_type == image.manifest.media_type
            assert await client.get_blob(ref, image.config.digest, 1 << 20) == image.config.data
            with pytest.raises(InvalidResponse, match="limit"):
                await client.get_blob(ref, image.layers[1].digest, 10)
            async with client.stream_blob(ref, image.layers[1].digest) as chunks:
                assert b"".join([c async for c in chunks]) == image.layers[1].data
            with pytest.raises(NotFound, match="blob unknown"):
                await client.get_blob(ref, "sha256:" + "1" * 64, 100)

    run(go())
