"""Every config key, walked from the model itself, against hostile values: exit 2, one line.

New keys are covered without touching this file: the cases come from validation.iter_keys().
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from driftwatch.cli import main
from driftwatch.configmodel import ConfigModel, NotifyEnvModel
from driftwatch.errors import ConfigError
from driftwatch.notify.outbox import RetryPolicy
from driftwatch.validation import KeySpec, bounds, iter_keys, numeric_kind
from tests.tomlwrite import toml_value

KEYS = list(iter_keys(ConfigModel))
HOSTILE: dict[str, Any] = {
    "negative": -1,
    "zero": 0,
    "nan": math.nan,
    "infinity": math.inf,
    "minus-infinity": -math.inf,
    "huge-int": 2**63 - 1,
    "huge-float": 1e308,
    "fraction": 0.5,
}


def config_text(spec: KeySpec, value: Any) -> str:
    """driftwatch.toml setting the key `spec` (a `<host>` becomes a real host) to `value`."""
    path = [part if part != "<host>" else "reg.example:5000" for part in spec.path]
    nested: Any = value
    for part in reversed(path[1:]):
        nested = {part: nested}
    return f"{path[0]} = {toml_value(nested)}\n"


def wrong_type(spec: KeySpec) -> Any:
    """A value of the wrong type for the key: a string for a number or bool, else a bool."""
    if numeric_kind(spec.field) is not None or spec.field.annotation is bool:
        return "8"
    return True


def accepted(spec: KeySpec, value: Any) -> bool:
    """Whether the key should accept `value`: a number in its bounds, of its kind."""
    kind = numeric_kind(spec.field)
    if kind is None or isinstance(value, (bool, str)):
        return False
    if kind is int and not isinstance(value, int):
        return False
    if not math.isfinite(value):
        return False
    limits = bounds(spec.field)
    return (
        value >= limits.get("ge", -math.inf)
        and value > limits.get("gt", -math.inf)
        and value <= limits.get("le", math.inf)
        and value < limits.get("lt", math.inf)
    )


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real console entry point, in this process (fast enough to try hundreds of values)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


CASES = [
    pytest.param(spec, name, value, id=f"{spec.key}-{name}")
    for spec in KEYS
    for name, value in {**HOSTILE, "wrong-type": wrong_type(spec)}.items()
]


@pytest.mark.parametrize(("spec", "name", "value"), CASES)
def test_every_key_against_hostile_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: KeySpec, name: str, value: Any
) -> None:
    config = tmp_path / "driftwatch.toml"
    config.write_text(config_text(spec, value))
    (tmp_path / "empty").mkdir()
    code, _, err = run_in_process(
        capsys, "images", "--config", str(config), str(tmp_path / "empty")
    )
    if accepted(spec, value):
        assert code == 0, err
        return
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    shown = spec.key.replace("<host>", "reg.example:5000")
    assert shown in err or shown.rsplit(".", 1)[0] in err, err
    assert str(config) in err


@pytest.mark.parametrize("spec", [s for s in KEYS if numeric_kind(s.field)], ids=lambda s: s.key)
def test_every_number_is_bounded_both_ways(spec: KeySpec) -> None:
    limits = bounds(spec.field)
    assert {"ge", "gt"} & set(limits), f"{spec.key} has no lower bound"
    assert {"le", "lt"} & set(limits), f"{spec.key} has no upper bound"


@pytest.mark.parametrize("spec", list(iter_keys(NotifyEnvModel)), ids=lambda s: s.key)
@pytest.mark.parametrize("text", ["-1", "0", "nan", "inf", "1e400", "1e30", "soon", "0.5"])
def test_environment_knobs_against_hostile_values(spec: KeySpec, text: str) -> None:
    value = float(text) if text != "soon" else None
    expect_ok = value is not None and accepted(spec, int(value) if value.is_integer() else value)
    if expect_ok:
        RetryPolicy.from_env({spec.key: text})
        return
    with pytest.raises(ConfigError) as info:
        RetryPolicy.from_env({spec.key: text})
    message = info.value.message
    assert message.startswith(f"{spec.key} = {text!r}: ") and "allowed: " in message
    assert "\n" not in message
