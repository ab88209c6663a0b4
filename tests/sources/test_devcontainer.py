"""Dev Container definitions: JSONC, `image`, `build` (with args), `dockerComposeFile`, variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.config import Config
from driftwatch.lint import lint
from driftwatch.sources import Inventory, find_image_uses
from driftwatch.sources.devcontainer import parse_devcontainer
from driftwatch.sources.jsonc import MAX_DEPTH, JArray, JObject, JsoncError, JString, parse_jsonc
from driftwatch.sources.walk import classify
from driftwatch.usecases.pin import apply_pins, plan_pins
from tests.clirun import run_driftwatch

D = "sha256:" + "d" * 64

JSONC = """\
// For format details, see https://aka.ms/devcontainer.json.
{
\t"name": "a // not a comment /* nor this */",
\t/* a block
\t   comment */
\t"image": "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm", // trailing
\t"features": {
\t\t"ghcr.io/devcontainers/features/node:1": {},
\t\t"ghcr.io/devcontainers/features/docker-in-docker:2": { "version": "latest", },
\t},
\t"forwardPorts": [8000, 5432,],
}
"""


def scan(root: Path, **kwargs: object) -> Inventory:
    return find_image_uses([root], Config(), environ={}, root=root, **kwargs)  # type: ignore[arg-type]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_jsonc_comments_trailing_commas_and_positions() -> None:
    root = parse_jsonc(JSONC)
    assert isinstance(root, JObject)
    name = root.get("name")
    assert isinstance(name, JString) and name.value == "a // not a comment /* nor this */"
    image = root.get("image")
    assert isinstance(image, JString)
    assert (image.line, image.column) == (6, 12)
    ports = root.get("forwardPorts")
    assert isinstance(ports, JArray) and len(ports.items) == 2


def test_jsonc_escapes_keep_the_raw_text_and_the_last_key_wins() -> None:
    root = parse_jsonc('{"image": "a", "image": "ghcr.io\\/o\\/x:1"}')
    assert isinstance(root, JObject)
    image = root.get("image")
    assert isinstance(image, JString)
    assert (image.value, image.raw, image.column) == ("ghcr.io/o/x:1", "ghcr.io\\/o\\/x:1", 26)


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ('{\n  "image": "x"\n  "name": "y"\n}', "expected ',' or '}'", 3),
        ('{\n  /* never closed\n  "image": "x"\n}', "unclosed /* comment", 2),
        ('{"image": "x}', "unterminated string", 1),
        ('{"image": "x"} trailing', "text after the end of the document", 1),
        ("{image: 'x'}", "expected a quoted key", 1),
        ("", "unexpected end of file", 1),
        ("[" * (MAX_DEPTH + 2), f"nested deeper than {MAX_DEPTH} levels", 1),
    ],
)
def test_jsonc_errors_are_one_line_with_their_line(text: str, reason: str, line: int) -> None:
    with pytest.raises(JsoncError) as caught:
        parse_jsonc(text)
    assert caught.value.reason == f"invalid JSON: {reason}"
    assert caught.value.line == line


def test_a_deep_document_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, {".devcontainer.json": '{"a": ' * 100_000 + "1" + "}" * 100_000})
    found = scan(tmp_path)
    assert found.uses == ()
    [problem] = found.problems
    assert problem.file == ".devcontainer.json"
    assert problem.reason == f"invalid JSON: nested deeper than {MAX_DEPTH} levels"


def test_image_is_reported_where_it_is_written_and_features_are_not() -> None:
    found = parse_devcontainer(JSONC, ".devcontainer/devcontainer.json")
    [use] = found.uses
    assert (use.line, use.column, use.kind.value) == (6, 12, "devcontainer")
    assert str(use.reference) == "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm"
    assert use.notes == ("dev container image",)
    assert found.problems == [] and found.builds == [] and found.compose_files == []


@pytest.mark.parametrize(
    ("image", "variable"),
    [
        ("${localEnv:BASE_IMAGE}", "${localEnv:BASE_IMAGE}"),
        ("${localEnv:REGISTRY:ghcr.io}/o/dev:1", "${localEnv:REGISTRY:ghcr.io}"),
        ("ghcr.io/o/${localWorkspaceFolderBasename}:dev", "${localWorkspaceFolderBasename}"),
    ],
)
def test_a_variable_in_the_image_is_unresolved_never_guessed(image: str, variable: str) -> None:
    found = parse_devcontainer(f'{{"image": "{image}"}}', ".devcontainer.json")
    [use] = found.uses
    assert use.reference is None
    assert (
        use.problem
        == f"Dev Container variable {variable} is only known where the container is built"
    )
    assert "Write the image literally" in use.advice


def test_a_template_option_is_a_template_placeholder() -> None:
    text = '{"image": "mcr.microsoft.com/devcontainers/python:1-${templateOption:imageVariant}"}'
    [use] = parse_devcontainer(text, "src/python/.devcontainer/devcontainer.json").uses
    assert use.reference is None and use.problem is not None
    assert use.problem.startswith("template placeholder ${templateOption:imageVariant}")


def test_an_inline_comment_suppresses_rules() -> None:
    text = '{\n  // driftwatch: ignore=DW002\n  "image": "alpine:3.20"\n}\n'
    [use] = parse_devcontainer(text, ".devcontainer.json").uses
    assert use.ignore == ("DW002",)


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        (".devcontainer/devcontainer.json", "devcontainer"),
        (".devcontainer.json", "devcontainer"),
        (".devcontainer/python/devcontainer.json", "devcontainer"),
        ("services/api/.devcontainer/devcontainer.json", "devcontainer"),
        (".devcontainer/a/b/devcontainer.json", None),
        ("devcontainer.json", None),
        (".devcontainer/devcontainer-lock.json", None),
        (".devcontainer/docker-compose.yml", "compose"),
        (".devcontainer/Dockerfile", "dockerfile"),
    ],
)
def test_the_walk_finds_the_definitions_where_the_spec_looks(rel: str, source: str | None) -> None:
    assert classify(rel) == source


def test_a_definition_named_on_the_command_line_is_read_whatever_its_folder(tmp_path: Path) -> None:
    write(tmp_path, {"ci/dev.devcontainer.json": '{"image": "alpine:3.20"}'})
    assert classify("ci/dev.devcontainer.json") is None  # not where the spec looks
    path = tmp_path / "ci" / "dev.devcontainer.json"
    found = find_image_uses([path], Config(), environ={}, root=tmp_path)
    assert [(u.file, u.kind.value) for u in found.uses] == [
        ("ci/dev.devcontainer.json", "devcontainer")
    ]


def test_build_dockerfile_reads_from_lines_with_the_build_args(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".devcontainer/devcontainer.json": (
                '{\n  "build": {\n    "dockerfile": "../docker/devimage",\n    "context": "..",\n'
                '    "args": { "VARIANT": "3.12-bookworm", },\n  },\n}\n'
            ),
            "docker/devimage": "ARG VARIANT=3.9\nFROM python:${VARIANT}\n",
        },
    )
    found = scan(tmp_path)
    [use] = found.uses
    assert (use.file, use.line, use.column) == ("docker/devimage", 2, 6)
    assert str(use.reference) == "docker.io/library/python:3.12-bookworm"
    assert (
        "VARIANT = 3.12-bookworm from dev container .devcontainer/devcontainer.json (line 5)"
        in (use.notes)
    )
    assert found.problems == ()


def test_the_legacy_dockerfile_key_and_a_variable_build_arg(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".devcontainer/devcontainer.json": (
                '{"dockerFile": "Dockerfile", "context": "..",'
                ' "build": {"args": {"TAG": "${localEnv:TAG}"}}}'
            ),
            ".devcontainer/Dockerfile": "ARG TAG=3.20\nFROM alpine:${TAG}\n",
        },
    )
    [use] = scan(tmp_path).uses
    assert use.reference is None  # never the ARG default: the build passes TAG
    assert use.problem is not None
    assert use.problem.startswith(
        "Dev Container variable ${localEnv:TAG} in `alpine:${localEnv:TAG}`"
    )


def test_build_paths_that_cannot_be_read_are_problems(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/.devcontainer.json": '{"build": {"dockerfile": "missing/Dockerfile"}}',
            "b/.devcontainer.json": '{\n"build": {\n"dockerfile": "../../../etc/Dockerfile"}}',
            "c/.devcontainer.json": (
                '{"dockerComposeFile": ["../../compose.yaml", "none.yml",'
                ' "${localWorkspaceFolder}/compose.yaml"]}'
            ),
        },
    )
    found = scan(tmp_path)
    assert found.uses == ()
    assert [(p.file, p.line, p.reason) for p in found.problems] == [
        (
            "a/.devcontainer.json",
            None,
            "dev container a/.devcontainer.json: build Dockerfile a/missing/Dockerfile not found",
        ),
        (
            "b/.devcontainer.json",
            3,
            "build Dockerfile ../../../etc/Dockerfile resolves outside the repository: skipped",
        ),
        (
            "c/.devcontainer.json",
            1,
            "dockerComposeFile ../../compose.yaml resolves outside the repository: skipped",
        ),
        (
            "c/.devcontainer.json",
            1,
            "dockerComposeFile `${localWorkspaceFolder}/compose.yaml` names a Dev Container "
            "variable: not read",
        ),
        ("c/.devcontainer.json", 1, "dockerComposeFile c/none.yml not found"),
    ]


def test_compose_files_are_read_once_even_when_the_walk_finds_them(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".devcontainer/devcontainer.json": (
                '{"dockerComposeFile": ["../docker-compose.yml", "docker-compose.yml",'
                ' "services.yaml"], "service": "app"}'
            ),
            "docker-compose.yml": "services:\n  app:\n    build: .\n  db:\n    image: postgres:16\n",
            "Dockerfile": "FROM python:3.12\n",
            ".devcontainer/docker-compose.yml": "services:\n  app:\n    command: sleep infinity\n",
            ".devcontainer/services.yaml": "services:\n  cache:\n    image: redis:7.2\n",
        },
    )
    found = scan(tmp_path)
    got = [(u.file, u.line, u.kind.value, str(u.reference)) for u in found.uses]
    assert got == [
        (".devcontainer/services.yaml", 3, "compose", "docker.io/library/redis:7.2"),
        ("Dockerfile", 1, "from", "docker.io/library/python:3.12"),
        ("docker-compose.yml", 5, "compose", "docker.io/library/postgres:16"),
    ]
    assert found.problems == ()
    assert ".devcontainer/services.yaml" in found.files  # named only by the definition
    assert len(lint(found)) == len(set(lint(found)))


def test_the_source_can_be_switched_off(tmp_path: Path) -> None:
    write(tmp_path, {".devcontainer.json": '{"image": "alpine:3.20"}'})
    assert [u.kind.value for u in scan(tmp_path).uses] == ["devcontainer"]
    assert scan(tmp_path, sources=["dockerfile", "compose"]).uses == ()


def test_pin_rewrites_the_image_in_place_keeping_comments(tmp_path: Path) -> None:
    write(tmp_path, {".devcontainer/devcontainer.json": JSONC})
    found = scan(tmp_path)
    [use] = found.uses
    assert use.reference is not None
    [edit] = plan_pins(found, {use.reference.without_digest(): D})
    pinned = apply_pins(JSONC, [edit])
    expected = f'"image": "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm@{D}", // trailing'
    assert expected in pinned
    assert pinned.replace(f"@{D}", "") == JSONC
    [again] = parse_devcontainer(pinned, ".devcontainer/devcontainer.json").uses
    assert again.reference is not None and again.reference.digest == D


def test_a_variable_image_is_not_pinnable(tmp_path: Path) -> None:
    write(tmp_path, {".devcontainer.json": '{"image": "${localEnv:IMAGE}"}'})
    [edit] = plan_pins(scan(tmp_path), {})
    assert edit.new is None and edit.reason is not None
    assert edit.reason.startswith("cannot be resolved: Dev Container variable ${localEnv:IMAGE}")


def test_pin_check_and_lint_name_the_definition_offline(tmp_path: Path) -> None:
    write(tmp_path, {".devcontainer/devcontainer.json": '{\n  "image": "alpine:3.20",\n}\n'})
    result = run_driftwatch(tmp_path, "pin", "--check", drop=("DRIFTWATCH_", "GITHUB_"))
    assert result.returncode == 1, result.stderr
    assert ".devcontainer/devcontainer.json:2:13: alpine:3.20 is not pinned" in result.stderr
    write(tmp_path, {".devcontainer/devcontainer.json": '{\n  "image": "alpine:3.20"\n  "x": 1}'})
    result = run_driftwatch(tmp_path, "lint", drop=("DRIFTWATCH_", "GITHUB_"))
    assert result.returncode == 2  # a definition that cannot be parsed fails the gate
    assert ".devcontainer/devcontainer.json:3" in result.stderr
    assert "invalid JSON: expected ',' or '}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_crlf_and_a_bom_keep_the_positions(tmp_path: Path) -> None:
    (tmp_path / ".devcontainer.json").write_bytes(
        b"\xef\xbb\xbf" + JSONC.replace("\n", "\r\n").encode()
    )
    [use] = scan(tmp_path).uses
    assert (use.line, use.column, use.written) == (
        6,
        12,
        "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm",
    )
