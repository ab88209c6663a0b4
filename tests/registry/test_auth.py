"""WWW-Authenticate parsing and what a credential shows of itself."""

from __future__ import annotations

from driftwatch.registry.auth import basic_header, parse_www_authenticate, pick_challenge
from driftwatch.registry.credentials import Credential


def test_bearer_challenge_with_host_port_scope() -> None:
    header = 'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:reg.io:5000/app:pull"'
    [challenge] = parse_www_authenticate(header)
    assert challenge.scheme == "bearer"
    assert challenge.get("realm") == "https://auth.example.com/token"
    assert challenge.get("scope") == "repository:reg.io:5000/app:pull"


def test_several_challenges_and_escapes() -> None:
    found = parse_www_authenticate(
        'Basic realm="a \\"quoted\\" realm", Bearer realm=https://t/x,error=insufficient_scope'
    )
    assert [c.scheme for c in found] == ["basic", "bearer"]
    assert found[0].get("realm") == 'a "quoted" realm'
    assert found[1].get("error") == "insufficient_scope"
    assert pick_challenge('Basic realm="x", Bearer realm="y"').scheme == "bearer"  # type: ignore[union-attr]
    assert pick_challenge("Negotiate abc") is None
    assert pick_challenge("") is None


def test_credential_never_shows_its_secret() -> None:
    credential = Credential("alice", "s3cr3t-value")
    token = Credential("<token>", "refresh-xyz", identity_token=True)
    for shown in (repr(credential), str(credential), f"{credential}", repr([token]), str(token)):
        assert "s3cr3t-value" not in shown and "refresh-xyz" not in shown
    assert "alice" in repr(credential) and "hidden" in repr(token)
    assert basic_header(credential) == "Basic YWxpY2U6czNjcjN0LXZhbHVl"
