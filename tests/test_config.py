"""Configuration: where it is found, what it accepts, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.config import load_config
from driftwatch.errors import ConfigError


def test_no_config_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.path is None
    assert config.os_detect == "fast"
    assert config.registry("docker.io").endpoint is None


def test_driftwatch_toml_found_upward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    (tmp_path / "driftwatch.toml").write_text(
        'images = ["python:3.12-slim"]\n'
        '[registries."index.docker.io"]\nendpoint = "http://127.0.0.1:5000/"\n'
        '[registries."registry.internal:5000"]\ninsecure = true\n'
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    config = load_config()
    assert config.path == tmp_path / "driftwatch.toml"
    assert config.registry("docker.io").endpoint == "http://127.0.0.1:5000"
    assert config.registry("registry.internal:5000").insecure is True


def test_pyproject_tool_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.driftwatch]\nfail_on = "digest"\nimages = ["alpine:3"]\n'
    )
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.fail_on == "digest"
    assert config.images == ("alpine:3",)


def test_pyproject_without_table_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    assert load_config().path is None


def test_env_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "elsewhere.toml"
    file.write_text('os_detect = "full"\n')
    monkeypatch.setenv("DRIFTWATCH_CONFIG", str(file))
    assert load_config().os_detect == "full"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("imagez = []\n", "unknown key 'imagez'"),
        ("images = 'python'\n", "images must be a list of strings"),
        ("concurrency = '8'\n", "concurrency must be int"),
        ("concurrency = true\n", "concurrency must be int"),
        ("os_detect = 'sometimes'\n", "os_detect must be one of"),
        ("fail_on = 'always'\n", "fail_on must be one of"),
        ('[registries."x.io"]\nendpont = "http://a"\n', "unknown key 'registries.x.io.endpont'"),
        ('[registries."x.io"]\nendpoint = "ftp://a"\n', "must start with http"),
        ('[registries."x.io"]\ninsecure = "yes"\n', "registries.x.io.insecure must be bool"),
        ("notify = [1]\n", "notify[0] must be a URL string or a table"),
        ("notify = [{url = 'json://x', when = []}]\n", "unknown key 'notify[0].when'"),
        ("[lint]\ndisable = 'DW001'\n", "lint.disable must be a list of strings"),
        ("this is = not toml\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    file = tmp_path / "driftwatch.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert fragment in info.value.message
    assert str(file) in info.value.message
    assert "\n" not in info.value.message


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_reference_documents_every_accepted_key() -> None:
    from driftwatch import config

    documented = {name.split(".")[0] for name, *_ in config.REFERENCE}
    assert documented == config._TOP_KEYS
