"""Session fixtures: real registries (anonymous, Basic, token) and a clean environment per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import db_url, postgres_server, postgres_url, sqlite_url  # noqa: F401
from tests.packaging import dists  # noqa: F401 - one `python -m build` per session
from tests.testbed.images import Index, build_image, build_index
from tests.testbed.registry import RegistryServer

# Variables of the developer's or CI's environment that change what driftwatch does.
_LEAKY_PREFIXES = ("DRIFTWATCH_", "GITHUB_", "GITLAB_", "RUNNER_")
_LEAKY_NAMES = ("CI", "NO_COLOR", "FORCE_COLOR", "REGISTRY_AUTH_FILE", "DOCKER_AUTH_CONFIG")
_TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's cache, Docker credentials, data dirs, CI variables or a stray config."""
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES) or name in _LEAKY_NAMES:
            monkeypatch.delenv(name)
    for xdg in (
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_STATE_HOME",
        "XDG_RUNTIME_DIR",
    ):
        monkeypatch.setenv(xdg, str(tmp_path / "xdg" / xdg.lower()))
    monkeypatch.setenv("DRIFTWATCH_CACHE_DIR", str(tmp_path / "cache"))
    docker = tmp_path / "docker-config"
    docker.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)


# What makes a test slow (more than about a second): a real server, a build, a browser. A test
# using one of these fixtures (directly, through another fixture, or named by a parameter) is
# marked `slow`, so that `pytest -m "not slow"` is the quick loop; everything under tests/e2e/ is
# slow too. Other slow tests (pre-commit, many processes, timing and big-input tests) carry
# `@pytest.mark.slow` themselves.
_SLOW_FIXTURES = frozenset(
    {
        "registry",
        "basic_registry",
        "token_registry",
        "fault_registry",
        "postgres_server",
        "postgres_url",
        "dists",
        "browser",
    }
)
_SLOW_DIRS = ("e2e",)


def _is_slow(item: pytest.Item) -> bool:
    """True for a test needing a real server, a build or a browser (see _SLOW_FIXTURES)."""
    if _SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    if params.get("db_url") == "postgresql":
        return True
    if any(isinstance(v, str) and v in _SLOW_FIXTURES for v in params.values()):
        return True  # a parameter naming a server fixture taken with request.getfixturevalue
    return any(_TESTS / folder in Path(str(item.path)).parents for folder in _SLOW_DIRS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tests (an exact rule, not a list of names: see _is_slow)."""
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)


def _serve(flavour: str, factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    server = RegistryServer(flavour, factory.mktemp(f"registry-{flavour}"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """An anonymous registry on loopback."""
    yield from _serve("anonymous", tmp_path_factory)


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry behind htpasswd Basic auth (users in tests.testbed.registry: PUSHER, READER)."""
    yield from _serve("basic", tmp_path_factory)


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry with Bearer token auth served by the suite's token server."""
    yield from _serve("token", tmp_path_factory)


def sample_index(tag: str = "3.12-slim") -> Index:
    """A python-like index: amd64 (Docker gzip), arm64/v8 (OCI zstd), plus attestations."""
    amd64 = build_image(
        [{"etc/os-release": b"ID=debian\nVERSION_CODENAME=bookworm\n", "tag": tag.encode()}]
    )
    arm64 = build_image(
        [{"etc/os-release": b"ID=debian\n"}, {"usr/lib/os-release": b"ID=debian\n"}],
        architecture="arm64",
        variant="v8",
        compression="zstd",
        labels={"org.opencontainers.image.version": "bookworm"},
    )
    return build_index([amd64, arm64], annotations={"org.opencontainers.image.ref.name": tag})
