"""Where alerts go: apprise URLs from the config, `DRIFTWATCH_NOTIFY` and `--notify`, checked early.

A Destination keeps its secret URL to itself: `repr`, `str` and `display` show the masked form,
and `fingerprint` (a slow, salted hash of the normalised URL) is what the database stores.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from driftwatch import models
from driftwatch.config import Config
from driftwatch.errors import ConfigError
from driftwatch.notify.masking import mask_url, register_secrets

__all__ = [
    "DEFAULT_ON",
    "ENV_VAR",
    "ROUTES",
    "Destination",
    "fingerprint",
    "load_destinations",
    "split_env",
]

ENV_VAR = "DRIFTWATCH_NOTIFY"
ROUTES = frozenset(models.ROUTES)  # release, os, digest, eol, error, library-removed
# Digest-only changes are routine rebuilds: they stay out of alerts unless asked for.
DEFAULT_ON = ROUTES - {models.Severity.DIGEST.route, models.LIBRARY_ROUTE}  # release/os cover it
_SALT = b"driftwatch-destination-v1"
_ROUNDS = 50_000
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_ENV_SPLIT = re.compile(r"\s+|,\s*(?=[a-zA-Z][a-zA-Z0-9+.-]*://|[/~.])")


@dataclass(frozen=True, repr=False)
class Destination:
    """One apprise URL and the kinds of news it wants; never shows its secret URL."""

    url: str
    on: frozenset[str] = DEFAULT_ON
    fingerprint: str = ""
    display: str = ""

    @classmethod
    def from_url(cls, url: str, on: Iterable[str] = DEFAULT_ON) -> Destination:
        """Build a Destination, computing its masked display form and fingerprint."""
        url = url.strip()
        register_secrets([url])
        return cls(url, frozenset(on), fingerprint(url), mask_url(url))

    def wants(self, route: str) -> bool:
        """True when news of kind `route` (release, os, digest, eol, error) goes here."""
        return route in self.on

    def __repr__(self) -> str:
        return f"Destination({self.display!r}, on={sorted(self.on)}, fp={self.fingerprint!r})"

    def __str__(self) -> str:
        return self.display


def fingerprint(url: str) -> str:
    """Stable, secret-free id of a URL: `scheme:` + 16 hex of a salted PBKDF2 of the normal form."""
    normal = _normalise(url)
    scheme = normal.partition("://")[0] if "://" in normal else "file"
    digest = hashlib.pbkdf2_hmac("sha256", normal.encode(), _SALT, _ROUNDS)
    return f"{scheme}:{digest.hex()[:16]}"


def _normalise(url: str) -> str:
    """Lower-case scheme and authority, sorted query, no trailing slash: same target, same id."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    path, _, query = rest.partition("?")
    authority, slash, tail = path.partition("/")
    query_text = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    normal = f"{scheme.lower()}://{authority.lower()}{slash}{tail}".rstrip("/")
    return normal + (f"?{query_text}" if query_text else "")


def split_env(value: str) -> list[str]:
    """DRIFTWATCH_NOTIFY entries: split on white space, and on commas before a new URL or path."""
    return [part for part in _ENV_SPLIT.split(value.strip()) if part]


def load_destinations(
    config: Config,
    extra_urls: Sequence[str] = (),
    env: Mapping[str, str] = os.environ,
) -> list[Destination]:
    """Every destination in force, deduplicated by fingerprint; ConfigError names a bad entry."""
    prefix = f"{config.path}: " if config.path else ""
    entries: list[tuple[str, Any, Path]] = [
        (f"{prefix}notify[{i}]", entry, config.root) for i, entry in enumerate(config.notify)
    ]
    entries += [
        (f"{ENV_VAR}[{i}]", url, Path.cwd())
        for i, url in enumerate(split_env(env.get(ENV_VAR, "")))
    ]
    entries += [(f"--notify[{i}]", url, Path.cwd()) for i, url in enumerate(extra_urls)]
    found: dict[str, Destination] = {}
    for where, entry, base in entries:
        for destination in _entry_destinations(where, entry, base):
            _merge(found, destination)
    return list(found.values())


def _merge(found: dict[str, Destination], new: Destination) -> None:
    """Keep one destination per fingerprint; the kinds it wants are the union of its entries."""
    old = found.get(new.fingerprint)
    if old is None:
        found[new.fingerprint] = new
    else:
        found[new.fingerprint] = Destination(old.url, old.on | new.on, old.fingerprint, old.display)


def _entry_destinations(where: str, entry: Any, base: Path) -> list[Destination]:
    """The destinations one config entry stands for: one URL, or all URLs of an apprise config."""
    url, on = (entry.get("url"), entry.get("on")) if isinstance(entry, dict) else (entry, None)
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: the notification URL is empty")
    register_secrets([url])
    routes = _routes(where, url, on)
    if _is_config_file(url):
        from driftwatch.notify.appriseconfig import config_file_destinations

        return config_file_destinations(where, url, base, routes)
    return [_checked(where, url, routes)]


def _routes(where: str, url: str, on: Any) -> frozenset[str] | None:
    """The `on` list of an entry as a set, refusing names that are not routes."""
    if on is None:
        return None
    unknown = sorted(set(on) - ROUTES)
    if unknown:
        raise ConfigError(
            f"{where} ({mask_url(url)}): unknown 'on' value {unknown[0]!r} "
            f"(known: {', '.join(sorted(ROUTES))})"
        )
    return frozenset(on)


def _is_config_file(url: str) -> bool:
    """True for an apprise configuration file: `file://...`, or a plain path with no scheme."""
    text = url.strip()
    return text.lower().startswith("file://") or not _SCHEME.match(text)


def _checked(where: str, url: str, routes: frozenset[str] | None) -> Destination:
    """A Destination for `url` once apprise agrees it can send there."""
    import apprise

    if apprise.Apprise.instantiate(url.strip()) is None:
        raise ConfigError(
            f"{where} ({mask_url(url)}): not a notification URL apprise can use "
            "(see https://github.com/caronc/apprise/wiki for the URL of each service)"
        )
    return Destination.from_url(url, DEFAULT_ON if routes is None else routes)
