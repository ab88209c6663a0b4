"""Credentials from auth.json files and DOCKER_AUTH_CONFIG against real Basic and token registries."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from driftwatch.errors import Unauthorized
from driftwatch.models import Resolution, ResolveFailure
from tests.names import unique_name
from tests.registry.test_client import FAST, _resolve, login, run
from tests.testbed.images import build_image
from tests.testbed.registry import READER, RegistryServer


def _auths(host: str, password: str = READER[1]) -> str:
    auth = base64.b64encode(f"{READER[0]}:{password}".encode()).decode()
    return json.dumps({"auths": {host: {"auth": auth}}})


def _place(source: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put a config.json/auth.json document where `source` says (the environment of this test)."""
    if source == "DOCKER_AUTH_CONFIG":
        monkeypatch.setenv("DOCKER_AUTH_CONFIG", text)
        return
    path = {
        "REGISTRY_AUTH_FILE": tmp_path / "podman-ci" / "auth.json",
        "XDG_RUNTIME_DIR": Path(os.environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json",
        "XDG_CONFIG_HOME": Path(os.environ["XDG_CONFIG_HOME"]) / "containers" / "auth.json",
    }[source]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if source == "REGISTRY_AUTH_FILE":
        monkeypatch.setenv("REGISTRY_AUTH_FILE", str(path))


def _private_ref(server: RegistryServer) -> str:
    repo = unique_name("private/app")
    server.pusher.push_image(repo, "1", build_image([{"p": repo.encode()}]))
    return f"{server.host}/{repo}:1"


@pytest.mark.parametrize("flavour", ["basic_registry", "token_registry"])
@pytest.mark.parametrize(
    "source", ["REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_AUTH_CONFIG"]
)
def test_each_source_logs_in(
    flavour: str,
    source: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server: RegistryServer = request.getfixturevalue(flavour)
    ref = _private_ref(server)
    [anonymous] = run(_resolve(FAST, [ref]))
    assert isinstance(anonymous, ResolveFailure) and anonymous.error_type == "Unauthorized"
    _place(source, _auths(server.host), tmp_path, monkeypatch)
    [found] = run(_resolve(FAST, [ref]))
    assert isinstance(found, Resolution), found


@pytest.mark.parametrize("flavour", ["basic_registry", "token_registry"])
def test_an_earlier_source_wins_even_when_wrong(
    flavour: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REGISTRY_AUTH_FILE over DOCKER_AUTH_CONFIG over config.json: the registry sees the first."""
    server: RegistryServer = request.getfixturevalue(flavour)
    ref = _private_ref(server)
    login(server)  # the right password in config.json
    _place("DOCKER_AUTH_CONFIG", _auths(server.host, "wrong-gitlab-pw-1"), tmp_path, monkeypatch)
    [refused] = run(_resolve(FAST, [ref]))
    assert isinstance(refused, ResolveFailure) and refused.error_type == Unauthorized.__name__
    assert "wrong-gitlab-pw-1" not in refused.reason
    _place("REGISTRY_AUTH_FILE", _auths(server.host), tmp_path, monkeypatch)
    [found] = run(_resolve(FAST, [ref]))
    assert isinstance(found, Resolution), found


@pytest.mark.parametrize("flavour", ["basic_registry", "token_registry"])
def test_the_most_specific_key_logs_in_per_repository(
    flavour: str, request: pytest.FixtureRequest
) -> None:
    """auth.json: `host/team/app` right, `host/team` wrong, `host` wrong: only team/app resolves."""
    server: RegistryServer = request.getfixturevalue(flavour)
    team = unique_name("private/team")
    refs = []
    for name in ("app", "other"):
        server.pusher.push_image(f"{team}/{name}", "1", build_image([{"p": name.encode()}]))
        refs.append(f"{server.host}/{team}/{name}:1")
    wrong = base64.b64encode(f"{READER[0]}:wrong-pw-2".encode()).decode()
    right = base64.b64encode(f"{READER[0]}:{READER[1]}".encode()).decode()
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "containers" / "auth.json"
    path.parent.mkdir(parents=True)
    auths = {server.host: wrong, f"{server.host}/{team}": wrong, f"{server.host}/{team}/app": right}
    path.write_text(json.dumps({"auths": {k: {"auth": v} for k, v in auths.items()}}))
    app, other = run(_resolve(FAST, refs))
    assert isinstance(app, Resolution), app
    assert isinstance(other, ResolveFailure) and other.error_type == Unauthorized.__name__
