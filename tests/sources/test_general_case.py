"""Shapes met in real public files that the parsers once misread (one test per bug found)."""

from __future__ import annotations

import time

from driftwatch.sources.dockerfile import parse_dockerfile
from driftwatch.sources.substitute import MAX_NESTING, expand


def test_a_default_may_hold_nested_substitutions() -> None:
    """`${A:-${B}-${C}}` (corentin-dev/math-os): the word ends at the matching brace."""
    got = expand("${S:-${B:-silverblue}-${F}}", {"S": None, "B": None, "F": "main"})
    assert got.text == "silverblue-main"
    assert got.used == ("S", "B", "F")
    assert expand("${S:-${B}}x", {"S": "set", "B": "b"}).text == "setx"
    assert expand("${A:+[${B}]}", {"A": "1", "B": "2"}).text == "[2]"


def test_the_nested_arg_chain_of_a_real_containerfile() -> None:
    text = (
        'ARG BASE_IMAGE_NAME="${BASE_IMAGE_NAME:-silverblue}"\n'
        'ARG IMAGE_FLAVOR="${IMAGE_FLAVOR:-main}"\n'
        'ARG SOURCE_IMAGE="${SOURCE_IMAGE:-${BASE_IMAGE_NAME}-${IMAGE_FLAVOR}}"\n'
        'ARG BASE_IMAGE="ghcr.io/ublue-os/${SOURCE_IMAGE}"\n'
        "FROM ${BASE_IMAGE}:latest AS base\n"
    )
    uses, problems = parse_dockerfile(text, "Containerfile")
    assert [str(u.reference) for u in uses] == ["ghcr.io/ublue-os/silverblue-main:latest"]
    assert problems == []
    built = parse_dockerfile(text, "Containerfile", {"IMAGE_FLAVOR": "nvidia"})[0]
    assert str(built[0].reference) == "ghcr.io/ublue-os/silverblue-nvidia:latest"


def test_a_missing_variable_inside_a_default_is_reported_not_dropped() -> None:
    uses, _ = parse_dockerfile("ARG REG\nFROM ${REG:-${MIRROR}}/alpine:3\n", "Dockerfile")
    assert uses[0].reference is None
    assert "MIRROR" in (uses[0].problem or "")


def test_unclosed_and_bad_braces_are_errors() -> None:
    assert expand("${A:-${B}", {"A": None}).errors == ("bad substitution '${A:-${B}'",)
    assert expand("x${A B}y", {}).errors == ("bad substitution '${A B}'",)
    assert expand("${}", {}).errors == ("bad substitution '${}'",)


def test_deep_nesting_is_bounded() -> None:
    deep = "${A:-" * (MAX_NESTING + 5) + "x" + "}" * (MAX_NESTING + 5)
    started = time.perf_counter()
    got = expand(deep, {})
    assert time.perf_counter() - started < 1.0
    assert got.errors and "nested" in got.errors[0]
    shallow = "${A:-" * 5 + "x" + "}" * 5
    assert expand(shallow, {}).text == "x"
