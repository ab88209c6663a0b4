"""Read an apprise configuration file (TEXT or YAML) into destinations, as apprise reads it.

Apprise tags that name driftwatch routes (release, os, digest, error) route that URL; an `on`
list on the config entry applies to every URL in the file that has no such tag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from driftwatch.errors import ConfigError
from driftwatch.notify.destinations import DEFAULT_ON, ROUTES, Destination
from driftwatch.notify.masking import register_secrets

__all__ = ["config_file_destinations"]


def config_file_destinations(
    where: str, entry: str, base: Path, routes: frozenset[str] | None
) -> list[Destination]:
    """The URLs of the apprise config file `entry` (a path or file:// URL) as Destinations."""
    path = _path(entry, base)
    if not path.is_file():
        raise ConfigError(f"{where}: apprise configuration file {path} does not exist")
    services = _services(path)
    if not services:
        raise ConfigError(
            f"{where}: apprise configuration file {path} holds no notification URL apprise can use"
        )
    destinations = []
    for service in services:
        url = str(service.url(privacy=False))
        register_secrets([url])
        tagged = frozenset(str(tag) for tag in getattr(service, "tags", ())) & ROUTES
        on = tagged or routes or DEFAULT_ON
        destinations.append(Destination.from_url(url, on))
    return destinations


def _path(entry: str, base: Path) -> Path:
    """A file:// URL or a path (relative to `base`) as a Path."""
    text = entry.strip()
    if text.lower().startswith("file://"):
        text = text[len("file://") :]
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def _services(path: Path) -> list[Any]:
    """The notification services apprise builds from the file (none when it cannot read it)."""
    import apprise

    config = apprise.AppriseConfig()
    config.add(str(path))
    reader = getattr(config, "services", None) or getattr(config, "servers")  # noqa: B009
    return list(reader())
