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
        ("images = 'python'\n", "images = 'python': should be a valid list"),
        ("concurrency = '8'\n", "concurrency = '8': should be a valid integer"),
        ("concurrency = true\n", "concurrency = true: should be a valid integer"),
        ("os_detect = 'sometimes'\n", "allowed: one of fast, full, off"),
        ("fail_on = 'always'\n", "allowed: one of never, digest, os, release"),
        ('[registries."x.io"]\nendpont = "http://a"\n', "unknown key 'registries.x.io.endpont'"),
        ('[registries."x.io"]\nendpoint = "ftp://a"\n', "must start with http"),
        ('[registries."x.io"]\ninsecure = "yes"\n', "registries.x.io.insecure = 'yes': should be"),
        ("notify = [1]\n", "notify[0] = ****: must be a URL string or a table"),
        ("notify = [{url = 'json://x', when = []}]\n", "unknown key 'notify[0].when'"),
        ("[lint]\ndisable = 'DW001'\n", "lint.disable = 'DW001': should be a valid list"),
        ("this is = not toml\n", "not valid TOML"),
        (
            "retries = -1\n",
            "retries = -1: should be greater than or equal to 0; allowed: an integer from 0 to 10",
        ),
        ("timeout = nan\n", "timeout = nan: should be a finite number"),
        ("[registries.x]\nconcurrency = -1\n", "registries.x.concurrency = -1"),
        ('[registries.x]\nendpoint = "http://[::1"\n', "not a valid URL (Invalid IPv6 URL)"),
        ('[registries.x]\nendpoint = "http://127.0.0.1:99999"\n', "Port out of range"),
        ("[osinfo]\nmax_seconds = -1\n", "osinfo.max_seconds = -1: should be greater than 0"),
        ("a = " + "[" * 5000 + "\n", "nested too deeply"),
        (
            "db = '${DRIFTWATCH_TEST_UNSET_VARIABLE}'\n",
            "db: ${DRIFTWATCH_TEST_UNSET_VARIABLE} is not set",
        ),
        ('[registries."docker.io"]\n[registries."index.docker.io"]\n', "names the same registry"),
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
    from driftwatch.configmodel import ConfigModel

    documented = {name.split(".")[0] for name, *_ in config.reference()}
    assert documented == set(ConfigModel.model_fields)
    assert all(text for _, _, _, text in config.reference())


def test_model_defaults_are_the_config_defaults() -> None:
    """Every key the model fills in by default (a full dump) gives Config's defaults."""
    from driftwatch.config import Config, _config
    from driftwatch.configmodel import ConfigModel

    built = _config(None, ConfigModel().model_dump())
    assert repr(built) == repr(Config())
    assert built == Config()


@pytest.mark.parametrize("name", ["driftwatch.toml", "pyproject.toml"])
def test_undecodable_file_names_byte_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    (tmp_path / name).write_bytes(b'[tool.driftwatch]\nname = "\xff"\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert info.value.message == f"{tmp_path / name}: not UTF-8: byte 0xff at byte offset 26"


def test_parent_pyproject_not_about_driftwatch_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "\xff"\n[[[\n')
    monkeypatch.chdir(tmp_path)
    assert load_config().path is None


def test_an_expanded_secret_is_not_shown_in_errors(tmp_path: Path) -> None:
    file = tmp_path / "driftwatch.toml"
    file.write_text('timeout = "${DW_SECRET}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(file, environ={"DW_SECRET": "hush-hush-42"})
    assert "hush-hush-42" not in info.value.message
    assert "timeout = '${DW_SECRET}': should be a valid number" in info.value.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tool = 5\n", "tool = 5: must be a table"),
        ('tool = "driftwatch"\n', "tool = 'driftwatch': must be a table"),
        ("[tool]\ndriftwatch = 3\n", "tool.driftwatch = 3: must be a table"),
    ],
)
def test_pyproject_tool_not_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, says: str
) -> None:
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    (tmp_path / "pyproject.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=says):
        load_config(tmp_path / "pyproject.toml")  # named: it must hold the table
    if "driftwatch" in text:  # found by the upward search: parsed, since it may hold it
        with pytest.raises(ConfigError, match=says):
            load_config()
    else:  # cannot hold [tool.driftwatch]: not driftwatch's business
        assert load_config().path is None


def test_variables_expand_from_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "driftwatch.toml"
    file.write_text(
        'db = "postgresql+psycopg://dw:${DW_PASS}@db/dw"\n'
        'notify = ["${DW_HOOK}", {url = "json://h/${DW_PATH}", on = ["error"]}]\n'
        'images = ["$${NOT_EXPANDED}"]\n'
    )
    env = {"DW_PASS": "pw-from-env", "DW_HOOK": "json://127.0.0.1:9/x", "DW_PATH": "p"}
    config = load_config(file, environ=env)
    assert config.db == "postgresql+psycopg://dw:pw-from-env@db/dw"
    assert config.notify == ("json://127.0.0.1:9/x", {"url": "json://h/p", "on": ["error"]})
    assert config.images == ("${NOT_EXPANDED}",)
    assert "pw-from-env" not in repr(config) and "127.0.0.1" not in repr(config)


def test_endpoint_with_credentials_is_refused_masked(tmp_path: Path) -> None:
    file = tmp_path / "driftwatch.toml"
    file.write_text('[registries."x.io"]\nendpoint = "http://u:s3cretpw@127.0.0.1:5000"\n')
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert "s3cretpw" not in info.value.message
    assert "http://****@127.0.0.1:5000" in info.value.message


COMMANDS = [
    ("images",),
    ("lint",),
    ("pin",),
    ("lock",),
    ("check",),
    ("scan",),
    ("resolve", "alpine:3"),
    ("history", "alpine:3"),
    ("events",),
    ("notify", "--test"),
    ("db", "upgrade"),
    ("report", "--format", "markdown"),
    ("diff", "alpine:3"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c))
def test_every_subcommand_takes_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    from driftwatch.cli import COMMANDS as ALL
    from driftwatch.cli import main

    assert {c[0] for c in COMMANDS} == set(ALL), "a new command: add it here"
    bad = tmp_path / "mine.toml"
    bad.write_text("retries = 99\n")
    with pytest.raises(SystemExit) as info:
        main([*command, "--config", str(bad)])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert (
        err
        == f"driftwatch: error: {bad}: retries = 99: should be less than or equal to 10; allowed: an integer from 0 to 10\n"
    )


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    file = tmp_path / "driftwatch.toml"
    file.write_bytes(b"\xef\xbb\xbfretries = 1\n")
    assert load_config(file).retries == 1
