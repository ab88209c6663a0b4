"""Settings from driftwatch.toml, `[tool.driftwatch]` in pyproject.toml, the environment and flags.

Lookup: `--config FILE` or `DRIFTWATCH_CONFIG`, else the first `driftwatch.toml` (or a
pyproject.toml with a `[tool.driftwatch]` table) from the working directory upward.
Unknown keys and wrong types are ConfigErrors naming the file and key, so a typo never
silently does nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftwatch.errors import ConfigError
from driftwatch.reference import DOCKER_HUB, HUB_ALIASES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["Config", "RegistrySettings", "find_config_file", "load_config"]

CONFIG_ENV = "DRIFTWATCH_CONFIG"
OS_DETECT_MODES = ("fast", "full", "off")
FAIL_ON_LEVELS = ("never", "digest", "os", "release")
DEFAULT_DEADLINE = 900.0
MAX_DEADLINE = 86400.0


@dataclass(frozen=True)
class RegistrySettings:
    """Per-registry settings: where to send requests and whether plain HTTP is allowed."""

    endpoint: str | None = None
    insecure: bool = False
    concurrency: int | None = None


@dataclass(frozen=True)
class Config:
    """Everything driftwatch can be told through configuration (frozen; flags make a new one)."""

    path: Path | None = None
    registries: Mapping[str, RegistrySettings] = field(default_factory=dict)
    images: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    db: str | None = None
    notify: tuple[Any, ...] = ()
    os_detect: str = "fast"
    fail_on: str = "release"
    concurrency: int = 16
    timeout: float = 30.0
    retries: int = 3
    keep_pulls: int = 0
    os_max_bytes: int = 256 * 1024 * 1024
    os_max_seconds: float = 120.0
    lint_disable: tuple[str, ...] = ()
    lint_min_severity: str = "warning"
    # network: the whole run's time limit (resolve/check/lock/pin) and HTTP/2 over TLS
    deadline: float = DEFAULT_DEADLINE
    http2: bool = True

    @property
    def root(self) -> Path:
        """The directory paths in the config are relative to (the config file's folder, or cwd)."""
        return self.path.parent if self.path else Path.cwd()

    def registry(self, host: str) -> RegistrySettings:
        """Settings for `host`, or defaults when the config does not name it."""
        return self.registries.get(host, RegistrySettings())


def find_config_file(start: Path | None = None) -> tuple[Path, bool] | None:
    """The config file in force and whether it is a pyproject.toml, or None when there is none."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit), Path(explicit).name == "pyproject.toml"
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "driftwatch.toml"
        if candidate.is_file():
            return candidate, False
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject, True
    return None


def load_config(path: Path | None = None) -> Config:
    """Load the config in force (or `path`); no file at all gives the defaults."""
    if path is not None:
        found: tuple[Path, bool] | None = (path, path.name == "pyproject.toml")
    else:
        found = find_config_file()
    if found is None:
        return Config()
    file, is_pyproject = found
    data = _read_toml(file)
    if is_pyproject:
        data = data.get("tool", {}).get("driftwatch", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: [tool.driftwatch] must be a table")
    return _build_config(file, data)


def _has_tool_table(pyproject: Path) -> bool:
    try:
        return "driftwatch" in _read_toml(pyproject).get("tool", {})
    except ConfigError:
        return False


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None


# The documented surface of the config file; docs/reference/configuration.md is generated from it
# and a test keeps it in step with what the loader accepts.
REFERENCE: tuple[tuple[str, str, str, str], ...] = (
    ("images", "list of strings", "[]", "Image references to watch besides those found in files."),
    (
        "exclude",
        "list of globs",
        "[]",
        "Paths to skip while looking for Dockerfiles and compose files.",
    ),
    ("platforms", "list of strings", "[] (all)", "Only these platforms, e.g. `linux/amd64`."),
    (
        "build_args",
        "table of strings",
        "{}",
        "Values for Dockerfile `ARG`s, as `--build-arg` gives.",
    ),
    (
        "db",
        "string (URL)",
        "SQLite in the user data dir",
        "History database: a path, "
        "`sqlite:///file.db` or `postgresql+psycopg://...`; `DRIFTWATCH_DB` overrides.",
    ),
    (
        "notify",
        "list of URLs or tables",
        "[]",
        "Apprise URLs, or `{url = ..., on = [...]}` "
        "tables routing by severity (`release`, `os`, `digest`, `error`).",
    ),
    ("os_detect", "`fast` / `full` / `off`", "`fast`", "How to find the OS release of an image."),
    ("fail_on", "`never` / `digest` / `os` / `release`", "`release`", "What makes a run fail."),
    ("concurrency", "integer", "16", "Requests in flight at once, across registries."),
    ("timeout", "seconds", "30", "Timeout of one HTTP request."),
    ("retries", "integer", "3", "Retries of a request that failed for a transient reason."),
    (
        "keep_pulls",
        "integer",
        "0",
        "Stop manifest GETs to a registry whose `ratelimit-remaining` has fallen to this many.",
    ),
    (
        "registries.<host>.endpoint",
        "URL",
        "none",
        "Send this registry's requests elsewhere (a pull-through mirror, a local registry).",
    ),
    (
        "registries.<host>.insecure",
        "boolean",
        "false",
        "Allow plain HTTP and unverified TLS (loopback hosts are allowed plain HTTP anyway).",
    ),
    (
        "registries.<host>.concurrency",
        "integer",
        "`concurrency`",
        "Requests in flight to this registry.",
    ),
    (
        "deadline",
        "seconds",
        "900",
        "Time a `resolve`, `check`, `lock` or `pin` run may take; what is not done by then is "
        "reported as could not check (`scan` has `--deadline`).",
    ),
    (
        "http2",
        "boolean",
        "true",
        "Use HTTP/2 with TLS registries that offer it (one multiplexed connection per registry).",
    ),
    ("osinfo.max_bytes", "integer", "268435456", "Layer bytes read per image before giving up."),
    ("osinfo.max_seconds", "seconds", "120", "Time spent per image before giving up."),
    ("lint.disable", "list of rule ids", "[]", "Lint rules to switch off, e.g. `DW003`."),
    (
        "lint.min_severity",
        "`error` / `warning` / `note`",
        "`warning`",
        "Lowest severity that fails `lint`.",
    ),
)

_SCALARS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "db": (str, "db"),
    "os_detect": (str, "os_detect"),
    "fail_on": (str, "fail_on"),
    "concurrency": (int, "concurrency"),
    "timeout": ((int, float), "timeout"),
    "retries": (int, "retries"),
    "keep_pulls": (int, "keep_pulls"),
}
_STRING_LISTS = {"images": "images", "exclude": "exclude", "platforms": "platforms"}
_NETWORK = {"deadline", "http2"}
_TOP_KEYS = {*_SCALARS, *_STRING_LISTS, *_NETWORK, "registries", "build_args", "notify"}
_TOP_KEYS |= {"osinfo", "lint"}


def _build_config(file: Path, data: Mapping[str, Any]) -> Config:
    """Validate `data` key by key and turn it into a Config."""
    _reject_unknown(file, "", data, _TOP_KEYS)
    values: dict[str, Any] = {"path": file}
    for key, (kind, attr) in _SCALARS.items():
        if key in data:
            values[attr] = _typed(file, key, data[key], kind)
    for key, attr in _STRING_LISTS.items():
        if key in data:
            values[attr] = tuple(_string_list(file, key, data[key]))
    if "build_args" in data:
        values["build_args"] = _string_table(file, "build_args", data["build_args"])
    if "notify" in data:
        values["notify"] = tuple(_notify_entries(file, data["notify"]))
    if "registries" in data:
        values["registries"] = _registries(file, data["registries"])
    values.update(_osinfo(file, data.get("osinfo", {})))
    values.update(_lint(file, data.get("lint", {})))
    values.update(_network(file, data))
    config = Config(**values)
    _check_choices(file, config)
    return config


def _check_choices(file: Path, config: Config) -> None:
    if config.os_detect not in OS_DETECT_MODES:
        raise ConfigError(f"{file}: os_detect must be one of {', '.join(OS_DETECT_MODES)}")
    if config.fail_on not in FAIL_ON_LEVELS:
        raise ConfigError(f"{file}: fail_on must be one of {', '.join(FAIL_ON_LEVELS)}")
    if config.concurrency < 1:
        raise ConfigError(f"{file}: concurrency must be at least 1")
    if config.keep_pulls < 0:
        raise ConfigError(f"{file}: keep_pulls must be 0 or more")


def _network(file: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """`deadline` (finite seconds, above 0, at most a day) and `http2` (boolean)."""
    values: dict[str, Any] = {}
    if "deadline" in data:
        seconds = float(_typed(file, "deadline", data["deadline"], (int, float)))
        if not 0 < seconds <= MAX_DEADLINE:  # also refuses nan and inf
            raise ConfigError(
                f"{file}: deadline = {data['deadline']!r}: must be above 0 and at most "
                f"{MAX_DEADLINE:g} seconds"
            )
        values["deadline"] = seconds
    if "http2" in data:
        values["http2"] = _typed(file, "http2", data["http2"], bool)
    return values


def _registries(file: Path, data: Any) -> dict[str, RegistrySettings]:
    table = _table(file, "registries", data)
    result: dict[str, RegistrySettings] = {}
    for host, settings in table.items():
        where = f"registries.{host}"
        entry = _table(file, where, settings)
        _reject_unknown(file, where, entry, {"endpoint", "insecure", "concurrency"})
        endpoint = entry.get("endpoint")
        if endpoint is not None:
            endpoint = _typed(file, f"{where}.endpoint", endpoint, str).rstrip("/")
            if not endpoint.startswith(("http://", "https://")):
                raise ConfigError(f"{file}: {where}.endpoint must start with http:// or https://")
        result[_normalise_host(host)] = RegistrySettings(
            endpoint=endpoint,
            insecure=_typed(file, f"{where}.insecure", entry.get("insecure", False), bool),
            concurrency=_optional_int(file, f"{where}.concurrency", entry.get("concurrency")),
        )
    return result


def _normalise_host(host: str) -> str:
    """Config keys name registries as users write them; Docker Hub has several names."""
    return DOCKER_HUB if host.lower() in HUB_ALIASES else host


def _osinfo(file: Path, data: Any) -> dict[str, Any]:
    table = _table(file, "osinfo", data)
    _reject_unknown(file, "osinfo", table, {"max_bytes", "max_seconds"})
    values: dict[str, Any] = {}
    if "max_bytes" in table:
        values["os_max_bytes"] = _typed(file, "osinfo.max_bytes", table["max_bytes"], int)
    if "max_seconds" in table:
        seconds = _typed(file, "osinfo.max_seconds", table["max_seconds"], (int, float))
        values["os_max_seconds"] = float(seconds)
    return values


def _lint(file: Path, data: Any) -> dict[str, Any]:
    table = _table(file, "lint", data)
    _reject_unknown(file, "lint", table, {"disable", "min_severity"})
    values: dict[str, Any] = {}
    if "disable" in table:
        values["lint_disable"] = tuple(_string_list(file, "lint.disable", table["disable"]))
    if "min_severity" in table:
        values["lint_min_severity"] = _typed(file, "lint.min_severity", table["min_severity"], str)
    return values


def _notify_entries(file: Path, data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ConfigError(f"{file}: notify must be a list of URLs or tables")
    for index, entry in enumerate(data):
        where = f"notify[{index}]"
        if isinstance(entry, dict):
            _reject_unknown(file, where, entry, {"url", "on"})
            _typed(file, f"{where}.url", entry.get("url"), str)
            if "on" in entry:
                _string_list(file, f"{where}.on", entry["on"])
        elif not isinstance(entry, str):
            raise ConfigError(f"{file}: {where} must be a URL string or a table")
    return data


def _reject_unknown(file: Path, where: str, data: Mapping[str, Any], known: set[str]) -> None:
    for key in data:
        if key not in known:
            name = f"{where}.{key}" if where else key
            raise ConfigError(f"{file}: unknown key {name!r} (known: {', '.join(sorted(known))})")


def _typed(file: Path, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    wrong_bool = isinstance(value, bool) and kind is not bool
    if wrong_bool or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{file}: {key} must be {names}, not {type(value).__name__}")
    return value


def _optional_int(file: Path, key: str, value: Any) -> int | None:
    return None if value is None else int(_typed(file, key, value, int))


def _table(file: Path, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{file}: {key} must be a table")
    return value


def _string_list(file: Path, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{file}: {key} must be a list of strings")
    return value


def _string_table(file: Path, key: str, value: Any) -> dict[str, str]:
    table = _table(file, key, value)
    for name, item in table.items():
        _typed(file, f"{key}.{name}", item, str)
    return dict(table)
