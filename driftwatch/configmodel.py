"""The configuration file's schema: a strict pydantic model with a bound on every number.

config.py reads the TOML, validates it against `ConfigModel` and builds the frozen `Config` the
rest of driftwatch reads. The generated reference (docs) and the tests walk this model, so a key
added here is documented and tested without further work. Every number has a lower and an upper
bound and must be finite; unknown keys, wrong types and bad URLs are one-line errors naming the
key, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, get_args

from annotated_types import MaxLen
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from driftwatch.config import (
    DEFAULT_OS_DETECT,
    DEFAULT_OS_MAX_BYTES,
    DEFAULT_OS_MAX_SECONDS,
    OS_DETECT_MODES,
    SOURCE_NAMES,
    OsDetectMode,
)
from driftwatch.configfast import (
    ARG_NAME,
    CONTROL,
    MAX_ITEMS,
    MAX_TEXT,
    MIB,
    REGISTRY_KEY,
    check_endpoint,
)
from driftwatch.models import FAIL_ON, LEVELS, ROUTES, Platform

__all__ = [
    "ConfigModel",
    "LintModel",
    "NotifyEnvModel",
    "NotifyTable",
    "OsinfoModel",
    "RegistryModel",
    "check_endpoint",
    "secret_location",
]


def _no_control(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, MaxLen(MAX_TEXT), AfterValidator(_no_control)]


def _registry_key(value: str) -> str:
    if not REGISTRY_KEY.fullmatch(value):
        raise ValueError("not a registry host (host, host:port or [v6]:port)")
    return value


def _arg_name(value: str) -> str:
    if not ARG_NAME.fullmatch(value):
        raise ValueError("not an ARG name (letters, digits and _)")
    return value


def _platform(value: str) -> str:
    Platform.parse(value)  # ValueError names what is wrong
    return value


def _notify_entry(value: Any) -> Any:
    """A notify entry is a URL string or a table; a string becomes `{url = ...}`."""
    if isinstance(value, str):
        return {"url": value}
    if not isinstance(value, dict):
        raise ValueError("must be a URL string or a table {url = ..., on = [...]}")
    return value


Endpoint = Annotated[str, MaxLen(MAX_TEXT), AfterValidator(check_endpoint)]
RegistryKey = Annotated[str, MaxLen(300), AfterValidator(_registry_key)]
ArgName = Annotated[str, MaxLen(300), AfterValidator(_arg_name)]
PlatformText = Annotated[str, MaxLen(300), AfterValidator(_platform)]
Route = Literal["release", "os", "digest", "eol", "error", "library-removed"]
FailOn = Literal["never", "digest", "os", "release"]
MinSeverity = Literal["note", "warning", "error"]
SourceName = Literal[
    "dockerfile", "compose", "actions", "gitlab", "bake", "kubernetes", "devcontainer"
]
if set(get_args(SourceName)) != set(SOURCE_NAMES):  # pragma: no cover - a developer's slip
    raise ImportError("configmodel.SourceName must list config.SOURCE_NAMES")
if (get_args(Route), get_args(FailOn), get_args(MinSeverity)) != (ROUTES, FAIL_ON, LEVELS):
    raise ImportError("configmodel's Literals must list models.ROUTES, FAIL_ON and LEVELS")


def _doc(kind: str, default: str, text: str) -> Any:
    """Field metadata the generated reference shows: the type and default as people read them."""
    return {"doc_type": kind, "doc_default": default, "description": text}


class _Strict(BaseModel):
    """No unknown keys, no type coercion (`"8"` is not 8, `true` is not 1), no NaN or infinity."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, defer_build=True
    )


class RegistryModel(_Strict):
    """`[registries."<host>"]`: where one registry's requests go and how."""

    endpoint: Endpoint | None = Field(
        default=None,
        json_schema_extra=_doc(
            "URL",
            "none",
            "Send this registry's requests elsewhere (a pull-through mirror, a local registry). "
            "No user-info: credentials come from Docker config or the environment.",
        ),
    )
    insecure: bool = Field(
        default=False,
        json_schema_extra=_doc(
            "boolean",
            "false",
            "Allow plain HTTP and unverified TLS (loopback hosts are allowed plain HTTP anyway).",
        ),
    )
    concurrency: int | None = Field(
        default=None,
        ge=1,
        le=256,
        json_schema_extra=_doc("integer", "`concurrency`", "Requests in flight to this registry."),
    )


class OsinfoModel(_Strict):
    """`[osinfo]`: how much work finding one image's OS release may cost."""

    max_bytes: int = Field(
        default=DEFAULT_OS_MAX_BYTES,
        ge=64 * 1024,
        le=64 * 1024 * MIB,
        json_schema_extra=_doc(
            "integer (bytes)",
            str(DEFAULT_OS_MAX_BYTES),
            "Layer bytes read per image before giving up.",
        ),
    )
    max_seconds: float = Field(
        default=DEFAULT_OS_MAX_SECONDS,
        gt=0,
        le=3600,
        json_schema_extra=_doc(
            "seconds", f"{DEFAULT_OS_MAX_SECONDS:g}", "Time spent per image before giving up."
        ),
    )


class LintModel(_Strict):
    """`[lint]`: which rules run and what fails `lint`."""

    disable: list[Annotated[str, MaxLen(32)]] = Field(
        default=[],
        max_length=100,
        json_schema_extra=_doc("list of rule ids", "[]", "Lint rules to switch off, e.g. `DW003`."),
    )
    min_severity: MinSeverity = Field(
        default="warning",
        json_schema_extra=_doc(
            "`error` / `warning` / `note`", "`warning`", "Lowest severity that fails `lint`."
        ),
    )


class EolModel(_Strict):
    """`[eol]`: the end-of-life calendar and how far ahead a release's end is announced."""

    calendar: Text | None = Field(
        default=None,
        json_schema_extra=_doc(
            "path",
            "none (the shipped calendar)",
            "A TOML or JSON file of `releases` entries (os, version, codename, eol, phase, "
            "source, checked) that extends the shipped calendar and overrides its entries per "
            "os and version; relative to the config file.",
        ),
    )
    warn_days: int = Field(
        default=90,
        ge=0,
        le=3660,
        json_schema_extra=_doc(
            "integer (days)",
            "90",
            "Announce a release's end this many days ahead (lint DW005, `scan`'s `os-eol` "
            "event, `check`'s notice).",
        ),
    )


class NotifyTable(_Strict):
    """One notify entry: an apprise URL (or config file) and the kinds of news it wants."""

    url: Annotated[str, MaxLen(MAX_TEXT)]
    on: list[Route] | None = Field(default=None, max_length=len(ROUTES))


class SourcesModel(_Strict):
    """`[sources]`: which kinds of file are read, and globs choosing the paths read."""

    enabled: list[SourceName] | None = Field(
        default=None,
        min_length=1,
        max_length=len(SOURCE_NAMES),
        json_schema_extra=_doc(
            "list of source names",
            "all",
            "Files to read: `dockerfile`, `compose`, `actions` (GitHub workflows), `gitlab`, "
            "`bake`, `kubernetes`; `--sources` overrides.",
        ),
    )
    include: list[Text] = Field(
        default=[],
        max_length=10_000,
        json_schema_extra=_doc(
            "list of globs",
            "[] (every file)",
            "Only read paths matching one of these (`**` crosses folders).",
        ),
    )
    exclude: list[Text] = Field(
        default=[],
        max_length=10_000,
        json_schema_extra=_doc("list of globs", "[]", "Paths to skip, added to `exclude`."),
    )


class ConfigModel(_Strict):
    """`driftwatch.toml` or `[tool.driftwatch]`: every key driftwatch accepts."""

    images: list[Text] = Field(
        default=[],
        max_length=MAX_ITEMS,
        json_schema_extra=_doc(
            "list of strings", "[]", "Image references to watch besides those found in files."
        ),
    )
    exclude: list[Text] = Field(
        default=[],
        max_length=MAX_ITEMS,
        json_schema_extra=_doc(
            "list of globs", "[]", "Paths to skip while looking for Dockerfiles and compose files."
        ),
    )
    platforms: list[PlatformText] = Field(
        default=[],
        max_length=100,
        json_schema_extra=_doc(
            "list of strings", "[] (all)", "Only these platforms, e.g. `linux/amd64`."
        ),
    )
    build_args: dict[ArgName, Annotated[str, MaxLen(MAX_TEXT)]] = Field(
        default={},
        max_length=1000,
        json_schema_extra=_doc(
            "table of strings", "{}", "Values for Dockerfile `ARG`s, as `--build-arg` gives."
        ),
    )
    db: Text | None = Field(
        default=None,
        json_schema_extra=_doc(
            "string (URL)",
            "SQLite in the user data dir",
            "History database: a path, `sqlite:///file.db` or `postgresql+psycopg://...`; "
            "`DRIFTWATCH_DB` overrides. Put a password in as `${VAR}`.",
        ),
    )
    notify: list[Annotated[NotifyTable, BeforeValidator(_notify_entry)]] = Field(
        default=[],
        max_length=100,
        json_schema_extra=_doc(
            "list of URLs or tables",
            "[]",
            "Apprise URLs, or `{url = ..., on = [...]}` tables routing by severity "
            "(`release`, `os`, `digest`, `error`, `library-removed`). Write secrets as `${VAR}`.",
        ),
    )
    os_detect: OsDetectMode = Field(
        default=DEFAULT_OS_DETECT,
        json_schema_extra=_doc(
            " / ".join(f"`{mode}`" for mode in OS_DETECT_MODES),
            f"`{DEFAULT_OS_DETECT}`",
            "How to find the OS release of an image.",
        ),
    )
    explain: Literal["on", "off"] = Field(
        default="on",
        json_schema_extra=_doc(
            "`on` / `off`",
            "`on`",
            "Read the package databases of an image that moved, to say what broke.",
        ),
    )
    fail_on: FailOn = Field(
        default="release",
        json_schema_extra=_doc(
            "`never` / `digest` / `os` / `release`", "`release`", "What makes a run fail."
        ),
    )
    concurrency: int = Field(
        default=16,
        ge=1,
        le=256,
        json_schema_extra=_doc("integer", "16", "Requests in flight at once, across registries."),
    )
    timeout: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        json_schema_extra=_doc("seconds", "30", "Timeout of one HTTP request."),
    )
    retries: int = Field(
        default=3,
        ge=0,
        le=10,
        json_schema_extra=_doc(
            "integer", "3", "Retries of a request that failed for a transient reason."
        ),
    )
    keep_pulls: int = Field(
        default=0,
        ge=0,
        le=100_000,
        json_schema_extra=_doc(
            "integer",
            "0",
            "Stop manifest GETs to a registry whose `ratelimit-remaining` has fallen to this many.",
        ),
    )
    deadline: float = Field(
        default=900.0,
        gt=0,
        le=86400,
        json_schema_extra=_doc(
            "seconds",
            "900",
            "Time a `resolve`, `check`, `lock`, `pin` or `scan` run may take (`scan --deadline` "
            "overrides it); what is not done by then is reported as could not check.",
        ),
    )
    http2: bool = Field(
        default=True,
        json_schema_extra=_doc(
            "boolean",
            "true",
            "Use HTTP/2 with TLS registries that offer it (one multiplexed connection per "
            "registry).",
        ),
    )
    registries: dict[RegistryKey, RegistryModel] = Field(default={}, max_length=1000)
    osinfo: OsinfoModel = Field(default_factory=OsinfoModel)
    lint: LintModel = Field(default_factory=LintModel)
    eol: EolModel = Field(default_factory=EolModel)
    sources: SourcesModel = Field(default_factory=SourcesModel)


class NotifyEnvModel(BaseModel):
    """The environment knobs of alert retries (strings parsed as numbers, then bounded)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True)

    DRIFTWATCH_NOTIFY_BACKOFF: float = Field(
        default=300.0,
        ge=0,
        le=7 * 24 * 3600,
        json_schema_extra=_doc(
            "seconds",
            "300",
            "Seconds before the first retry (doubled after each failure); `0` retries on the "
            "next run.",
        ),
    )
    DRIFTWATCH_NOTIFY_MAX_ATTEMPTS: int = Field(
        default=5,
        ge=1,
        le=100,
        json_schema_extra=_doc("integer", "5", "Failed attempts before a delivery is given up."),
    )


def secret_location(loc: Sequence[int | str]) -> bool:
    """Notify URLs and build-arg values may be secrets through and through: never shown."""
    if loc and loc[0] == "notify":
        return "on" not in loc
    return bool(loc) and loc[0] == "build_args" and "[key]" not in loc
