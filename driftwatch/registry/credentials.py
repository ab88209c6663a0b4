"""Registry credentials from Docker's config.json and credential helpers; secrets never shown.

Precedence as in docker/cli: `credHelpers[host]`, then `credsStore`, then `auths[host]`
(`auth` = base64 `user:password`, or `identitytoken`). Keys are compared by host.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftwatch.errors import ConfigError
from driftwatch.reference import DOCKER_HUB, HUB_ALIASES

HUB_CONFIG_KEY = "https://index.docker.io/v1/"
IDENTITY_TOKEN_USER = "<token>"
HELPER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credential:
    """A username with a password, or an identity (refresh) token; repr hides the secret."""

    username: str
    secret: str = field(repr=False)
    identity_token: bool = False

    def __repr__(self) -> str:
        kind = "identity token" if self.identity_token else "password"
        return f"Credential(username={self.username!r}, {kind}=<hidden>)"

    def __str__(self) -> str:
        return repr(self)


def config_host(key: str) -> str:
    """The host a config.json key names: scheme and path dropped, Docker Hub aliases folded."""
    host = key.strip()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].lower()
    return DOCKER_HUB if host in HUB_ALIASES else host


class CredentialStore:
    """Looks up credentials for a registry host, once per host; never logs or stores them."""

    def __init__(
        self, config_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        environ = os.environ if env is None else env
        if config_dir is None:
            base = environ.get("DOCKER_CONFIG")
            config_dir = Path(base) if base else Path.home() / ".docker"
        self.config_file = config_dir / "config.json"
        self._env = dict(environ)
        self._doc: dict[str, Any] | None = None
        self._found: dict[str, Credential | None] = {}

    def get(self, host: str) -> Credential | None:
        """Credentials for registry `host` (e.g. `docker.io`, `ghcr.io`), or None."""
        host = config_host(host)
        if host not in self._found:
            self._found[host] = self._lookup(host)
        return self._found[host]

    def _lookup(self, host: str) -> Credential | None:
        doc = self._load()
        helper = _keyed_by_host(doc.get("credHelpers"), host) or doc.get("credsStore")
        if isinstance(helper, str) and helper:
            return self._run_helper(helper, host)
        entry = _keyed_by_host(doc.get("auths"), host)
        return _from_auth_entry(entry, self.config_file) if isinstance(entry, dict) else None

    def _load(self) -> dict[str, Any]:
        if self._doc is None:
            try:
                doc = json.loads(self.config_file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                doc = {}
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{self.config_file}: cannot be read as JSON") from exc
            if not isinstance(doc, dict):
                raise ConfigError(f"{self.config_file}: not a JSON object")
            self._doc = doc
        return self._doc

    def _run_helper(self, name: str, host: str) -> Credential | None:
        """Run `docker-credential-<name> get` (no shell) with the server on stdin."""
        server = HUB_CONFIG_KEY if host == DOCKER_HUB else host
        try:
            done = subprocess.run(
                [f"docker-credential-{name}", "get"],
                input=server.encode(),
                capture_output=True,
                timeout=HELPER_TIMEOUT,
                env=self._env,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"credential helper docker-credential-{name} cannot run") from exc
        if done.returncode != 0:
            return None
        return _from_helper_output(done.stdout, name)


def _keyed_by_host(table: Any, host: str) -> Any:
    if not isinstance(table, dict):
        return None
    for key, value in table.items():
        if isinstance(key, str) and config_host(key) == host:
            return value
    return None


def _from_auth_entry(entry: dict[str, Any], file: Path) -> Credential | None:
    token = entry.get("identitytoken")
    encoded = entry.get("auth")
    username = ""
    if isinstance(encoded, str) and encoded:
        try:
            username, sep, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: an auths entry has an undecodable 'auth'") from exc
        if not sep:
            raise ConfigError(f"{file}: an auths entry's 'auth' is not base64 user:password")
        if not token:
            return Credential(username, password)
    if isinstance(token, str) and token:
        return Credential(username or IDENTITY_TOKEN_USER, token, identity_token=True)
    return _from_plain_fields(entry)


def _from_plain_fields(entry: dict[str, Any]) -> Credential | None:
    """`username` and `password` written as such (docker/cli reads them when `auth` is absent)."""
    username, password = entry.get("username"), entry.get("password")
    if isinstance(username, str) and isinstance(password, str) and username and password:
        return Credential(username, password)
    return None


def _from_helper_output(output: bytes, name: str) -> Credential | None:
    try:
        doc = json.loads(output)
    except ValueError as exc:
        raise ConfigError(f"credential helper docker-credential-{name} gave no JSON") from exc
    if not isinstance(doc, dict):
        return None
    username, secret = doc.get("Username"), doc.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        return None
    return Credential(username, secret, identity_token=username == IDENTITY_TOKEN_USER)
