"""Registry credentials from auth.json, DOCKER_AUTH_CONFIG, config.json and credential helpers.

Which sources, in which order: `authfiles.py`. In each source, as in docker/cli:
`credHelpers[host]`, then `credsStore`, then `auths` (`auth` = base64 `user:password`, or
`identitytoken`), whose keys may name a namespace or repository as in containers-auth.json(5).
Secrets are never shown.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftwatch.errors import ConfigError
from driftwatch.reference import DOCKER_HUB
from driftwatch.registry.authfiles import (
    AuthSource,
    auth_sources,
    auth_table,
    config_host,
    entry_for,
    namespaced_hosts,
)

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


class CredentialStore:
    """Looks up credentials for a registry host (or one of its repositories), once per key.

    The sources are tried in `auth_sources` order and the first that has credentials wins; in each,
    `credHelpers[host]`, then `credsStore`, then the most specific `auths` key. Every source is
    read and checked when the store is made (a broken one is a ConfigError then); a helper runs
    once per host, when a registry asks. Never logs or stores what it finds.
    """

    def __init__(
        self, config_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        environ = os.environ if env is None else env
        if config_dir is None:
            base = environ.get("DOCKER_CONFIG")
            config_dir = Path(base) if base else Path.home() / ".docker"
        self.config_file = config_dir / "config.json"
        self._env = dict(environ)
        home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
        self.sources = auth_sources(environ, config_dir, home)
        self._docs = {source: _checked(source) for source in self.sources}
        self._tables = {source: auth_table(doc.get("auths")) for source, doc in self._docs.items()}
        self._namespaced = set().union(*map(namespaced_hosts, self._tables.values()))
        self._found: dict[tuple[str, str | None], Credential | None] = {}
        self._helped: dict[tuple[str, str], Credential | None] = {}

    def get(self, host: str, repository: str | None = None) -> Credential | None:
        """Credentials for `repository` on registry `host` (e.g. `docker.io`), or None.

        Without `repository`, only host keys (`ghcr.io`) match; with it, `host/namespace` and
        `host/namespace/repo` keys too, the most specific first.
        """
        key = (config_host(host), repository.strip("/") if repository else None)
        if key not in self._found:
            self._found[key] = self._lookup(*key)
        return self._found[key]

    def per_repository(self, host: str) -> bool:
        """Whether any source has a namespace or repository key for `host`: only then can
        `get(host, repository)` differ from `get(host)` (a client may skip the lookup otherwise)."""
        return config_host(host) in self._namespaced

    def _lookup(self, host: str, repository: str | None) -> Credential | None:
        for source in self.sources:
            found = self._lookup_in(source, host, repository)
            if found is not None:
                return found
        return None

    def _lookup_in(
        self, source: AuthSource, host: str, repository: str | None
    ) -> Credential | None:
        doc = self._docs[source]
        helper = _keyed_by_host(doc.get("credHelpers"), host) or doc.get("credsStore")
        if isinstance(helper, str) and helper:
            if (helper, host) not in self._helped:  # helpers know hosts only: run once each
                self._helped[helper, host] = self._run_helper(helper, host)
            return self._helped[helper, host]  # the source's `auths` are then mere markers
        entry = entry_for(self._tables[source], host, repository)
        return _from_auth_entry(entry, source.name) if entry is not None else None

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


def _checked(source: AuthSource) -> dict[str, Any]:
    """The source's document, every `auths` entry decoded once: a bad file fails the run up front
    (exit 2, as docker/cli refuses a config.json with an undecodable entry), not per image."""
    doc = source.load()
    auths = doc.get("auths")
    for entry in auths.values() if isinstance(auths, dict) else ():
        if isinstance(entry, dict):
            _from_auth_entry(entry, source.name)
    return doc


def _keyed_by_host(table: Any, host: str) -> Any:
    if not isinstance(table, dict):
        return None
    for key, value in table.items():
        if isinstance(key, str) and config_host(key) == host:
            return value
    return None


def _from_auth_entry(entry: dict[str, Any], source: str) -> Credential | None:
    token = entry.get("identitytoken")
    encoded = entry.get("auth")
    username = ""
    if isinstance(encoded, str) and encoded:
        try:
            username, sep, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError as exc:  # binascii.Error, UnicodeDecodeError, and non-ASCII text
            raise ConfigError(f"{source}: an auths entry has an undecodable 'auth'") from exc
        if not sep:
            raise ConfigError(f"{source}: an auths entry's 'auth' is not base64 user:password")
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
