"""Where a registry's requests go: endpoint overrides, Docker Hub's API host, plain-HTTP rules."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from driftwatch.config import RegistrySettings
from driftwatch.errors import ConfigError
from driftwatch.redact import mask_userinfo
from driftwatch.reference import DOCKER_HUB, DOCKER_HUB_API


def split_host(netloc: str) -> str:
    """The host part of `host[:port]` or `[v6]:port`, without brackets or port."""
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def is_loopback(netloc: str) -> bool:
    """True for localhost and loopback addresses, where Docker allows plain HTTP unasked."""
    host = split_host(netloc).lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_allowed(url: str, insecure: bool) -> bool:
    """True when `url` may be used: https, or http to loopback or an `insecure` registry."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # user-info must not decide what the host is
    return parts.scheme == "https" or insecure or is_loopback(host)


def candidate_bases(registry: str, settings: RegistrySettings) -> tuple[str, ...]:
    """Base URLs to try in order for `registry` (https first; http only where allowed)."""
    if settings.endpoint:
        if not plain_http_allowed(settings.endpoint, settings.insecure):
            raise ConfigError(
                f"registries.{registry}.endpoint {mask_userinfo(settings.endpoint)} is plain "
                "HTTP to a non-loopback host: set insecure = true to allow it"
            )
        return (settings.endpoint.rstrip("/"),)
    host = DOCKER_HUB_API if registry == DOCKER_HUB else registry
    if settings.insecure or is_loopback(host):
        return (f"https://{host}", f"http://{host}")
    return (f"https://{host}",)


def same_origin(first: str, second: str) -> bool:
    """True when two URLs share scheme, host and port (Authorization may travel between them)."""

    def origin(url: str) -> tuple[str, str | None, int]:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)

    return origin(first) == origin(second)
