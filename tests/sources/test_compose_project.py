"""Compose as Compose reads it: extends, include, contexts, local images, anchors, shared lines."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.config import Config
from driftwatch.lint import lint
from driftwatch.report.gitlab import render_gitlab
from driftwatch.sources import Inventory, find_image_uses
from driftwatch.sources.compose import parse_compose


def make(root: Path, files: dict[str, str]) -> Inventory:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return find_image_uses([root], Config(), environ={}, root=root)


def found(inventory: Inventory) -> list[tuple[str, int, int, str | None]]:
    return [
        (u.file, u.line, u.column, str(u.reference) if u.reference else u.problem)
        for u in inventory.uses
    ]


def test_extends_same_file_other_file_and_recursive(tmp_path: Path) -> None:
    """Case 2: the image a service inherits is reported where it is written."""
    inventory = make(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  base:\n    image: redis:7.2-bookworm\n"
                "  cache:\n    extends: base\n"
                "  web:\n    extends:\n      file: common/services.yml\n      service: app\n"
            ),
            "common/services.yml": (
                "services:\n  app:\n    extends: core\n  core:\n    image: nginx:1.27-bookworm\n"
            ),
        },
    )
    assert found(inventory) == [
        ("common/services.yml", 5, 12, "docker.io/library/nginx:1.27-bookworm"),
        ("compose.yaml", 3, 12, "docker.io/library/redis:7.2-bookworm"),
    ]
    assert inventory.uses[1].notes[0] == "services base, cache"
    assert inventory.uses[0].notes[0] == "service web"
    assert inventory.problems == ()


def test_extends_cycles_are_refused(tmp_path: Path) -> None:
    inventory = make(
        tmp_path,
        {"compose.yaml": "services:\n  a:\n    extends: b\n  b:\n    extends: a\n"},
    )
    reasons = [p.reason for p in inventory.problems]
    assert "service a: extends cycle a -> b -> a: refused" in reasons
    assert inventory.uses == ()


def test_include_builds_and_local_images(tmp_path: Path) -> None:
    """Case 6: `service:` contexts and images a service of the project builds are local."""
    inventory = make(
        tmp_path,
        {
            "compose.yaml": (
                "include:\n  - infra/db.yaml\n"
                "services:\n"
                "  base:\n    build: ./base\n    image: example/base:dev\n"
                "  web:\n    build:\n      context: ./web\n"
                "      additional_contexts:\n        base: service:base\n"
                "        tools: docker-image://ghcr.io/o/tools:1.2\n"
                "  worker:\n    build:\n      context: ./worker\n      args:\n"
                "        BASE_IMAGE: example/base:dev\n"
                "  sidecar:\n    image: example/base:dev\n"
            ),
            "infra/db.yaml": "services:\n  db:\n    image: postgres:16-bookworm\n",
            "base/Dockerfile": "FROM debian:bookworm-slim\n",
            "web/Dockerfile": "FROM base\nCOPY --from=tools /bin/t /bin/t\n",
            "worker/Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n",
        },
    )
    assert found(inventory) == [
        ("base/Dockerfile", 1, 6, "docker.io/library/debian:bookworm-slim"),
        ("compose.yaml", 12, 31, "ghcr.io/o/tools:1.2"),
        ("infra/db.yaml", 3, 12, "docker.io/library/postgres:16-bookworm"),
    ]
    assert "named build context tools" in inventory.uses[1].notes
    assert "infra/db.yaml" in inventory.files
    assert inventory.problems == ()


def test_anchor_and_tag_never_leak_into_written_text(tmp_path: Path) -> None:
    """Case 3: `&img` and `!!str` are not part of the reference or its column."""
    text = (
        "x-img: &img registry.example/app:${TAG:-1}\n"
        "services:\n"
        "  a:\n    image: !!str nginx:1.27-bookworm\n"
        "  b:\n    image: *img\n"
        "  c:\n    image: &quoted !!str 'alpine:3.20'\n"
    )
    result = parse_compose(text, "compose.yaml", {})
    got = [(u.line, u.column, u.written, u.notes[-1]) for u in result.uses]
    assert got == [
        (4, 18, "nginx:1.27-bookworm", "service a"),
        (6, 12, "registry.example/app:${TAG:-1}", "resolves to registry.example/app:1"),
        (8, 27, "alpine:3.20", "service c"),
    ]
    assert "YAML alias of the anchor at line 1" in result.uses[1].notes
    lines = text.split("\n")
    for use in (result.uses[0], result.uses[2]):
        assert lines[use.line - 1][use.column - 1 :].startswith(use.written)


def test_a_line_shared_by_many_services_is_one_use_reported_once(tmp_path: Path) -> None:
    """Case 7: one merged anchor used by 21 services: one use, one finding per rule."""
    services = "".join(f"  s{i}:\n    <<: *common\n" for i in range(21))
    inventory = make(
        tmp_path,
        {"compose.yaml": f"x-common: &common\n  image: nginx:1.27\nservices:\n{services}"},
    )
    assert len(inventory.uses) == 1
    assert inventory.uses[0].notes[0] == "services " + ", ".join(f"s{i}" for i in range(21))
    findings = lint(inventory)
    assert sorted(f.rule_id for f in findings) == ["DW002", "DW003"]
    prints = [issue["fingerprint"] for issue in json.loads(render_gitlab(findings))]
    assert len(prints) == len(set(prints)) == 2
    os.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["images", "."], catch_exceptions=False)
    assert result.output.count("compose.yaml:2:10") == 1


def test_values_say_where_they_came_from(tmp_path: Path) -> None:
    """Case 8: `.env` line, passed by which compose service."""
    inventory = make(
        tmp_path,
        {
            ".env": "# images\nOTHER=1\nBASE_IMAGE=ghcr.io/x/y:1\n",
            "compose.yaml": (
                "services:\n  web:\n    build:\n      context: .\n      args:\n"
                "        - BASE_IMAGE\n"
            ),
            "Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n",
        },
    )
    (use,) = inventory.uses
    assert "BASE_IMAGE = ghcr.io/x/y:1 from .env line 3, passed by compose service web" in use.notes
    alone = find_image_uses([tmp_path / "Dockerfile"], Config(), environ={}, root=tmp_path)
    assert alone.uses[0].reference is None
    assert "scan the folder of the compose file" in alone.uses[0].advice


def test_compose_variable_advice_names_the_dotenv(tmp_path: Path) -> None:
    inventory = make(tmp_path, {"compose.yaml": "services:\n  a:\n    image: ${IMG}\n"})
    (finding,) = [f for f in lint(inventory) if f.rule_id == "DW004"]
    assert "Set IMG in .env or the environment" in finding.help


def test_deep_nesting_is_a_one_line_problem() -> None:
    result = parse_compose("[" * 5000, "compose.yaml", {})
    assert [(p.line, p.reason) for p in result.problems] == [
        (1, "nested more than 100 levels deep")
    ]


def test_merge_key_bomb_stays_small() -> None:
    """Merge keys are looked up, never flattened: a doubling chain of merges costs nothing."""
    lines = ["a0: &a0 {image: nginx:1}"]
    lines += [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, 40)]
    lines.append("services:\n  s:\n    <<: *a39")
    result = parse_compose("\n".join(lines) + "\n", "compose.yaml", {})
    assert [u.line for u in result.uses] == [1]


def test_build_outside_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make(outside, {"Dockerfile": "FROM alpine:3.20\n"})
    repo = tmp_path / "repo"
    inventory = make(
        repo,
        {
            "compose.yaml": (
                "include:\n  - ../outside/other.yaml\n"
                "services:\n  a:\n    build: ../outside\n"
                "  b:\n    build:\n      context: .\n      dockerfile: /etc/Dockerfile\n"
            )
        },
    )
    reasons = [p.reason for p in inventory.problems]
    assert "include ../outside/other.yaml is outside the repository: skipped" in reasons
    assert "service a: build ../outside/Dockerfile is outside the repository: skipped" in reasons
    assert "service b: build ./etc/Dockerfile is outside the repository: skipped" not in reasons
    assert any(r.startswith("service b: build") for r in reasons)
    assert inventory.uses == ()


def test_pin_refuses_an_alias_and_points_at_the_anchor(tmp_path: Path) -> None:
    from driftwatch.usecases.pin import plan_pins

    inventory = make(
        tmp_path,
        {"compose.yaml": "x: &img nginx:1.27\nservices:\n  a:\n    image: *img\n"},
    )
    (edit,) = plan_pins(inventory, {})
    assert (edit.line, edit.new) == (4, None)
    assert edit.reason == "a YAML alias; pin the anchor at line 1 instead"


def test_a_missing_include_is_reported_at_the_include_line(tmp_path: Path) -> None:
    inventory = make(
        tmp_path, {"compose.yaml": "include:\n  - path: [a.yaml, missing.yaml]\nservices: {}\n"}
    )
    assert [(p.file, p.line, p.reason) for p in inventory.problems] == [
        ("compose.yaml", 2, "a.yaml: does not exist"),
        ("compose.yaml", 2, "missing.yaml: does not exist"),
    ]


def test_build_platforms_give_the_automatic_args(tmp_path: Path) -> None:
    inventory = make(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    platform: linux/arm64\n    build: .\n"
                "  b:\n    platform: ${UNSET_PLATFORM:-}\n    build:\n      context: b\n"
                "      platforms: [linux/amd64, linux/s390x]\n"
            ),
            "Dockerfile": "FROM ${TARGETARCH}/alpine:3.20\n",
            "b/Dockerfile": "FROM ${TARGETARCH}/alpine:3.20\n",
        },
    )
    assert [(u.file, str(u.reference)) for u in inventory.uses] == [
        ("Dockerfile", "docker.io/arm64/alpine:3.20"),
        ("b/Dockerfile", "docker.io/amd64/alpine:3.20"),
        ("b/Dockerfile", "docker.io/s390x/alpine:3.20"),
    ]


def test_an_override_file_is_merged_over_its_base(tmp_path: Path) -> None:
    """compose.override.yaml adds `build` to a service: its `image` is then built, not pulled."""
    inventory = make(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  web:\n    image: example/web:dev\n  db:\n    image: postgres:16\n"
            ),
            "compose.override.yaml": (
                "services:\n  web:\n    build: .\n  db:\n    image: postgres:16-bookworm\n"
                "  extra:\n    image: redis:7.2\n"
            ),
            "Dockerfile": "FROM python:3.12-slim-bookworm\n",
            "docker-compose.ci.yml": "services:\n  web:\n    image: example/web:dev\n",
        },
    )
    assert found(inventory) == [
        ("Dockerfile", 1, 6, "docker.io/library/python:3.12-slim-bookworm"),
        ("compose.override.yaml", 5, 12, "docker.io/library/postgres:16-bookworm"),
        ("compose.override.yaml", 7, 12, "docker.io/library/redis:7.2"),
        ("compose.yaml", 5, 12, "docker.io/library/postgres:16"),  # the base file alone pulls it
    ]  # example/web:dev is built by the project (the override's build): local, in every file


def test_an_unset_variable_passed_as_a_build_arg_says_so(tmp_path: Path) -> None:
    inventory = make(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  web:\n    build:\n      context: .\n      args:\n"
                "        BASE: ${BASE_IMAGE}\n"
            ),
            "Dockerfile": "ARG BASE=python:3.12-slim-bookworm\nFROM ${BASE}\n",
        },
    )
    (use,) = inventory.uses
    assert use.problem == (
        "empty image reference after substitution (BASE from compose service web "
        "(compose.yaml line 6), where BASE_IMAGE is not set)"
    )
