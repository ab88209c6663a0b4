"""A password planted in every URL driftwatch accepts never shows: output, files, database, reprs.

URLs accepted: registry endpoints (config), the history database (config `db`, DRIFTWATCH_DB,
`--db`) and notification URLs (config `notify`, DRIFTWATCH_NOTIFY, `--notify`), each also through
`${VAR}` expansion. Every command that takes one runs for real, against the bench registry and
closed ports, and everything it leaves behind is searched for the password.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from driftwatch.config import RegistrySettings, load_config
from driftwatch.notify import load_destinations
from driftwatch.registry.endpoints import plain_http_allowed
from tests.clirun import run_driftwatch
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, free_port, push_index

SECRET = "Plant3dPw"


def secret_url(kind: str, number: int, port: int) -> str:
    """A URL of `kind` carrying the planted password (numbered, so a leak says which one)."""
    password = f"{SECRET}{number}"
    return {
        "endpoint": f"http://user:{password}@127.0.0.1:{port}",
        "postgres": f"postgresql+psycopg://dw:{password}@127.0.0.1:{port}/dw",
        "json": f"json://user:{password}@127.0.0.1:{port}/hook-{password}x",
    }[kind]


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "Dockerfile").write_text("FROM dw-secret:1\n")
    push_index(registry, "library/dw-secret", "1", debian_index("bookworm", seed="s1"))
    return root


def write_config(root: Path, registry: RegistryServer, body: str) -> None:
    (root / "driftwatch.toml").write_text(
        f'retries = 0\ntimeout = 10\n{body}\n[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )


def assert_clean(done: subprocess.CompletedProcess[str], *codes: int) -> None:
    output = done.stdout + done.stderr
    assert SECRET not in output, (done.args, output)
    assert "Traceback" not in output and "internal error" not in output, output
    assert done.returncode in codes, (done.args, output)


def test_planted_passwords_never_show(
    project: Path, registry: RegistryServer, tmp_path: Path
) -> None:
    closed = free_port()
    env = {
        "DW_HOOK": secret_url("json", 1, closed),
        "DW_DB": secret_url("postgres", 2, closed),
        "DRIFTWATCH_NOTIFY": secret_url("json", 3, closed),
        "DRIFTWATCH_NOTIFY_BACKOFF": "0",
        "GITHUB_OUTPUT": str(tmp_path / "gh-output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "gh-summary"),
    }
    flag = secret_url("json", 4, closed)
    write_config(
        project, registry, 'notify = ["${DW_HOOK}", "' + secret_url("json", 5, closed) + '"]'
    )
    sqlite = {"DRIFTWATCH_DB": str(project / "history.db")}

    # notification URLs from config, ${VAR}, environment and flag, while alerts fail to send
    assert_clean(run_driftwatch(project, "lock", env=env), 0)
    assert_clean(
        run_driftwatch(
            project,
            "check",
            "--notify",
            flag,
            "--sarif",
            "out.sarif",
            "--format",
            "github",
            env=env,
        ),
        0,
    )
    assert_clean(run_driftwatch(project, "scan", "--notify", flag, env={**env, **sqlite}), 0, 3)
    assert_clean(run_driftwatch(project, "notify", "--test", "--notify", flag, env=env), 3)
    assert_clean(run_driftwatch(project, "notify", "--retry", env={**env, **sqlite}), 0, 3)

    # a database URL with a password, from ${VAR} in the config, DRIFTWATCH_DB and --db
    write_config(project, registry, 'db = "${DW_DB}"')
    assert_clean(run_driftwatch(project, "db", "upgrade", env=env), 2)
    assert_clean(run_driftwatch(project, "events", env={**env, "DRIFTWATCH_DB": env["DW_DB"]}), 2)
    db_flag = secret_url("postgres", 6, closed)
    assert_clean(run_driftwatch(project, "history", "dw-secret:1", "--db", db_flag, env=env), 2)
    assert_clean(run_driftwatch(project, "scan", "--db", db_flag, env=env), 2)

    # a registry endpoint with user-info is refused, masked
    (project / "driftwatch.toml").write_text(
        f'[registries."docker.io"]\nendpoint = "{secret_url("endpoint", 7, registry.port)}"\n'
    )
    for args in (("images",), ("resolve", "dw-secret:1"), ("check",), ("lint",)):
        refused = run_driftwatch(project, *args, env=env)
        assert_clean(refused, 2)
        assert "http://****@127.0.0.1" in refused.stderr

    # nothing written anywhere holds it: lock, SARIF, GitHub outputs, SQLite and its WAL
    written = [path for path in (*project.rglob("*"), *tmp_path.glob("gh-*")) if path.is_file()]
    assert any(path.name == "history.db" for path in written)
    assert any(path.name == "out.sarif" for path in written)
    for path in written:
        if path.name != "driftwatch.toml":
            assert SECRET.encode() not in path.read_bytes(), path


def test_reprs_never_show_urls(tmp_path: Path) -> None:
    file = tmp_path / "driftwatch.toml"
    file.write_text(
        f'db = "{secret_url("postgres", 1, 5432)}"\nnotify = ["{secret_url("json", 2, 9)}"]\n'
        'build_args = {TOKEN = "Plant3dPw3"}\n'
    )
    config = load_config(file, environ={})
    destinations = load_destinations(config, [secret_url("json", 4, 9)], env={})
    shown = repr(config) + repr(destinations) + str(destinations)
    shown += repr(RegistrySettings(endpoint=secret_url("endpoint", 5, 5000)))
    assert SECRET not in shown and "127.0.0.1" not in repr(config)


def test_user_info_does_not_decide_loopback() -> None:
    assert plain_http_allowed("http://user:pw@127.0.0.1:5000", insecure=False)
    assert not plain_http_allowed("http://127.0.0.1:5000@evil.example", insecure=False)
    assert not plain_http_allowed("http://localhost@10.1.2.3:5000", insecure=False)
