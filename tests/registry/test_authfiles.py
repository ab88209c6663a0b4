"""Credential sources beside Docker's config.json: their order, auth.json key forms, bad input."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from driftwatch.errors import ConfigError
from driftwatch.registry.authfiles import auth_key, auth_sources, lookup_keys
from driftwatch.registry.credentials import CredentialStore
from tests.registry.test_credentials import write_helper

SECRET = "Plant3dAuthPw"


def _auth(user: str, password: str = "pw") -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def _write(path: Path, auths: dict[str, object], **extra: object) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": auths, **extra}))
    return str(path)


class Places:
    """The five sources of one test, under its tmp folder (the environment points at them)."""

    def __init__(self, tmp_path: Path) -> None:
        self.explicit = tmp_path / "explicit" / "auth.json"
        self.runtime = Path(os.environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
        self.config_home = Path(os.environ["XDG_CONFIG_HOME"]) / "containers" / "auth.json"
        self.docker = Path(os.environ["DOCKER_CONFIG"]) / "config.json"


def _user(env: dict[str, str] | None = None, repository: str | None = None) -> str | None:
    store = CredentialStore(env={**os.environ, **(env or {})})
    found = store.get("reg.example.com", repository)
    return None if found is None else found.username


def test_sources_in_containers_image_order_then_gitlab_then_docker(tmp_path: Path) -> None:
    places = Places(tmp_path)
    host = "reg.example.com"
    env = {"REGISTRY_AUTH_FILE": _write(places.explicit, {host: _auth("explicit")})}
    _write(places.runtime, {host: _auth("runtime")})
    _write(places.config_home, {host: _auth("config-home")})
    env["DOCKER_AUTH_CONFIG"] = json.dumps({"auths": {host: _auth("gitlab")}})
    _write(places.docker, {host: _auth("docker")})
    assert _user(env) == "explicit"
    del env["REGISTRY_AUTH_FILE"]
    assert _user(env) == "runtime"
    places.runtime.unlink()
    assert _user(env) == "config-home"
    places.config_home.unlink()
    assert _user(env) == "gitlab"
    del env["DOCKER_AUTH_CONFIG"]
    assert _user(env) == "docker"


def test_a_source_without_the_host_falls_through(tmp_path: Path) -> None:
    places = Places(tmp_path)
    env = {"REGISTRY_AUTH_FILE": _write(places.explicit, {"other.example.com": _auth("x")})}
    _write(places.runtime, {"reg.example.com": {}})  # an empty marker (a helper's) is no answer
    _write(places.docker, {"reg.example.com": _auth("docker")})
    assert _user(env) == "docker"


def test_default_paths_follow_the_environment(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home")}
    names = [s.name for s in auth_sources(env, tmp_path / "docker", tmp_path / "home")]
    assert names == [
        f"/run/containers/{os.getuid()}/auth.json",
        str(tmp_path / "home" / ".config" / "containers" / "auth.json"),
        str(tmp_path / "docker" / "config.json"),
    ]
    same = str(tmp_path / "home" / ".config" / "containers" / "auth.json")
    env |= {"REGISTRY_AUTH_FILE": same, "XDG_RUNTIME_DIR": "/rt", "DOCKER_AUTH_CONFIG": "{}"}
    names = [s.name for s in auth_sources(env, tmp_path / "docker", tmp_path / "home")]
    assert names == [
        f"REGISTRY_AUTH_FILE {same}",  # named once, first
        "/rt/containers/auth.json",
        "$DOCKER_AUTH_CONFIG",
        str(tmp_path / "docker" / "config.json"),
    ]


def test_keys_are_hosts_or_namespaces() -> None:
    assert auth_key("https://index.docker.io/v1/") == "docker.io"
    assert auth_key("http://Reg.Example.com:5000/v2/") == "reg.example.com:5000"
    assert auth_key("Quay.io/Org/App/") == "quay.io/Org/App"
    assert auth_key("registry-1.docker.io/library") == "docker.io/library"
    assert lookup_keys("quay.io", "a/b/c") == [
        "quay.io/a/b/c",
        "quay.io/a/b",
        "quay.io/a",
        "quay.io",
    ]
    assert lookup_keys("quay.io", None) == ["quay.io"]


@pytest.mark.parametrize(
    ("repository", "user"),
    [
        ("team/app", "repo"),
        ("team/other", "namespace"),
        ("teamwork/app", "host"),  # `reg.example.com/team` is no prefix of `teamwork`
        ("solo", "host"),
        (None, "host"),  # without the repository only host keys can match
    ],
)
def test_most_specific_key_wins(tmp_path: Path, repository: str | None, user: str) -> None:
    auths = {
        "reg.example.com": _auth("host"),
        "reg.example.com/team": _auth("namespace"),
        "reg.example.com/team/app": _auth("repo"),
    }
    _write(Places(tmp_path).config_home, auths)
    assert _user(repository=repository) == user


def test_namespace_keys_in_docker_config_too(tmp_path: Path) -> None:
    """containers/image reads namespaced keys in config.json as an extension; so do we."""
    _write(Places(tmp_path).docker, {"reg.example.com/team": _auth("namespace")})
    assert _user(repository="team/app") == "namespace"
    assert _user() is None  # a namespaced key is no host key (it used to be read as one)


def test_repository_key_in_a_later_source_loses_to_a_host_key_in_an_earlier_one(
    tmp_path: Path,
) -> None:
    """containers/image: the first file with any match wins, however specific later keys are."""
    places = Places(tmp_path)
    _write(places.runtime, {"reg.example.com": _auth("runtime-host")})
    _write(places.docker, {"reg.example.com/team/app": _auth("docker-repo")})
    assert _user(repository="team/app") == "runtime-host"


def test_docker_auth_config_with_helpers(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_helper(
        bin_dir,
        "ci",
        "sys.stdin.read(); print(json.dumps({'Username': 'helped', 'Secret': 'helper-secret'}))",
    )
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_AUTH_CONFIG": json.dumps({"credHelpers": {"reg.example.com": "ci"}}),
    }
    assert _user(env) == "helped"
    env["DOCKER_AUTH_CONFIG"] = json.dumps({"credsStore": "ci"})
    assert _user(env) == "helped"


def test_cred_helpers_in_auth_json(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_helper(bin_dir, "podman", "print(json.dumps({'Username': 'pod', 'Secret': 's'}))")
    _write(Places(tmp_path).runtime, {}, credHelpers={"reg.example.com": "podman"})
    assert _user({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}) == "pod"


@pytest.mark.parametrize(
    "text",
    [
        '{"auths": {"reg.example.com": {"auth": "' + SECRET + '"',  # cut short
        f'["{SECRET}"]',
        '{"auths": {"reg.example.com": {"auth": "' + SECRET + '!"}}}',  # not base64
        '{"auths": {"reg.example.com": {"auth": "\u00e9' + SECRET + '"}}}',  # not even ASCII
        "[" * 100_000 + "]" * 100_000,  # nested beyond the parser's recursion
        " ",
    ],
)
def test_malformed_docker_auth_config_names_the_variable_not_its_text(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _user({"DOCKER_AUTH_CONFIG": text})
    message = str(caught.value)
    assert message.startswith("$DOCKER_AUTH_CONFIG: ") and SECRET not in message
    assert "\n" not in message


def test_empty_docker_auth_config_is_unset(tmp_path: Path) -> None:
    _write(Places(tmp_path).docker, {"reg.example.com": _auth("docker")})
    assert _user({"DOCKER_AUTH_CONFIG": ""}) == "docker"


def test_malformed_auth_json_names_the_file(tmp_path: Path) -> None:
    places = Places(tmp_path)
    places.runtime.parent.mkdir(parents=True)
    places.runtime.write_text('{"auths": {"reg.example.com": {"auth": "' + SECRET)
    _write(places.docker, {"reg.example.com": _auth("docker")})  # not reached: fail closed
    with pytest.raises(ConfigError, match="auth.json: cannot be read as JSON") as caught:
        _user()
    assert str(places.runtime) in str(caught.value) and SECRET not in str(caught.value)


def test_an_auth_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    places = Places(tmp_path)
    places.docker.parent.mkdir(parents=True, exist_ok=True)
    places.docker.write_bytes(b'{"auths": {"reg.example.com": {"auth": "\xff"}}}')
    with pytest.raises(ConfigError, match="config.json: not UTF-8 text"):
        _user()


def test_missing_registry_auth_file_is_an_error(tmp_path: Path) -> None:
    """podman refuses an --authfile (REGISTRY_AUTH_FILE) that does not exist: a typo is no login."""
    missing = str(tmp_path / "typo" / "auth.json")
    with pytest.raises(ConfigError, match=f"REGISTRY_AUTH_FILE {missing}: no such file"):
        _user({"REGISTRY_AUTH_FILE": missing})


def test_per_repository_says_whether_repository_lookups_can_differ(tmp_path: Path) -> None:
    places = Places(tmp_path)
    _write(places.config_home, {"reg.example.com/team": _auth("ns"), "b.io": _auth("b")})
    _write(places.docker, {"https://index.docker.io/v1/": _auth("hub")})
    store = CredentialStore()
    assert store.per_repository("reg.example.com") and store.per_repository("REG.example.com")
    assert not store.per_repository("b.io") and not store.per_repository("docker.io")
    assert not store.per_repository("reg.example")  # a host is no prefix of another


def test_a_helper_runs_once_per_host_whatever_the_repository(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    log = tmp_path / "asked.txt"
    write_helper(
        bin_dir,
        "once",
        f"open({str(log)!r}, 'a').write(sys.stdin.read() + '\\n')\n"
        "print(json.dumps({'Username': 'helped', 'Secret': 's'}))",
    )
    _write(Places(tmp_path).runtime, {}, credHelpers={"reg.example.com": "once"})
    store = CredentialStore(
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    )
    users = {r: store.get("reg.example.com", r) for r in ("a/x", "a/y", "b/z", None)}
    assert {c.username for c in users.values() if c} == {"helped"} and None not in users.values()
    assert log.read_text().splitlines() == ["reg.example.com"]
