"""The quick config check (configfast) against the pydantic model: it may decline, never differ.

Every key, walked from the model itself, gets its bounds and their neighbours, lengths at and past
each limit, wrong types and hostile strings; wherever the quick check accepts, the model must
accept too and give the same Config. And the check must actually be used: the configs of the docs
and this repository pass it, and a valid config starts `driftwatch images` without pydantic.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from driftwatch import configfast
from driftwatch.config import Config, _config, _read_toml, build_config, model_values
from driftwatch.configfast import quick_values
from driftwatch.configmodel import ConfigModel, NotifyTable
from driftwatch.errors import ConfigError
from driftwatch.validation import KeySpec, bounds, iter_keys
from tests.docs_snippets import snippets

KEYS = list(iter_keys(ConfigModel))
TEXTS: list[Any] = [
    "",
    "x",
    "linux/amd64",
    "linux/arm64/v8",
    "linux",
    "http://127.0.0.1:5000/",
    "https://mirror.example.com",
    "https://user:pw@mirror.example.com",
    "ftp://mirror.example.com",
    "https://mirror.example.com:0",
    "https://mirror.example.com/?q=1",
    "http://[::1]:5000",
    "http://[zz]:5000",
    "json://127.0.0.1/hook",
    "a\x01b",
    "tab\there",
    "on",
    "off",
    "fast",
    "release",
    "warning",
    "compose",
    "DW003",
    "x" * 32,
    "x" * 33,
    "x" * 300,
    "x" * 301,
    "x" * 4096,
    "x" * 4097,
]
OTHERS: list[Any] = [True, False, 0, 1, -1, 0.5, 8.0, math.nan, math.inf, -math.inf, 2**63, {}, []]


def numbers(spec: KeySpec) -> list[Any]:
    """The key's bounds and their neighbours, as ints and floats."""
    found: list[Any] = []
    for edge in bounds(spec.field).values():
        for value in (edge - 1, edge - 0.5, edge, edge + 0.5, edge + 1):
            found += [value, int(value)] if float(value).is_integer() else [value]
    return found


def candidates(spec: KeySpec) -> list[Any]:
    """Values for one key: scalars, lists of them, tables of them."""
    scalars = [*TEXTS, *OTHERS, *numbers(spec)]
    lists = [[value] for value in scalars] + [[], ["x"] * 100, ["x"] * 101, ["compose"] * 7]
    lists += [[{"url": "json://h/", "on": ["release"]}], [{"url": "json://h/", "on": ["x"]}]]
    lists += [[{"url": "json://h/", "extra": 1}], [{"on": ["release"]}]]
    tables = [{"A_1": "x"}, {"1A": "x"}, {"A": 1}, {"A": "x" * 4097}]
    return scalars + lists + tables


def document(spec: KeySpec, value: Any) -> dict[str, Any]:
    """A config setting only `spec` (a `<host>` becomes a real host) to `value`."""
    nested: Any = value
    for part in reversed(spec.path):
        nested = {"reg.example:5000" if part == "<host>" else part: nested}
    assert isinstance(nested, dict)
    return nested


def by_model(data: Any) -> Config | str:
    try:
        return _config(Path("/x/driftwatch.toml"), model_values(None, data))
    except ConfigError as exc:
        return f"error: {exc.message}"


def by_quick_check(data: Any) -> Config | str | None:
    values = quick_values(data)
    if values is None:
        return None
    try:
        return _config(Path("/x/driftwatch.toml"), values)
    except ConfigError as exc:
        return f"error: {exc.message}"


def agree(data: Any) -> bool:
    """The quick check declined, or it ends where the model ends; True when it accepted."""
    quick = by_quick_check(data)
    if quick is None:
        return False
    model = by_model(data)
    assert quick == model, f"{data!r}: quick check {quick!r}, model {model!r}"
    assert repr(quick) == repr(model)  # the same types too (`30.0`, not `30`)
    return True


@pytest.mark.parametrize("spec", KEYS, ids=[spec.key for spec in KEYS])
def test_quick_check_never_accepts_what_the_model_refuses(spec: KeySpec) -> None:
    taken = [agree(document(spec, value)) for value in candidates(spec)]
    assert any(taken), f"{spec.key}: the quick check accepted no value at all"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"unknown": 1},
        {"osinfo": "x"},
        {"osinfo": {"max_bytes": 65536, "other": 1}},
        {"registries": {"bad host!": {}}},
        {"registries": {"docker.io": {}, "index.docker.io": {}}},
        {"registries": {"r.example": {"endpoint": "https://m.example/", "insecure": True}}},
        {"notify": ["json://h/", {"url": "mailto://u:p@h", "on": ["release", "error"]}]},
        {"notify": [1]},
        {"sources": {"enabled": []}},
        {"eol": {"calendar": "eol.toml", "warn_days": 30}},
        {"timeout": 30, "deadline": 1.5, "concurrency": 4},
        {"build_args": {"BASE": "python:3.12-slim"}, "platforms": ["linux/amd64"]},
    ],
)
def test_quick_check_agrees_on_whole_documents(data: dict[str, Any]) -> None:
    agree(data)


def quick_keys(table: Any, prefix: str = "") -> set[str]:
    """The dotted keys the quick check knows, as validation.iter_keys names the model's."""
    found: set[str] = set()
    for name, check in table.checks.items():
        if isinstance(check, type(configfast.TOP)):
            found |= quick_keys(check, f"{prefix}{name}.")
        elif isinstance(getattr(check, "item", None), type(configfast.TOP)):
            found |= quick_keys(check.item, f"{prefix}{name}.<host>.")
        else:
            found.add(prefix + name)
    return found


def test_quick_check_knows_exactly_the_model_keys() -> None:
    """A key the model dropped must not pass here; a key it added should not always decline."""
    assert quick_keys(configfast.TOP) == {spec.key for spec in KEYS}
    assert set(configfast.NOTIFY.checks) == set(NotifyTable.model_fields)


def test_both_paths_default_to_the_config_defaults() -> None:
    """A key left out keeps Config's default, on both paths: they must be the model's."""
    assert _config(None, ConfigModel().model_dump()) == Config()
    assert quick_values({}) == {}


def example_configs(tmp_path: Path) -> list[dict[str, Any]]:
    """The TOML configs of the docs and this repository's own `[tool.driftwatch]`."""
    found = []
    for snippet in snippets("toml"):
        file = tmp_path / snippet.name
        file.write_text(snippet.text)
        found.append(_read_toml(file))
    found.append(_read_toml(Path(__file__).parents[1] / "pyproject.toml")["tool"]["driftwatch"])
    assert len(found) >= 3
    return found


def test_quick_check_takes_the_documented_configs(tmp_path: Path) -> None:
    for data in example_configs(tmp_path):
        assert agree(data), data


@pytest.mark.parametrize("key", ["timeout", "deadline"])
def test_an_integer_too_big_for_a_float_is_the_models_one_line_error(key: str) -> None:
    """tomllib reads `timeout = 1000...0` as an int no float holds: declined, never a crash."""
    with pytest.raises(ConfigError) as info:
        build_config(Path("driftwatch.toml"), {key: 10**400})
    assert info.value.message.startswith(f"driftwatch.toml: {key} = ")


def test_build_config_falls_back_to_the_model_for_its_message() -> None:
    with pytest.raises(ConfigError) as info:
        build_config(Path("driftwatch.toml"), {"concurrency": 0})
    assert info.value.message.startswith("driftwatch.toml: concurrency = 0: should be greater")


def test_a_valid_config_starts_without_pydantic(tmp_path: Path) -> None:
    """`driftwatch images .` with a `[tool.driftwatch]` table never imports pydantic."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.driftwatch]\nplatforms = ["linux/amd64"]\nexclude = ["tests/**"]\n'
        '[tool.driftwatch.registries."docker.io"]\nendpoint = "https://mirror.example.com"\n'
    )
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('pydantic' in sys.modules, file=sys.stderr))\n"
        "from driftwatch.cli import main\n"
        "main(['images', '.'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "python:3.12-slim" in done.stdout
    assert done.stderr.splitlines()[-1] == "False"
