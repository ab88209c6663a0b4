"""A plainly valid config checked without pydantic (~75 ms of a start-up to import), or no answer.

`quick_values(data)` returns what `ConfigModel.model_validate(data).model_dump(exclude_unset=True)`
returns when every key of `data` is known, every value has exactly its type, every string and list
is within its length and every number within its bounds; otherwise None, and config.py validates
with the pydantic model, which names the key, the value and what is allowed. This path never
reports an error, so it cannot change a message; it may only decline. The rules mirror
configmodel.py: tests/test_config_fast.py feeds both every key's bounds, lengths and wrong types
and fails when this path accepts anything the model refuses or turns it into another Config.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from driftwatch.config import OS_DETECT_MODES, SOURCE_NAMES
from driftwatch.models import FAIL_ON, LEVELS, ROUTES, Platform

__all__ = [
    "NOTIFY",
    "TOP",
    "ARG_NAME",
    "CONTROL",
    "MAX_ITEMS",
    "MAX_TEXT",
    "MIB",
    "REGISTRY_KEY",
    "check_endpoint",
    "quick_values",
]

MAX_TEXT = 4096
MAX_ITEMS = 1_000_000
MIB = 1024 * 1024
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")
REGISTRY_KEY = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")
ARG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _Decline(Exception):
    """Not plainly valid: the pydantic model decides (and says why)."""


def check_endpoint(value: str) -> str:
    """An http(s) URL with a real host, a valid port and no user-info; trailing `/` dropped."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if "@" in parts.netloc:
        raise ValueError(
            "credentials (user-info) are not allowed in an endpoint: use a Docker config "
            "file or the environment (see Registries and credentials)"
        )
    host = parts.hostname or ""
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("not a valid IPv6 address in brackets") from None
    elif not _HOST_NAME.fullmatch(host):
        raise ValueError("has no valid host name")
    if port == 0:
        raise ValueError("port 0 is not a port")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or a fragment")
    return value.rstrip("/")


Check = Callable[[Any], Any]


def _need(ok: bool) -> None:
    if not ok:
        raise _Decline


def _text(limit: int = MAX_TEXT, pattern: re.Pattern[str] | None = None) -> Check:
    """A str of at most `limit` characters, without control characters (and matching)."""

    def check(value: Any) -> Any:
        _need(type(value) is str and len(value) <= limit and not CONTROL.search(value))
        _need(pattern is None or bool(pattern.fullmatch(value)))
        return value

    return check


def _choice(words: tuple[str, ...]) -> Check:
    def check(value: Any) -> Any:
        _need(type(value) is str and value in words)
        return value

    return check


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> Any:
        _need(type(value) is int and low <= value <= high)
        return value

    return check


def _number(above: float, high: float) -> Check:
    """A finite int or float, more than `above` and at most `high`, as a float."""

    def check(value: Any) -> Any:
        if type(value) is int:  # compared exactly: an int too big for a float only declines
            _need(above < value <= high)
        else:
            _need(type(value) is float and math.isfinite(value) and above < value <= high)
        return float(value)

    return check


def _flag(value: Any) -> Any:
    _need(type(value) is bool)
    return value


def _list(item: Check, most: int, least: int = 0) -> Check:
    def check(value: Any) -> Any:
        _need(type(value) is list and least <= len(value) <= most)
        return [item(entry) for entry in value]

    return check


def _platform(value: Any) -> Any:
    _text(300)(value)
    try:
        Platform.parse(value)
    except ValueError:
        raise _Decline from None
    return value


def _endpoint(value: Any) -> Any:
    _text()(value)
    try:
        return check_endpoint(value)
    except ValueError:
        raise _Decline from None


class _Table:
    """A dict whose keys all have a check here (and include `required`); values checked."""

    def __init__(self, checks: dict[str, Check], required: tuple[str, ...] = ()) -> None:
        self.checks = checks  # read by the tests: the same keys as the model's
        self.required = required

    def __call__(self, value: Any) -> Any:
        _need(type(value) is dict and set(value) <= set(self.checks))
        _need(set(self.required) <= set(value))
        return {key: self.checks[key](item) for key, item in value.items()}


class _Mapping:
    """A dict of any keys passing `key`, each value passing `item` (`registries`, `build_args`)."""

    def __init__(self, key: Check, item: Check, most: int) -> None:
        self.key, self.item, self.most = key, item, most

    def __call__(self, value: Any) -> Any:
        _need(type(value) is dict and len(value) <= self.most)
        return {self.key(name): self.item(entry) for name, entry in value.items()}


NOTIFY = _Table({"url": _text(), "on": _list(_choice(ROUTES), len(ROUTES))}, ("url",))


def _notify(value: Any) -> Any:
    """A URL string becomes `{url = ...}`, as the model's BeforeValidator does."""
    return NOTIFY({"url": value} if type(value) is str else value)


_REGISTRY = _Table(
    {"endpoint": _endpoint, "insecure": _flag, "concurrency": _integer(1, 256)},
)
TOP = _Table(
    {
        "images": _list(_text(), MAX_ITEMS),
        "exclude": _list(_text(), MAX_ITEMS),
        "platforms": _list(_platform, 100),
        "build_args": _Mapping(_text(300, ARG_NAME), _text(), 1000),
        "db": _text(),
        "notify": _list(_notify, 100),
        "os_detect": _choice(OS_DETECT_MODES),
        "explain": _choice(("on", "off")),
        "fail_on": _choice(FAIL_ON),
        "concurrency": _integer(1, 256),
        "timeout": _number(0, 3600),
        "retries": _integer(0, 10),
        "keep_pulls": _integer(0, 100_000),
        "deadline": _number(0, 86400),
        "http2": _flag,
        "registries": _Mapping(_text(300, REGISTRY_KEY), _REGISTRY, 1000),
        "osinfo": _Table(
            {"max_bytes": _integer(64 * 1024, 64 * 1024 * MIB), "max_seconds": _number(0, 3600)}
        ),
        "lint": _Table({"disable": _list(_text(32), 100), "min_severity": _choice(LEVELS)}),
        "eol": _Table({"calendar": _text(), "warn_days": _integer(0, 3660)}),
        "sources": _Table(
            {
                "enabled": _list(_choice(SOURCE_NAMES), len(SOURCE_NAMES), least=1),
                "include": _list(_text(), 10_000),
                "exclude": _list(_text(), 10_000),
            }
        ),
    }
)


def quick_values(data: Any) -> dict[str, Any] | None:
    """The validated values of a plainly valid config (only the keys it sets), else None."""
    try:
        values: dict[str, Any] = TOP(data)
    except _Decline:
        return None
    return values
