"""Where requests go: Docker Hub's API host, endpoint overrides, when plain HTTP is allowed."""

from __future__ import annotations

import pytest

from driftwatch.config import RegistrySettings
from driftwatch.errors import ConfigError
from driftwatch.registry.endpoints import candidate_bases, is_loopback, same_origin


@pytest.mark.parametrize(
    ("netloc", "expected"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1:5000", True),
        ("127.1.2.3", True),
        ("[::1]:5000", True),
        ("::1", True),
        ("10.0.0.1:5000", False),
        ("registry.example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback(netloc: str, expected: bool) -> None:
    assert is_loopback(netloc) is expected


def test_candidates() -> None:
    assert candidate_bases("docker.io", RegistrySettings()) == ("https://registry-1.docker.io",)
    assert candidate_bases("ghcr.io", RegistrySettings()) == ("https://ghcr.io",)
    assert candidate_bases("localhost:5000", RegistrySettings()) == (
        "https://localhost:5000",
        "http://localhost:5000",
    )
    assert candidate_bases("reg.lan:5000", RegistrySettings(insecure=True)) == (
        "https://reg.lan:5000",
        "http://reg.lan:5000",
    )
    assert candidate_bases("docker.io", RegistrySettings(endpoint="http://127.0.0.1:5000/")) == (
        "http://127.0.0.1:5000",
    )
    with pytest.raises(ConfigError, match=r"registries\.docker\.io\.endpoint"):
        candidate_bases("docker.io", RegistrySettings(endpoint="http://mirror.lan"))


def test_same_origin() -> None:
    assert same_origin("https://a.io/v2/x", "https://a.io:443/other")
    assert not same_origin("https://a.io/v2/x", "https://a.io:5000/other")
    assert same_origin("https://a.io/v2/x", "https://a.io/blobs?x=1")
    assert not same_origin("https://a.io/v2/x", "https://cdn.a.io/blob")
    assert not same_origin("https://a.io/v2/x", "http://a.io/v2/x")
