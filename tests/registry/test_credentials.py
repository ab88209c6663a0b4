"""Docker config.json lookups and real credential-helper executables on PATH."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from driftwatch.errors import ConfigError
from driftwatch.registry.credentials import CredentialStore, config_host


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def write_helper(bin_dir: Path, name: str, script: str) -> Path:
    """A real `docker-credential-<name>` executable (Python) that logs the host it was asked for."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / f"docker-credential-{name}"
    path.write_text(f"#!/usr/bin/env python3\nimport sys, json\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _store(tmp_path: Path, doc: dict[str, object], bin_dir: Path | None = None) -> CredentialStore:
    (tmp_path / "config.json").write_text(json.dumps(doc))
    env = dict(os.environ)
    if bin_dir:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return CredentialStore(tmp_path, env=env)


def test_hosts_compare_by_host() -> None:
    assert config_host("https://index.docker.io/v1/") == "docker.io"
    assert config_host("registry-1.docker.io") == "docker.io"
    assert config_host("http://Reg.Example.com:5000/v2/") == "reg.example.com:5000"


def test_auths_basic_and_hub_key(tmp_path: Path) -> None:
    store = _store(
        tmp_path,
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": _auth("hubuser", "hubpass")},
                "ghcr.io": {"auth": _auth("me", "p:w")},
            }
        },
    )
    hub = store.get("docker.io")
    assert hub is not None and (hub.username, hub.secret) == ("hubuser", "hubpass")
    ghcr = store.get("ghcr.io")
    assert ghcr is not None and ghcr.secret == "p:w" and not ghcr.identity_token
    assert store.get("quay.io") is None


def test_identity_token_entry(tmp_path: Path) -> None:
    store = _store(
        tmp_path,
        {
            "auths": {
                "acr.example.io": {
                    "auth": _auth("00000000-0000", ""),
                    "identitytoken": "refresh-abc",
                }
            }
        },
    )
    found = store.get("acr.example.io")
    assert found is not None and found.identity_token and found.secret == "refresh-abc"


def test_missing_config_means_anonymous(tmp_path: Path) -> None:
    assert CredentialStore(tmp_path / "nowhere").get("docker.io") is None


def test_broken_config_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="config.json"):
        CredentialStore(tmp_path).get("ghcr.io")


def test_precedence_helper_over_store_over_auths(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    log = tmp_path / "asked.txt"
    write_helper(
        bin_dir,
        "special",
        f"host = sys.stdin.read()\nopen({str(log)!r}, 'a').write('special ' + host + '\\n')\nprint(json.dumps({{'ServerURL': host, 'Username': 'helper-user', 'Secret': 'helper-secret'}}))",
    )
    write_helper(
        bin_dir,
        "store",
        f"host = sys.stdin.read()\nopen({str(log)!r}, 'a').write('store ' + host + '\\n')\nprint(json.dumps({{'ServerURL': host, 'Username': 'store-user', 'Secret': 'store-secret'}}))",
    )
    doc = {
        "credHelpers": {"https://reg.example.com": "special"},
        "credsStore": "store",
        "auths": {
            "reg.example.com": {"auth": _auth("file", "x")},
            "docker.io": {"auth": _auth("f", "y")},
        },
    }
    store = _store(tmp_path, doc, bin_dir)
    special = store.get("reg.example.com")
    assert special is not None and special.username == "helper-user"
    hub = store.get("docker.io")
    assert hub is not None and hub.username == "store-user"
    store.get("docker.io")  # cached: the helper is not run twice
    assert log.read_text().splitlines() == [
        "special reg.example.com",
        "store https://index.docker.io/v1/",
    ]


def test_helper_failure_means_no_credentials_and_token_user(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_helper(
        bin_dir, "none", "sys.stderr.write('credentials not found in native keychain'); sys.exit(1)"
    )
    write_helper(
        bin_dir,
        "tok",
        "print(json.dumps({'ServerURL': 'x', 'Username': '<token>', 'Secret': 'refresh-1'}))",
    )
    store = _store(tmp_path, {"credHelpers": {"a.io": "none", "b.io": "tok"}}, bin_dir)
    assert store.get("a.io") is None
    token = store.get("b.io")
    assert token is not None and token.identity_token and "refresh-1" not in repr(token)


def test_missing_helper_is_a_config_error(tmp_path: Path) -> None:
    store = _store(tmp_path, {"credsStore": "does-not-exist-anywhere"})
    with pytest.raises(ConfigError, match="docker-credential-does-not-exist-anywhere"):
        store.get("ghcr.io")


def test_auths_entry_with_username_and_password_fields(tmp_path: Path) -> None:
    """docker/cli reads `username`/`password` of an auths entry when it has no `auth`
    (cli/config/configfile/file.go, LoadFromReader: only a non-empty `auth` is decoded over them);
    CI scripts write config.json that way."""
    doc = {
        "auths": {
            "registry.example.com": {"username": "ci", "password": "s3cret"},
            "half.example.com": {"username": "ci"},
        }
    }
    store = _store(tmp_path, doc)
    found = store.get("registry.example.com")
    assert found is not None and (found.username, found.secret) == ("ci", "s3cret")
    assert not found.identity_token
    assert store.get("half.example.com") is None
