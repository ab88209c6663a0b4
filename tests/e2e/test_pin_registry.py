"""`driftwatch pin` against the real bench registry: the diff, `--write` with the INDEX digest
and every other byte kept (CRLF, continuations, comments), then `--check`, `lint` and
`--check --update` after the tag moved."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.guard import driftwatch, make_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

DOCKERFILE = (
    b"# build stage\r\n"
    b"FROM dw-pin:1-bookworm AS build\r\n"
    b"RUN echo hi \\\r\n"
    b"    # a comment inside a continuation\r\n"
    b"    && echo there\r\n"
    b"FROM --platform=linux/amd64 \\\r\n"
    b"     dw-pin2:2-bullseye\r\n"
    b"COPY --from=build /a /a\r\n"
)
COMPOSE = b"services:\n  app:\n    image: dw-pin:1-bookworm  # keep this comment\n"


def _project(tmp_path: Path, registry: RegistryServer) -> Path:
    root = make_project(tmp_path, registry, {})
    (root / "Dockerfile").write_bytes(DOCKERFILE)
    (root / "compose.yaml").write_bytes(COMPOSE)
    return root


def _pinned(text: bytes, digests: dict[str, str]) -> bytes:
    for written, digest in digests.items():
        text = text.replace(written.encode(), f"{written}@{digest}".encode())
    return text


def test_pin_writes_index_digests_keeping_every_other_byte(
    tmp_path: Path, registry: RegistryServer
) -> None:
    digests = {
        "dw-pin:1-bookworm": push_index(
            registry, "library/dw-pin", "1-bookworm", debian_index("bookworm", seed="p1")
        ),
        "dw-pin2:2-bullseye": push_index(
            registry, "library/dw-pin2", "2-bullseye", debian_index("bullseye", seed="p2")
        ),
    }
    root = _project(tmp_path, registry)
    assert driftwatch(root, "pin", "--check").returncode == 1

    diff = driftwatch(root, "pin")
    assert diff.returncode == 0, diff.stderr
    pin = digests["dw-pin:1-bookworm"]
    assert "--- a/Dockerfile\n+++ b/Dockerfile\n" in diff.stdout
    # (text mode reads the CRLF of the diff as LF; the bytes written are checked below)
    assert "-FROM dw-pin:1-bookworm AS build\n" in diff.stdout
    assert f"+FROM dw-pin:1-bookworm@{pin} AS build\n" in diff.stdout
    assert f"+     dw-pin2:2-bullseye@{digests['dw-pin2:2-bullseye']}\n" in diff.stdout
    assert f"+    image: dw-pin:1-bookworm@{pin}  # keep this comment\n" in diff.stdout
    assert (root / "Dockerfile").read_bytes() == DOCKERFILE  # a diff changes nothing

    wrote = driftwatch(root, "pin", "--write")
    assert wrote.returncode == 0, wrote.stderr
    assert (root / "Dockerfile").read_bytes() == _pinned(DOCKERFILE, digests)
    assert (root / "compose.yaml").read_bytes() == _pinned(COMPOSE, digests)

    check = driftwatch(root, "pin", "--check")
    assert (check.returncode, check.stderr) == (0, "")
    lint = driftwatch(root, "lint")
    assert lint.returncode == 0, lint.stdout
    assert "DW003" not in lint.stdout and lint.stdout.endswith("0 findings\n")
    assert driftwatch(root, "pin", "--check", "--update").returncode == 0

    moved = push_index(
        registry, "library/dw-pin", "1-bookworm", debian_index("bookworm", seed="p3")
    )
    stale = driftwatch(root, "pin", "--check", "--update")
    assert stale.returncode == 1
    assert "2 reference(s) to pin or refresh" in stale.stderr
    assert (root / "Dockerfile").read_bytes() == _pinned(DOCKERFILE, digests)
    assert driftwatch(root, "pin", "--check").returncode == 0  # offline: still pinned

    refreshed = driftwatch(root, "pin", "--write", "--update")
    assert refreshed.returncode == 0, refreshed.stderr
    digests["dw-pin:1-bookworm"] = moved
    assert (root / "Dockerfile").read_bytes() == _pinned(DOCKERFILE, digests)
    assert (root / "compose.yaml").read_bytes() == _pinned(COMPOSE, digests)


def test_pin_suggest_writes_the_most_specific_tag_and_the_index_digest(
    tmp_path: Path, registry: RegistryServer
) -> None:
    from tests.aliasrepo import push_alias_repo

    repo = push_alias_repo(registry, "library/dw-pin-suggest")
    root = make_project(
        tmp_path,
        registry,
        {
            "Dockerfile": "FROM dw-pin-suggest:3.12-slim AS base\nFROM dw-pin-suggest:3.12-bookworm\n"
        },
    )
    mark = registry.mark()
    wrote = driftwatch(root, "pin", "--write", "--suggest")
    log = registry.requests_since(mark)
    assert wrote.returncode == 0, wrote.stderr
    assert (root / "Dockerfile").read_text() == (
        f"FROM dw-pin-suggest:3.12.7-slim-bookworm@{repo.bookworm} AS base\n"
        f"FROM dw-pin-suggest:3.12-bookworm@{repo.trixie}\n"  # nothing more specific: kept
    )
    assert not [p for m, p, _ in log if m == "GET" and "/manifests/3.12." in p]  # HEADs only
    assert driftwatch(root, "pin", "--check", "--suggest").returncode == 2
    assert driftwatch(root, "pin", "--check").returncode == 0


def test_pin_suggest_keeps_the_tag_when_the_lookup_fails(
    tmp_path: Path, registry: RegistryServer
) -> None:
    from tests.aliasrepo import push_alias_repo
    from tests.faults.proxy import FaultProxy
    from tests.faults.rules import Rule

    repo = push_alias_repo(registry, "library/dw-pin-soft")
    with FaultProxy(registry.url, [Rule("500", path=r"/tags/list")], seed=1) as proxy:
        root = tmp_path
        (root / "Dockerfile").write_text(f"FROM {proxy.address}/library/dw-pin-soft:3.12-slim\n")
        (root / "driftwatch.toml").write_text("retries = 0\ntimeout = 10\n")
        wrote = driftwatch(root, "pin", "--write", "--suggest")
    assert wrote.returncode == 0, wrote.stderr
    assert (root / "Dockerfile").read_text() == (
        f"FROM {proxy.address}/library/dw-pin-soft:3.12-slim@{repo.bookworm}\n"
    )
    assert "tag kept: the tag lookup could not complete" in wrote.stderr


def test_lint_dw006_names_the_index_a_platform_pin_belongs_to(
    tmp_path: Path, registry: RegistryServer
) -> None:
    index = debian_index("bookworm", seed="dw006")
    pushed = push_index(registry, "library/dw-dw006", "1-bookworm", index)
    root = make_project(tmp_path, registry, {"Dockerfile": "FROM dw-dw006:1-bookworm\n"})
    assert driftwatch(root, "lock").returncode == 0
    amd64 = index.images[0].digest
    (root / "Dockerfile").write_text(f"FROM dw-dw006:1-bookworm@{amd64}\n")
    linted = driftwatch(root, "lint", "--format", "json")
    assert linted.returncode == 1, linted.stderr
    [finding] = [f for f in json.loads(linted.stdout)["findings"] if f["rule_id"] == "DW006"]
    assert "pins the linux/amd64 image of `dw-dw006:1-bookworm`" in finding["message"]
    assert f"`dw-dw006:1-bookworm@{pushed}`" in finding["help"]

    pinned = driftwatch(root, "pin", "--write", "--update")  # pin writes the index digest
    assert pinned.returncode == 0, pinned.stderr
    assert (root / "Dockerfile").read_text() == f"FROM dw-dw006:1-bookworm@{pushed}\n"
    assert "DW006" not in driftwatch(root, "lint").stdout


def test_lint_dw002_fix_names_a_locked_release_tag(
    tmp_path: Path, registry: RegistryServer
) -> None:
    from tests.aliasrepo import push_alias_repo

    push_alias_repo(registry, "bitnami/dw-dw002")  # bitnami/*: an image DW002 expects a release in
    dockerfile = (
        "FROM bitnami/dw-dw002:3.12-slim AS a\nFROM bitnami/dw-dw002:3.12.7-slim-bookworm\n"
    )
    root = make_project(tmp_path, registry, {"Dockerfile": dockerfile})
    bare = json.loads(driftwatch(root, "lint", "--format", "json").stdout)["findings"]
    [before] = [f for f in bare if f["rule_id"] == "DW002"]
    assert before["help"].startswith("Add the release to the tag")  # no lock: nothing known
    assert driftwatch(root, "lock").returncode == 0
    linted = json.loads(driftwatch(root, "lint", "--format", "json").stdout)["findings"]
    [finding] = [f for f in linted if f["rule_id"] == "DW002"]
    assert finding["line"] == 1
    assert finding["help"].startswith(
        "driftwatch.lock has `bitnami/dw-dw002:3.12.7-slim-bookworm` at the same digest"
    )
