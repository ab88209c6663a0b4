"""Where registry credentials are kept, in lookup order, and how a repository matches their keys.

Sources, first hit wins (see docs/registries.md for why this order):
1. `$REGISTRY_AUTH_FILE` (podman/skopeo/buildah's override; a missing file is an error),
2. `$XDG_RUNTIME_DIR/containers/auth.json` (podman login's default; `/run/containers/UID/auth.json`
   without XDG_RUNTIME_DIR),
3. `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`,
4. `$DOCKER_AUTH_CONFIG` (GitLab CI: a config.json's JSON text; GitLab Runner reads it before
   config.json),
5. `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
Sources 1-3 and 5 are containers/image's `getAuthFilePaths` order (pkg/docker/config/config.go).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftwatch.errors import ConfigError
from driftwatch.reference import DOCKER_HUB, HUB_ALIASES

AUTH_FILE_VAR = "REGISTRY_AUTH_FILE"
AUTH_CONFIG_VAR = "DOCKER_AUTH_CONFIG"


@dataclass(frozen=True)
class AuthSource:
    """One place credentials are read from: a file, or an environment variable holding JSON."""

    name: str  # shown in errors: the path, or "$VAR"; never the contents
    path: Path | None = None
    text: str | None = field(default=None, repr=False)
    required: bool = False  # an explicit file that is missing is an error, not "anonymous"

    def load(self) -> dict[str, Any]:
        """The source's JSON object; {} for an optional file that does not exist."""
        try:
            raw = self.text if self.path is None else self.path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            if self.required:
                raise ConfigError(f"{self.name}: no such file") from exc
            return {}
        except OSError as exc:
            raise ConfigError(f"{self.name}: cannot be read") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{self.name}: not UTF-8 text") from exc
        try:
            doc = json.loads(raw or "")
        except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond reason
            raise ConfigError(f"{self.name}: cannot be read as JSON") from exc
        if not isinstance(doc, dict):
            raise ConfigError(f"{self.name}: not a JSON object")
        return doc


def auth_sources(env: Mapping[str, str], docker_config: Path, home: Path) -> list[AuthSource]:
    """Every credential source, in lookup order; a file named twice is read once."""
    sources: list[AuthSource] = []
    explicit = env.get(AUTH_FILE_VAR)
    if explicit:
        sources.append(AuthSource(f"{AUTH_FILE_VAR} {explicit}", Path(explicit), required=True))
    runtime = _runtime_auth_file(env)
    if runtime is not None:
        sources.append(AuthSource(str(runtime), runtime))
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    sources.append(_file(config_home / "containers" / "auth.json"))
    text = env.get(AUTH_CONFIG_VAR)
    if text:  # set but empty: unset (a CI variable emptied to switch it off)
        sources.append(AuthSource(f"${AUTH_CONFIG_VAR}", text=text))
    sources.append(_file(docker_config / "config.json"))
    return _unique(sources)


def _file(path: Path) -> AuthSource:
    return AuthSource(str(path), path)


def _runtime_auth_file(env: Mapping[str, str]) -> Path | None:
    """podman's primary auth.json (Linux only, as in containers/image's getPathToAuthWithOS)."""
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "containers" / "auth.json"
    if sys.platform == "linux":
        return Path(f"/run/containers/{os.getuid()}/auth.json")
    return None


def _unique(sources: list[AuthSource]) -> list[AuthSource]:
    seen: set[Path] = set()
    kept = []
    for source in sources:
        if source.path is not None:
            resolved = source.path.expanduser().absolute()
            if resolved in seen:
                continue
            seen.add(resolved)
        kept.append(source)
    return kept


def config_host(key: str) -> str:
    """The host a config.json key names: scheme and path dropped, Docker Hub aliases folded."""
    host = key.strip()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].lower()
    return DOCKER_HUB if host in HUB_ALIASES else host


def auth_key(key: str) -> str:
    """An `auths` key in canonical form: `host` or `host/namespace[/repo]`.

    As containers/image's normalizeAuthFileKey: a key with a scheme (`https://index.docker.io/v1/`)
    names a host whatever its path; without one, the path is a namespace or repository.
    """
    key = key.strip()
    if "://" in key:
        return config_host(key)
    host, _, path = key.partition("/")
    path = path.strip("/")
    return f"{config_host(host)}/{path}" if path else config_host(host)


def lookup_keys(host: str, repository: str | None) -> list[str]:
    """The keys that may hold `repository`'s credentials, most specific first.

    `host/ns/repo`, `host/ns`, `host`: the hierarchical order of containers-auth.json(5).
    """
    if not repository:
        return [host]
    parts = repository.strip("/").split("/")
    return [f"{host}/{'/'.join(parts[:n])}" for n in range(len(parts), 0, -1)] + [host]


AuthTable = dict[str, dict[str, Any]]


def auth_table(auths: Any) -> AuthTable:
    """A source's `auths` by canonical key (`auth_key`); of two spellings of a key, the first."""
    table: AuthTable = {}
    if isinstance(auths, dict):
        for key, value in auths.items():
            if isinstance(key, str) and isinstance(value, dict):
                table.setdefault(auth_key(key), value)
    return table


def entry_for(table: AuthTable, host: str, repository: str | None) -> dict[str, Any] | None:
    """The entry of the most specific key matching `repository` on `host`, if any."""
    for key in lookup_keys(host, repository):
        if key in table:
            return table[key]
    return None


def namespaced_hosts(table: AuthTable) -> set[str]:
    """The hosts that have a `host/namespace[/repo]` key in `table`."""
    return {key.split("/", 1)[0] for key in table if "/" in key}
