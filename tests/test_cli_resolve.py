"""`driftwatch resolve` as users run it: a real process against real registries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_driftwatch
from tests.conftest import sample_index
from tests.names import unique_name
from tests.registry.test_client import login
from tests.testbed.images import build_image
from tests.testbed.registry import READER, RegistryServer, free_port


def driftwatch(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in `cwd`, with a default config that fails fast (no retries, short timeout)."""
    (cwd / "driftwatch.toml").exists() or (cwd / "driftwatch.toml").write_text(
        "retries = 0\ntimeout = 10\n"
    )
    return run_driftwatch(cwd, *args, stdin=stdin, timeout=120)


@pytest.mark.parametrize("flavour", ["registry", "basic_registry", "token_registry"])
def test_text_and_json_digests_match_the_registry(
    flavour: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server: RegistryServer = request.getfixturevalue(flavour)
    index = sample_index()
    repo = unique_name("library/python")
    served = server.pusher.push_index(repo, "3.12-slim", index)
    if flavour != "registry":
        login(server)
    ref = f"{server.host}/{repo}:3.12-slim"
    text = driftwatch(tmp_path, "resolve", ref)
    assert (text.returncode, text.stdout, text.stderr) == (0, f"{ref}  {served}\n", "")
    done = driftwatch(tmp_path, "resolve", ref, "--format", "json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["reference"] == ref and row["canonical"] == ref and row["digest"] == served
    assert row["media_type"] == "application/vnd.oci.image.index.v1+json"
    assert row["platforms"] == [
        {"platform": "linux/amd64", "digest": index.images[0].digest},
        {"platform": "linux/arm64/v8", "digest": index.images[1].digest},
    ]
    assert READER[1] not in done.stdout + done.stderr + text.stdout + text.stderr


def test_platform_filter_in_json(registry: RegistryServer, tmp_path: Path) -> None:
    index = sample_index()
    repo = unique_name("library/python")
    registry.pusher.push_index(repo, "3.12-slim", index)
    done = driftwatch(
        tmp_path,
        "resolve",
        f"{registry.host}/{repo}:3.12-slim",
        "--platform",
        "linux/arm64",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["platforms"] == [
        {"platform": "linux/arm64/v8", "digest": index.images[1].digest}
    ]


def test_endpoint_override_asks_for_library_python(
    registry: RegistryServer, tmp_path: Path
) -> None:
    name = unique_name("python")  # a Docker Hub short name: docker.io/library/<name>
    served = registry.pusher.push_index(f"library/{name}", "3.12-slim", sample_index())
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'retries = 0\n[registries."docker.io"]\nendpoint = "{registry.url}"\n')
    mark = registry.mark()
    done = driftwatch(tmp_path, "resolve", f"{name}:3.12-slim")
    assert (done.returncode, done.stdout) == (0, f"{name}:3.12-slim  {served}\n"), done.stderr
    head = ("HEAD", f"/v2/library/{name}/manifests/3.12-slim", 200)
    assert head in registry.requests_since(mark)


def test_a_tag_new_to_this_machine_costs_one_get_then_one_head(
    registry: RegistryServer, tmp_path: Path
) -> None:
    repo = unique_name("cli/memo")
    served = registry.pusher.push_index(repo, "1", sample_index())
    reference = f"{registry.host}/{repo}:1"
    tag = f"/v2/{repo}/manifests/1"
    requests = []
    for _ in range(2):
        mark = registry.mark()
        done = driftwatch(tmp_path, "resolve", reference)
        assert (done.returncode, done.stdout) == (0, f"{reference}  {served}\n"), done.stderr
        requests.append([(m, p) for m, p, _ in registry.requests_since(mark) if "/manifests/" in p])
    assert requests[0] == [("GET", tag)]  # the body has to be read and hashed anyway
    assert requests[1] == [("HEAD", tag)]  # seen before: its index is in the manifest cache


def test_from_file_and_stdin_keep_order_and_report_failures(
    registry: RegistryServer, tmp_path: Path
) -> None:
    one = registry.pusher.push_image("cli/one", "1", build_image([{"o": b"1"}]))
    two = registry.pusher.push_image("cli/two", "2", build_image([{"t": b"2"}]))
    listing = tmp_path / "refs.txt"
    listing.write_text(
        f"# base images\n{registry.host}/cli/two:2\n\n{registry.host}/cli/missing:0  # gone\n"
    )
    done = driftwatch(
        tmp_path, "resolve", f"{registry.host}/cli/one:1", "--from-file", str(listing)
    )
    assert done.returncode == 3
    assert done.stdout.splitlines() == [
        f"{registry.host}/cli/one:1  {one}",
        f"{registry.host}/cli/two:2  {two}",
    ]
    assert (
        done.stderr
        == f"{registry.host}/cli/missing:0: error: {registry.host}/cli/missing:0: manifest unknown (404)\n"
    )
    piped = driftwatch(
        tmp_path, "resolve", "--from-file", "-", stdin=f"{registry.host}/cli/two:2\n"
    )
    assert (piped.returncode, piped.stdout) == (0, f"{registry.host}/cli/two:2  {two}\n")


@pytest.mark.parametrize(
    "args",
    [
        ("resolve", "Foo/Bar:x"),
        ("resolve", "python:3", "a" * 64),
        ("resolve",),
        ("resolve", "python", "--platform", "linux"),
        ("resolve", "--from-file", "/no/such/file"),
    ],
)
def test_bad_input_exits_2_with_one_line_before_any_network(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    done = driftwatch(tmp_path, *args)
    assert done.returncode == 2, done
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr and done.stderr.startswith("driftwatch: error: ")


@pytest.mark.slow  # two CLI processes
def test_registry_down_exits_3_with_one_line_per_reference(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    refs = [f"127.0.0.1:{port}/a/b:1", f"127.0.0.1:{port}/c/d:2"]
    done = driftwatch(tmp_path, "resolve", *refs)
    assert done.returncode == 3 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr
    assert all(
        line.startswith(f"{ref}: error: ") and "cannot connect" in line
        for ref, line in zip(refs, lines, strict=True)
    )
    as_json = driftwatch(tmp_path, "resolve", refs[0], "--format", "json")
    assert as_json.returncode == 3 and json.loads(as_json.stdout)[0]["error"].endswith(
        "cannot connect (Connection refused)"
    )


def test_wrong_credentials_never_show_the_secret(
    basic_registry: RegistryServer, tmp_path: Path
) -> None:
    repo = unique_name("library/python")
    basic_registry.pusher.push_index(repo, "3.12-slim", sample_index())
    login(basic_registry, "reader", "Sup3r-S3cret-Value")
    done = driftwatch(
        tmp_path, "resolve", f"{basic_registry.host}/{repo}:3.12-slim", "--format", "json"
    )
    assert done.returncode == 3 and "401" in done.stdout
    assert "Sup3r-S3cret-Value" not in done.stdout + done.stderr
    assert not any(
        "Sup3r" in p.read_text(errors="ignore")
        for p in (tmp_path / "cache").rglob("*")
        if p.is_file()
    )


def test_help_lists_resolve(tmp_path: Path) -> None:
    done = driftwatch(tmp_path, "resolve", "--help")
    assert done.returncode == 0 and "--from-file" in done.stdout and "--platform" in done.stdout


def test_help_path_does_not_import_the_network_stack() -> None:
    code = "import sys, driftwatch.cli, driftwatch.cli.resolve; print('httpx' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("flavour", ["registry", "token_registry"])
def test_aliases_lists_the_tags_serving_the_digest(
    flavour: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from tests.aliasrepo import push_alias_repo

    server: RegistryServer = request.getfixturevalue(flavour)
    repo = push_alias_repo(server, "library/dw-resolve-aliases")
    if flavour != "registry":
        login(server)
    ref = f"{server.host}/library/dw-resolve-aliases:3.12-slim"
    text = driftwatch(tmp_path, "resolve", "--aliases", ref)
    assert text.returncode == 0, text.stderr
    assert text.stdout == (
        f"{ref}  {repo.bookworm}\n"
        "  same digest: 3.12.7-slim-bookworm 3.12.7-slim 3.12-slim-bookworm 3.12-slim\n"
    )
    done = driftwatch(tmp_path, "resolve", "--aliases", "--format", "json", ref)
    [row] = json.loads(done.stdout)
    assert row["aliases"]["stay"] == "3.12-slim-bookworm"
    assert row["aliases"]["exact"] == "3.12.7-slim-bookworm"
    assert row["aliases"]["incomplete"] is None
    pinned = driftwatch(tmp_path, "resolve", "--aliases", f"{ref}@{repo.bookworm}")
    assert "  same digest: 3.12.7-slim-bookworm " in pinned.stdout, pinned.stderr


def test_aliases_lookup_failure_is_a_warning_not_an_exit_code(
    registry: RegistryServer, tmp_path: Path
) -> None:
    from tests.aliasrepo import push_alias_repo
    from tests.faults.proxy import FaultProxy
    from tests.faults.rules import Rule

    push_alias_repo(registry, "library/dw-resolve-soft")
    with FaultProxy(registry.url, [Rule("503", path=r"/tags/list")], seed=1) as proxy:
        ref = f"{proxy.address}/library/dw-resolve-soft:3.12-slim"
        done = driftwatch(tmp_path, "resolve", "--aliases", ref)
    assert done.returncode == 0, done.stderr
    assert "  same digest: (no other tag found)\n" in done.stdout
    assert "warning: the tag lookup could not complete" in done.stderr
