"""Fuzzing the parsers: no input makes them raise, and positions always point at what was written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftwatch.models import BaseImageUse
from driftwatch.sources.compose import parse_compose
from driftwatch.sources.dockerfile import parse_dockerfile
from driftwatch.sources.inventory import in_place
from driftwatch.sources.substitute import expand

pytestmark = pytest.mark.slow  # many generated files per test

FUZZ = Path(__file__).resolve().parent.parent / "assets" / "fuzz"
DOCKERISH = st.lists(
    st.sampled_from(
        list("FROMASRUNCOPYARGENVfromas \t\n\r\\`#$:{}-+?=@/.<>'\"abc123")
        + ["${", "<<EOF", "EOF", "--from=", "--mount=from=", "--platform=", "scratch", "é", "中"]
    ),
    max_size=120,
).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_positions(text: str, uses: list[BaseImageUse]) -> None:
    """Every use points (line, column) at its written text in the original lines."""
    lines = text.split("\n")
    for use in uses:
        assert 1 <= use.line <= len(lines) and use.column >= 1
        assert (use.reference is None) == (use.problem is not None)
        if use.written and in_place(use):
            line = lines[use.line - 1]
            assert line[use.column - 1 : use.column - 1 + len(use.written)] == use.written


@SETTINGS
@given(DOCKERISH)
def test_dockerfile_parser_never_raises(text: str) -> None:
    uses, problems = parse_dockerfile(text, "Dockerfile", {})
    check_positions(text, uses)
    assert all(p.file == "Dockerfile" for p in problems)


@SETTINGS
@given(st.text(max_size=300))
def test_dockerfile_parser_on_any_text(text: str) -> None:
    uses, _ = parse_dockerfile(text, "Dockerfile", {})
    check_positions(text, uses)


IMAGES = st.sampled_from(
    [
        "alpine:3.19",
        "python:3.12-slim-bookworm",
        "ghcr.io/o/a:1",
        "nginx",
        "localhost:5000/x/y:2",
        "debian@sha256:" + "d" * 64,
    ]
)


@st.composite
def dockerfiles(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    """A Dockerfile with FROM lines in random shapes, and the (line, column, image) expected."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    expected = []
    for image in draw(st.lists(IMAGES, min_size=1, max_size=6)):
        filler = st.sampled_from(["# note", "", "RUN echo hi", "  # x", "ENV A=1"])
        lines.extend(draw(st.lists(filler, max_size=2)))
        keyword = draw(st.sampled_from(["FROM", "from", "From"]))
        indent = draw(st.sampled_from(["", " ", "\t", "   "]))
        gap = draw(st.sampled_from([" ", "  ", "\t"]))
        if draw(st.booleans()):
            lines.append(f"{indent}{keyword} \\")
            lines.extend(draw(st.lists(st.sampled_from(["# c", "", "  "]), max_size=2)))
            lines.append(f"{gap}{image} AS s{len(expected)}")
            expected.append((len(lines), len(gap) + 1, image))
        else:
            lines.append(f"{indent}{keyword}{gap}{image}")
            expected.append((len(lines), len(indent) + len(keyword) + len(gap) + 1, image))
    return newline.join(lines) + newline, expected


@SETTINGS
@given(dockerfiles())
def test_generated_from_lines_are_found_exactly(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    text, expected = case
    uses, problems = parse_dockerfile(text, "Dockerfile", {})
    assert [(u.line, u.column, u.written) for u in uses] == expected
    assert all(u.reference is not None for u in uses) and not problems


@SETTINGS
@given(
    st.lists(
        st.sampled_from(list("services:image- \n\t'\"{}[]&*!#$") + ["\n  a:\n    image: x:1"]),
        max_size=120,
    ).map("".join)
)
def test_compose_parser_never_raises(text: str) -> None:
    result = parse_compose(text, "compose.yaml", {})
    check_positions(text, result.uses)


@SETTINGS
@given(
    st.text(max_size=60),
    st.dictionaries(st.sampled_from(["A", "B", "C"]), st.none() | st.text(max_size=5)),
)
def test_substitution_never_raises(word: str, values: dict[str, str | None]) -> None:
    result = expand(word, values)
    assert isinstance(result.text, str)
    if "$" not in word:
        assert result.text == word.replace("\\$", "$") and not result.missing


def test_saved_fuzz_corpus() -> None:
    """Inputs that once looked dangerous; each must parse without raising."""
    files = sorted(FUZZ.iterdir())
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".yaml":
            check_positions(text, parse_compose(text, path.name, {}).uses)
        else:
            uses, _ = parse_dockerfile(text, path.name, {})
            check_positions(text, uses)


def test_pathological_lines_stay_fast() -> None:
    """Inputs that made earlier regexes quadratic, and absurdly long references."""
    import time

    cases = [
        "# syntax=a" + " " * 200_000 + "b\nFROM x:1\n",
        "FROM " + "a-" * 200_000 + "!\n",
        "FROM " + "${" * 100_000 + "\n",
        "RUN <<EOF\n" + "x\n" * 100_000 + "EOF\nFROM a:1\n",
    ]
    for text in cases:
        start = time.perf_counter()
        uses, _ = parse_dockerfile(text, "Dockerfile", {})
        assert time.perf_counter() - start < 5
        assert all(len(use.problem or "") <= 300 for use in uses)


YAMLISH = st.lists(
    st.sampled_from(
        list("jobs:image-services \n\t'\"{}[]&*!#$") + ["${{ matrix.x }}", "docker://", "\n  t:\n"]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_ci_and_manifest_parsers_never_raise(text: str) -> None:
    from driftwatch.sources.gitlab import parse_gitlab
    from driftwatch.sources.kubernetes import parse_manifests
    from driftwatch.sources.workflows import parse_workflow

    for parse in (parse_workflow, parse_gitlab, parse_manifests):
        uses, problems = parse(text, "f.yml")
        check_positions(text, uses)
        assert all(p.file == "f.yml" for p in problems)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            list('target"{}[]=,:.()#/*$\n ') + ['contexts = {a = "docker-image://x:1"}']
        ),
        max_size=120,
    ).map("".join)
)
def test_bake_reader_never_raises(text: str) -> None:
    from driftwatch.sources.bake import parse_bake

    result = parse_bake(text, "docker-bake.hcl", {})
    check_positions(text, result.uses)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            list('{}[],:"\\/* \n\t\r0-e.')
            + ['"image"', '"alpine:3.20"', "//", "/*", "*/", "\\u00e9"]
            + ['"build"', '"dockerfile"', '"dockerComposeFile"', "${localEnv:X}", "true", "é"]
        ),
        max_size=120,
    ).map("".join)
)
def test_devcontainer_reader_never_raises(text: str) -> None:
    from driftwatch.sources.devcontainer import parse_devcontainer

    result = parse_devcontainer(text, ".devcontainer.json")
    check_positions(text, result.uses)
    assert all(p.file == ".devcontainer.json" and p.line for p in result.problems)
