"""Settings from driftwatch.toml, `[tool.driftwatch]` in pyproject.toml, the environment and flags.

Lookup: `--config FILE` or `DRIFTWATCH_CONFIG`, else the first `driftwatch.toml` (or a
pyproject.toml with a `[tool.driftwatch]` table) from the working directory upward.
The TOML is validated against configmodel.ConfigModel (strict types, bounded numbers, checked
URLs) and turned into the frozen `Config` the rest of driftwatch reads. `${VAR}` in any string
is replaced by the environment variable VAR (the way to pass credentials); `$${` is a literal
`${`. Every problem is a ConfigError of one line naming the file, the key, the value and what
is allowed, so a typo never silently does nothing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from driftwatch.capped import read_capped
from driftwatch.errors import ConfigError
from driftwatch.models import FAIL_ON
from driftwatch.redact import MASK, shown_value
from driftwatch.reference import DOCKER_HUB, HUB_ALIASES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "SOURCE_NAMES",
    "Config",
    "RegistrySettings",
    "SourceSettings",
    "find_config_file",
    "load_config",
    "parse_source_names",
]

CONFIG_ENV = "DRIFTWATCH_CONFIG"
# OS detection's modes and default bounds, for the config model, the flags and osinfo alike
OsDetectMode = Literal["fast", "full", "off"]
OS_DETECT_MODES: tuple[str, ...] = get_args(OsDetectMode)
DEFAULT_OS_DETECT: OsDetectMode = "fast"
DEFAULT_OS_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_OS_MAX_SECONDS = 120.0
FAIL_ON_LEVELS = FAIL_ON  # models.Severity's words, defined there once
MAX_CONFIG_BYTES = 1024 * 1024
DEFAULT_DEADLINE = 900.0
MAX_DEADLINE = 86400.0
_VARIABLE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, repr=False)
class RegistrySettings:
    """Per-registry settings: where to send requests and whether plain HTTP is allowed."""

    endpoint: str | None = None
    insecure: bool = False
    concurrency: int | None = None

    def __repr__(self) -> str:
        endpoint = None if self.endpoint is None else MASK
        return (
            f"RegistrySettings(endpoint={endpoint!r}, insecure={self.insecure!r}, "
            f"concurrency={self.concurrency!r})"
        )


# --- [sources]: which files are read (kept in one block) -------------------------------------
SOURCE_NAMES = (
    "dockerfile",
    "compose",
    "actions",
    "gitlab",
    "bake",
    "kubernetes",
    "devcontainer",
)


@dataclass(frozen=True)
class SourceSettings:
    """`[sources]`: the kinds of file read, and globs choosing which paths are read."""

    enabled: tuple[str, ...] = SOURCE_NAMES
    include: tuple[str, ...] = ()  # when given, only paths matching one of these are read
    exclude: tuple[str, ...] = ()  # added to the top-level `exclude`


def parse_source_names(text: str, where: str) -> tuple[str, ...]:
    """`dockerfile,compose` (or a list's items) checked against SOURCE_NAMES."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in SOURCE_NAMES]
    if unknown or not names:
        raise ConfigError(
            f"{where}: unknown source {', '.join(unknown) or '(none)'!r} "
            f"(known: {', '.join(SOURCE_NAMES)})"
        )
    return names


def _sources(table: Mapping[str, Any]) -> SourceSettings:
    """The validated `[sources]` table as SourceSettings."""
    enabled = table.get("enabled")
    return SourceSettings(
        enabled=tuple(enabled) if enabled is not None else SOURCE_NAMES,
        include=tuple(table.get("include", ())),
        exclude=tuple(table.get("exclude", ())),
    )


# --- end of [sources] ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
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
    os_detect: str = DEFAULT_OS_DETECT
    explain: str = "on"  # read package databases of moved images (issue 17)
    fail_on: str = "release"
    concurrency: int = 16
    timeout: float = 30.0
    retries: int = 3
    keep_pulls: int = 0
    os_max_bytes: int = DEFAULT_OS_MAX_BYTES
    os_max_seconds: float = DEFAULT_OS_MAX_SECONDS
    lint_disable: tuple[str, ...] = ()
    lint_min_severity: str = "warning"
    eol_calendar: Path | None = None  # [eol]: a user's end-of-life calendar, and the warning window
    eol_warn_days: int = 90
    sources: SourceSettings = field(default_factory=SourceSettings)
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

    def __repr__(self) -> str:
        """Every field, but no URL or build-arg value: they may carry credentials."""
        hidden = {"db": MASK if self.db else None, "notify": f"<{len(self.notify)} entries>"}
        hidden["build_args"] = f"<{', '.join(self.build_args)}>"
        shown = [
            f"{item.name}={hidden.get(item.name) or repr(getattr(self, item.name))}"
            for item in fields(self)
        ]
        return f"Config({', '.join(shown)})"


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
        if _may_hold_table(pyproject) and _tool_table(pyproject, _read_toml(pyproject)) is not None:
            return pyproject, True
    return None


def _may_hold_table(pyproject: Path) -> bool:
    """True for a pyproject.toml that mentions driftwatch: only those are parsed (strictly)."""
    try:
        with pyproject.open("rb") as handle:
            return b"driftwatch" in handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return pyproject.exists()  # unreadable: _read_toml says why


def load_config(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Load the config in force (or `path`); no file at all gives the defaults."""
    if path is not None:
        found: tuple[Path, bool] | None = (path, path.name == "pyproject.toml")
    else:
        found = find_config_file()
    if found is None:
        return Config()
    file, is_pyproject = found
    data: Any = _read_toml(file)
    if is_pyproject:
        data = _tool_table(file, data) or {}
    templates: dict[str, str] = {}
    return build_config(file, _expand(file, data, environ, "", templates), templates)


def build_config(
    file: Path | None, data: Mapping[str, Any], templates: Mapping[str, str] | None = None
) -> Config:
    """Validate `data` and turn it into the frozen Config.

    A plainly valid config is checked without pydantic (configfast: its import is most of a
    start-up); anything else goes through the model, which says what is wrong.
    """
    from driftwatch.configfast import quick_values

    values = quick_values(data)
    if values is None:
        values = model_values(file, data, templates)
    return _config(file, values)


def model_values(
    file: Path | None, data: Mapping[str, Any], templates: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`data` validated by ConfigModel: the keys it sets; every problem a one-line ConfigError.

    `templates` maps expanded strings back to what the file says (`${VAR}`), so an error shows
    the template, never a secret taken from the environment.
    """
    from pydantic import ValidationError  # only for a config the quick check declined

    from driftwatch.configmodel import ConfigModel, secret_location
    from driftwatch.validation import describe_error

    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        if isinstance(first["input"], str) and first["input"] in (templates or {}):
            first = {**first, "input": (templates or {})[first["input"]]}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            f"{file}: {describe_error(first, ConfigModel, secret_location)}{more}"
        ) from None
    values: dict[str, Any] = model.model_dump(exclude_unset=True)
    return values


def _config(file: Path | None, values: Mapping[str, Any]) -> Config:
    """The frozen Config of validated values (a key not set keeps Config's default)."""
    osinfo, lint, eol = (values.get(name, {}) for name in ("osinfo", "lint", "eol"))
    calendar = eol.get("calendar")
    return Config(
        path=file,
        **_same_named(values),
        registries=_registries(file, values.get("registries", {})),
        notify=tuple(
            _notify_entry(entry["url"], entry.get("on")) for entry in values.get("notify", [])
        ),
        os_max_bytes=osinfo.get("max_bytes", DEFAULT_OS_MAX_BYTES),
        os_max_seconds=float(osinfo.get("max_seconds", DEFAULT_OS_MAX_SECONDS)),
        lint_disable=tuple(lint.get("disable", ())),
        lint_min_severity=lint.get("min_severity", Config.lint_min_severity),
        eol_calendar=file.parent / calendar if file and calendar else None,
        eol_warn_days=eol.get("warn_days", Config.eol_warn_days),
        sources=_sources(values.get("sources", {})),
    )


_SHAPED = frozenset({"registries", "notify", "osinfo", "lint", "eol", "sources"})


def _same_named(values: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys that are Config fields of the same name (lists become tuples).

    A new top-level key needs only its field in ConfigModel (and configfast) and in Config.
    """
    names = {item.name for item in fields(Config)}
    found: dict[str, Any] = {}
    for name, value in values.items():
        if name in names and name not in _SHAPED:
            if isinstance(value, list):
                value = tuple(value)
            elif isinstance(value, dict):
                value = dict(value)
            found[name] = value
    return found


def _registries(file: Path | None, tables: Mapping[str, Any]) -> dict[str, RegistrySettings]:
    """Per-registry settings keyed by normalised host; two names of one registry are an error."""
    registries: dict[str, RegistrySettings] = {}
    for host, settings in tables.items():
        name = _normalise_host(host)
        if name in registries:
            raise ConfigError(f"{file}: registries.{host} names the same registry as another key")
        registries[name] = RegistrySettings(
            settings.get("endpoint"), settings.get("insecure", False), settings.get("concurrency")
        )
    return registries


def _notify_entry(url: str, on: Sequence[str] | None) -> Any:
    """A notify entry as destinations reads it: the URL alone, or a table with its routes."""
    return url if on is None else {"url": url, "on": list(on)}


def _tool_table(file: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """`[tool.driftwatch]` of a pyproject.toml, None when absent; not a table is an error."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{file}: tool = {shown_value(tool)}: must be a table ([tool])")
    table = tool.get("driftwatch")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(
            f"{file}: tool.driftwatch = {shown_value(table)}: must be a table ([tool.driftwatch])"
        )
    return table


def _normalise_host(host: str) -> str:
    """Config keys name registries as users write them; Docker Hub has several names."""
    return DOCKER_HUB if host.lower() in HUB_ALIASES else host


def _read_toml(file: Path) -> dict[str, Any]:
    """Parse a TOML file of at most 1 MiB; every failure names the file (and byte offset)."""
    try:
        raw = read_capped(file, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc.strerror}") from None
    if raw is None:
        raise ConfigError(f"{file}: larger than {MAX_CONFIG_BYTES // 1024} KiB: not a config file")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is no error
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}"
        ) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{file}: not valid TOML: nested too deeply") from None
    return data


def _expand(
    file: Path, value: Any, environ: Mapping[str, str], key: str, templates: dict[str, str]
) -> Any:
    """`value` with `${VAR}` in every string replaced from the environment (`$${` stays `${`).

    `templates` collects expanded string -> original text, for error messages.
    """
    if isinstance(value, dict):
        return {
            name: _expand(file, item, environ, f"{key}.{name}" if key else name, templates)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [
            _expand(file, item, environ, f"{key}[{i}]", templates) for i, item in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        if not _VARIABLE_NAME.fullmatch(name):
            raise ConfigError(f"{file}: {key}: ${{{name[:40]}}} is not a variable name")
        if name not in environ:
            raise ConfigError(f"{file}: {key}: ${{{name}}} is not set in the environment")
        return environ[name]

    expanded = _VARIABLE.sub(substitute, value)
    templates[expanded] = value
    return expanded


def _reference_row(spec: Any) -> tuple[str, str, str, str]:
    from driftwatch.validation import numeric_kind, range_text

    extra = spec.field.json_schema_extra or {}
    kind = str(extra.get("doc_type", ""))
    if numeric_kind(spec.field) is not None:
        kind = f"{kind}, {range_text(spec.field)}"
    return (spec.key, kind, str(extra.get("doc_default", "")), str(extra.get("description", "")))


def reference() -> tuple[tuple[str, str, str, str], ...]:
    """(key, type, default, meaning) of every key, generated from the model (pydantic is imported
    only here and when a config file is read): docs/reference/configuration.md shows it."""
    from driftwatch.configmodel import ConfigModel
    from driftwatch.validation import iter_keys

    return tuple(_reference_row(spec) for spec in iter_keys(ConfigModel))
