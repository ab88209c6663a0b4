"""BuildKit's reading of a Dockerfile: automatic platform args, quotes, `--platform=${ARG}`."""

from __future__ import annotations

from pathlib import Path

from driftwatch.config import Config
from driftwatch.lint import lint
from driftwatch.sources import find_image_uses
from driftwatch.sources.dockerfile import DockerfileOptions, parse_dockerfile
from tests.clirun import run_driftwatch

D = "sha256:" + "a" * 64
MULTI = f"""\
FROM golang:1.22.5-bookworm@{D} AS base
FROM base AS binaries-linux
FROM base AS binaries-darwin
FROM base AS buildkit-linux
FROM base AS buildkit-linux-debug
ARG DEBUG
FROM binaries-$TARGETOS AS binaries
FROM buildkit-$TARGETOS${{DEBUG:+-debug}} AS release
ARG TARGETOS
COPY --from=binaries-${{TARGETOS}} /out /out
"""


def refs(text: str, **kwargs: object) -> list[tuple[int, str | None, str | None]]:
    uses, _ = parse_dockerfile(text, "Dockerfile", options=DockerfileOptions(**kwargs))  # type: ignore[arg-type]
    return [(u.line, str(u.reference) if u.reference else None, u.problem) for u in uses]


def test_a_stage_for_every_plausible_platform_is_a_stage_reference(tmp_path: Path) -> None:
    """Case 1: `FROM binaries-$TARGETOS` is not an image, and lint exits clean on it."""
    (tmp_path / "Dockerfile").write_text(MULTI)
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert [u.line for u in inventory.uses] == [1]
    assert lint(inventory) == []
    undeclared = MULTI.replace("ARG TARGETOS\n", "")  # inside a stage it must be declared
    (tmp_path / "Dockerfile").write_text(undeclared)
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert "TARGETOS is not declared by an ARG in scope" in (inventory.uses[-1].problem or "")


def test_platforms_given_substitute_the_automatic_args() -> None:
    text = "ARG TARGETARCH\nFROM --platform=$TARGETPLATFORM ${TARGETARCH}/alpine:3.19\n"
    assert refs(text, platforms=("linux/amd64", "linux/arm64")) == [
        (2, "docker.io/amd64/alpine:3.19", None),
        (2, "docker.io/arm64/alpine:3.19", None),
    ]
    uses, _ = parse_dockerfile(
        text, "Dockerfile", options=DockerfileOptions(platforms=("linux/arm64",))
    )
    assert uses[0].platform == "linux/arm64"  # substituted like the reference
    assert not any(n.startswith("for ") for n in uses[0].notes)


def test_undecidable_is_a_warning_with_platform_advice(tmp_path: Path) -> None:
    """A reference that differs per platform and is not a stage: a warning, never a DW004 error."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM alpine:3.19@{D} AS builder-amd64\nFROM builder-$TARGETARCH\n"
    )
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    undecided = [u for u in inventory.uses if u.line == 2]
    assert len(undecided) == 1 and undecided[0].platform_dependent
    assert "linux/amd64 gives stage builder-amd64" in (undecided[0].problem or "")
    assert "linux/arm64 gives image docker.io/library/builder-arm64" in (undecided[0].problem or "")
    findings = [f for f in lint(inventory) if f.line == 2]
    assert [(f.rule_id, f.severity) for f in findings] == [("DW004", "warning")]
    assert "--platform linux/amd64" in findings[0].help
    assert "ARG" not in findings[0].help  # not the advice for an ordinary ARG
    config = Config(platforms=("linux/amd64",))
    inventory = find_image_uses([tmp_path], config, environ={}, root=tmp_path)
    assert [u.line for u in inventory.uses] == [1]  # known platform: a stage


def test_automatic_args_reach_global_arg_defaults() -> None:
    text = "ARG IMG=ghcr.io/o/tool-${TARGETARCH}:1\nFROM $IMG\n"
    assert refs(text, platforms=("linux/arm64",)) == [(2, "ghcr.io/o/tool-arm64:1", None)]


def test_quotes_are_stripped_as_buildkit_does() -> None:
    """Case 4: `FROM "${BASEIMAGE}"` with a build arg gives the image, not `invalid tag 'v2"'`."""
    text = (
        "ARG BASEIMAGE\nFROM \"${BASEIMAGE}\"\nFROM 'debian:bookworm' AS b\n"
        'COPY --from="ghcr.io/o/x:1" / /\nRUN --mount=type=bind,from="ghcr.io/o/y:2",target=/y true\n'
    )
    uses, _ = parse_dockerfile(text, "Dockerfile", {"BASEIMAGE": "registry.k8s.io/x:v2"})
    assert [(u.line, u.column, u.written, str(u.reference)) for u in uses] == [
        (2, 7, "${BASEIMAGE}", "registry.k8s.io/x:v2"),
        (3, 7, "debian:bookworm", "docker.io/library/debian:bookworm"),
        (4, 14, "ghcr.io/o/x:1", "ghcr.io/o/x:1"),
        (5, 29, "ghcr.io/o/y:2", "ghcr.io/o/y:2"),
    ]
    assert refs('FROM "python:3.12"-slim\n') == [(1, "docker.io/library/python:3.12-slim", None)]


def test_platform_flag_is_substituted() -> None:
    """Case 5: `FROM --platform=${JS_PLATFORM}` gives the ARG's value, like the reference."""
    text = "ARG JS_PLATFORM=linux/amd64\nARG NODE=node:22-bookworm\nFROM --platform=${JS_PLATFORM} $NODE\n"
    uses, _ = parse_dockerfile(text, "Dockerfile")
    assert uses[0].platform == "linux/amd64"
    assert "NODE = node:22-bookworm from the ARG default at line 2" in uses[0].notes
    uses, _ = parse_dockerfile("FROM --platform=$BUILDPLATFORM node:22-bookworm\n", "Dockerfile")
    assert uses[0].platform == "$BUILDPLATFORM" and uses[0].reference is not None


def test_value_provenance_names_where_it_came_from() -> None:
    """Case 8 (Dockerfile half): each variable's value and where it came from."""
    options = DockerfileOptions(
        {"BASE": "ghcr.io/x/y:1"}, {"BASE": ".env line 3, passed by compose service web"}
    )
    uses, _ = parse_dockerfile("ARG BASE\nFROM ${BASE}\n", "Dockerfile", options=options)
    assert "BASE = ghcr.io/x/y:1 from .env line 3, passed by compose service web" in uses[0].notes
    uses, _ = parse_dockerfile("ARG BASE\nFROM ${BASE}\n", "Dockerfile")
    assert "compose" in uses[0].advice  # alone, the advice says why compose may resolve it


def test_lint_exits_0_when_the_only_question_is_an_automatic_platform_arg(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(MULTI)
    done = run_driftwatch(tmp_path, "lint", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "Dockerfile").write_text(
        f"FROM alpine:3.20@{D} AS builder-amd64\nFROM builder-$TARGETARCH\n"
    )
    done = run_driftwatch(tmp_path, "lint", ".", "--min-severity", "error")
    assert done.returncode == 0, done.stdout  # undecided: a warning, not an error
    assert (
        "warning" in done.stdout
        and "--platform linux/amd64"
        in run_driftwatch(tmp_path, "lint", ".", "--format", "json").stdout
    )
    done = run_driftwatch(tmp_path, "lint", ".", "--platform", "linux/amd64")
    assert done.returncode == 0, done.stdout


def test_buildkit_affix_removal_and_quotes_in_arg_defaults() -> None:
    """moby/buildkit's archutil: `${TARGETPLATFORM#linux/amd64}` then `${X:-"supported"}`."""
    text = (
        'ARG L=${TARGETPLATFORM#linux/amd64}\nARG L=${L:+"unsupported"}\nARG L=${L:-"supported"}\n'
        "FROM scratch AS exit-supported\nFROM scratch AS exit-unsupported\nFROM exit-${L}\n"
    )
    assert refs(text) == []
    assert refs("ARG V=a-b-c\nFROM x/${V%%-*}:${V##*-}\n") == [(2, "docker.io/x/a:c", None)]


def test_lint_names_the_image_and_where_to_pin_a_variable(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("ARG BASE=python:3.12-slim-bookworm\nFROM $BASE\n")
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    (finding,) = lint(inventory)
    assert finding.message == (
        "`$BASE` (`docker.io/library/python:3.12-slim-bookworm`) is not pinned by digest"
    )
    assert "BASE = python:3.12-slim-bookworm from the ARG default at line 1" in finding.help
    assert "rewrites literal references only" in finding.help


def test_two_platforms_two_findings_with_distinct_fingerprints(tmp_path: Path) -> None:
    from driftwatch.report.gitlab import fingerprint

    (tmp_path / "Dockerfile").write_text("FROM ${TARGETARCH}/alpine:3.20\n")
    config = Config(platforms=("linux/amd64", "linux/arm64"))
    inventory = find_image_uses([tmp_path], config, environ={}, root=tmp_path)
    findings = [f for f in lint(inventory) if f.rule_id == "DW003"]
    assert len(findings) == 2
    assert len({fingerprint(f) for f in findings}) == 2
