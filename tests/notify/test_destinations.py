"""Destinations from config, DRIFTWATCH_NOTIFY and --notify; apprise config files; clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from driftwatch.config import Config, load_config
from driftwatch.errors import ConfigError
from driftwatch.notify import DEFAULT_ON, fingerprint, load_destinations
from driftwatch.notify.destinations import split_env

A = "json://127.0.0.1:9001/alpha-secret"
B = "json://127.0.0.1:9002/bravo-secret"
C = "xml://127.0.0.1:9003/charlie-secret"


def test_config_env_and_flags_are_merged_in_order() -> None:
    config = Config(notify=(A, {"url": B, "on": ["digest"]}))
    found = load_destinations(config, [C], env={"DRIFTWATCH_NOTIFY": ""})
    assert [d.url for d in found] == [A, B, C]
    assert found[0].on == DEFAULT_ON == frozenset({"release", "os", "eol", "error"})
    assert found[1].on == frozenset({"digest"})


def test_the_same_url_twice_is_one_destination_wanting_both_routes() -> None:
    config = Config(notify=({"url": A, "on": ["release"]},))
    found = load_destinations(config, [A + "/"], env={"DRIFTWATCH_NOTIFY": A})
    assert len(found) == 1
    assert found[0].on == frozenset({"release"}) | DEFAULT_ON


def test_env_splits_on_space_and_commas_before_urls_but_not_inside_queries() -> None:
    mail = "mailto://127.0.0.1:25?from=a@example.com&to=x@example.com,y@example.com"
    assert split_env(f"{A}, {B}\n{mail},{C}") == [A, B, mail, C]


def test_invalid_url_names_the_entry_without_its_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as caught:
        load_destinations(
            Config(), ["json://127.0.0.1:1/fine", "slack://tokenonly-secret-77"], env={}
        )
    message = caught.value.message
    assert "--notify[1]" in message and "slack://****" in message
    assert "tokenonly-secret-77" not in message
    assert "Could not load Slack URL" in caplog.text  # apprise logged it, masked
    assert "tokenonly-secret-77" not in caplog.text


def test_unknown_route_is_a_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"notify\[0\] \(json://127.0.0.1:9001/\*\*\*\*\).*'eror'"
    ):
        load_destinations(Config(notify=({"url": A, "on": ["eror"]},)), env={})


def test_entries_from_a_real_config_file(tmp_path: Path) -> None:
    (tmp_path / "driftwatch.toml").write_text(
        f'notify = ["{A}", {{url = "{B}", on = ["release", "error"]}}, "slack://bad"]\n'
    )
    config = load_config(tmp_path / "driftwatch.toml")
    with pytest.raises(ConfigError) as caught:
        load_destinations(config, env={})
    assert "driftwatch.toml: notify[2] (slack://****)" in caught.value.message


def test_apprise_yaml_config_with_tags_as_routes(tmp_path: Path) -> None:
    (tmp_path / "apprise.yml").write_text(f"urls:\n  - {A}:\n      tag: release, ops\n  - {B}\n")
    found = load_destinations(Config(notify=("apprise.yml",), path=tmp_path / "x.toml"), env={})
    assert [d.display for d in found] == [
        "json://127.0.0.1:9001/****",
        "json://127.0.0.1:9002/****",
    ]
    assert found[0].on == frozenset({"release"})
    assert found[1].on == DEFAULT_ON


def test_apprise_text_config_by_file_url_with_entry_routes(tmp_path: Path) -> None:
    path = tmp_path / "apprise.txt"
    path.write_text(f"{A}\nerror={B}\n")
    found = load_destinations(Config(), [], env={"DRIFTWATCH_NOTIFY": f"file://{path}"})
    assert len(found) == 2
    found = load_destinations(Config(notify=({"url": str(path), "on": ["digest"]},)), env={})
    assert [d.on for d in found] == [frozenset({"digest"}), frozenset({"error"})]


def test_missing_or_empty_apprise_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_destinations(Config(), [str(tmp_path / "nope.yml")], env={})
    (tmp_path / "empty.txt").write_text("# nothing here\n")
    with pytest.raises(ConfigError, match="no notification URL"):
        load_destinations(Config(), [str(tmp_path / "empty.txt")], env={})


def test_fingerprint_is_stable_normalised_and_secret_free() -> None:
    first = fingerprint("JSON://127.0.0.1:9001/alpha-secret?b=2&a=1")
    assert first == fingerprint("json://127.0.0.1:9001/alpha-secret/?a=1&b=2")
    assert first != fingerprint("json://127.0.0.1:9001/alpha-secreT?a=1&b=2")
    assert first.startswith("json:") and len(first) == len("json:") + 16
    assert "alpha" not in first
