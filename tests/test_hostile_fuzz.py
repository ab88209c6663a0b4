"""Hypothesis fuzz over config and lock inputs: exit 0, 1 or 2 only, one line, never a traceback.

Documents are built from the models' own keys (so new keys are fuzzed too), mixed with unknown
keys, wrong types, edge numbers, control characters and URLs; raw bytes are fuzzed as well.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftwatch.cli import main
from driftwatch.configmodel import ConfigModel
from driftwatch.lockschema import LockModel
from driftwatch.validation import iter_keys
from tests.tomlwrite import toml_document

pytestmark = pytest.mark.slow  # many generated documents per test

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONFIG_KEYS = sorted({str(spec.path[0]) for spec in iter_keys(ConfigModel)})
LOCK_KEYS = sorted(
    {
        str(part)
        for spec in iter_keys(LockModel, expand_lists=True)
        for part in spec.path
        if isinstance(part, str)
    }
)

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "http://[::1",
            "http://127.0.0.1:99999",
            "http://u:pw@10.1.2.3:5000",
            "https://mirror.example",
            "sha256:" + "a" * 64,
            "md5:abc",
            "linux/amd64",
            "python:3.12-slim",
            "${HOME}",
            "${NOT_SET_ANYWHERE}",
            "trixie\x1b]0;pwned\x07",
            "",
        ]
    ),
)


def documents(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Nested tables whose keys are mostly the model's own."""
    key = st.one_of(st.sampled_from(keys), st.text(min_size=1, max_size=12))
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=4),
        max_leaves=12,
    )
    return st.dictionaries(key, values, max_size=6)


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "empty").mkdir()
        yield root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    err = capsys.readouterr().err
    code = info.value.code
    return (code if isinstance(code, int) else -1), err


def assert_orderly(code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("driftwatch: error: "), err


@FUZZ
@given(data=documents(CONFIG_KEYS))
def test_fuzzed_config_documents(capsys: pytest.CaptureFixture[str], data: dict[str, Any]) -> None:
    with workspace() as root:
        config = root / "driftwatch.toml"
        config.write_text(toml_document(data))
        assert_orderly(*run(capsys, "images", "--config", str(config), str(root / "empty")))


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzzed_config_bytes(capsys: pytest.CaptureFixture[str], raw: bytes) -> None:
    with workspace() as root:
        config = root / "driftwatch.toml"
        config.write_bytes(raw)
        assert_orderly(*run(capsys, "images", "--config", str(config), str(root / "empty")))


@FUZZ
@given(data=documents(LOCK_KEYS), version=st.sampled_from([1, 1, 2, True, "1", None]))
def test_fuzzed_lock_documents(
    capsys: pytest.CaptureFixture[str], data: dict[str, Any], version: Any
) -> None:
    document = {"version": version, **data} if version is not None else data
    with workspace() as root:
        lock = root / "driftwatch.lock"
        lock.write_text(json.dumps(document))
        assert_orderly(*run(capsys, "check", "--lockfile", str(lock), str(root / "empty")))


@FUZZ
@given(
    raw=st.binary(max_size=200)
    | st.text(alphabet='{}[]":,0123456789.eE+-tfnul \\', max_size=200).map(str.encode)
)
def test_fuzzed_lock_bytes(capsys: pytest.CaptureFixture[str], raw: bytes) -> None:
    with workspace() as root:
        lock = root / "driftwatch.lock"
        lock.write_bytes(raw)
        assert_orderly(*run(capsys, "check", "--lockfile", str(lock), str(root / "empty")))
