"""Shapes met in real public files that the parsers once misread (one test per bug found)."""

from __future__ import annotations

import time
from pathlib import Path

from driftwatch.config import Config
from driftwatch.sources import Inventory, find_image_uses
from driftwatch.sources.dockerfile import parse_dockerfile
from driftwatch.sources.dotenv import dotenv_value, read_dotenv
from driftwatch.sources.inventory import in_place
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


def _compose(tmp_path: Path, text: str, env: str | None = None) -> Inventory:
    (tmp_path / "compose.yaml").write_text(text)
    if env is not None:
        (tmp_path / ".env").write_text(env)
    return find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)


def _rows(inventory: Inventory) -> list[tuple[int, int, str, str | None, str | None]]:
    return [
        (u.line, u.column, u.written, str(u.reference) if u.reference else None, u.problem)
        for u in inventory.uses
    ]


def test_dockerfile_inline_is_read_at_its_lines_in_the_compose_file(tmp_path: Path) -> None:
    """Compose interpolates the text (`$$` for the Dockerfile's own `$`), then BuildKit reads it."""
    inventory = _compose(
        tmp_path,
        "services:\n"
        "  app:\n"
        "    build:\n"
        "      dockerfile_inline: |\n"
        "        # syntax=docker/dockerfile:1\n"
        "        ARG TAG=3.20\n"
        "        FROM alpine:$${TAG} AS base\n"
        "        FROM ${REGISTRY}/tool:1\n"
        "        FROM base\n"
        "        COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/\n"
        "      additional_contexts:\n"
        "        dep: docker-image://ubuntu:24.04\n",
    )
    rows = _rows(inventory)
    assert rows[:2] == [
        (5, 18, "docker/dockerfile:1", "docker.io/docker/dockerfile:1", None),
        (7, 14, "alpine:$${TAG}", "docker.io/library/alpine:3.20", None),
    ]
    line, column, written, reference, problem = rows[2]
    assert (line, column, written, reference) == (8, 14, "${REGISTRY}/tool:1", None)
    assert problem is not None and "REGISTRY is not set" in problem
    assert rows[3] == (10, 21, "ghcr.io/astral-sh/uv:0.5", "ghcr.io/astral-sh/uv:0.5", None)
    assert rows[4][3] == "docker.io/library/ubuntu:24.04"
    assert len(rows) == 5
    assert all("dockerfile_inline of compose service app" in u.notes for u in inventory.uses[:4])
    lines = (tmp_path / "compose.yaml").read_text().split("\n")
    for use in inventory.uses:
        assert lines[use.line - 1][use.column - 1 :].startswith(use.written)


def test_an_inline_dockerfile_that_cannot_be_mapped_is_reported_at_its_scalar(
    tmp_path: Path,
) -> None:
    inventory = _compose(
        tmp_path,
        'services:\n  app:\n    build:\n      dockerfile_inline: "FROM ${BASE:-node:22}\\nRUN x"\n',
    )
    [use] = inventory.uses
    assert (use.line, use.column, str(use.reference)) == (4, 27, "docker.io/library/node:22")
    assert not in_place(use)  # pin never rewrites it


def test_an_inline_dockerfile_naming_the_projects_own_image_reports_nothing(
    tmp_path: Path,
) -> None:
    inventory = _compose(
        tmp_path,
        "services:\n"
        "  base:\n    image: acme/base:1\n    build: {dockerfile_inline: 'FROM debian:12'}\n"
        "  app:\n    build:\n      dockerfile_inline: |\n        FROM acme/base:1\n",
    )
    assert [str(u.reference) for u in inventory.uses] == ["docker.io/library/debian:12"]


def test_dotenv_values_end_before_an_inline_comment(tmp_path: Path) -> None:
    inventory = _compose(
        tmp_path,
        "services:\n  app:\n    image: ${IMG}:${TAG}\n  db:\n    image: postgres:${PG}\n",
        'IMG="ghcr.io/acme/app" # the image\nTAG=2.0 # pinned\nPG=16#kept\n',
    )
    assert [str(u.reference) if u.reference else u.problem for u in inventory.uses] == [
        "ghcr.io/acme/app:2.0",
        "invalid tag '16#kept': tags are 1-128 of letters, digits, '_', '.', '-', not starting "
        "with '.' or '-'",
    ]
    assert dotenv_value("'a # b' # c") == ("a # b", True)
    assert read_dotenv("export A=1\nB = 2 # c\nC: ghcr.io/x\nD=a=b\nE\nbad key=1\n") == {
        "A": "1",
        "B": "2",
        "C": "ghcr.io/x",
        "D": "a=b",
    }
    assert dotenv_value('"say \\"hi\\"" # c') == ('say "hi"', False)


def test_an_include_entry_env_file_gives_the_included_files_variables(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cache.yaml").write_text("services:\n  cache:\n    image: redis:${TAG}\n")
    (tmp_path / "sub" / "cache.env").write_text("TAG=7.4 # the line we run\n")
    inventory = _compose(
        tmp_path,
        "include:\n  - path: [sub/cache.yaml]\n    env_file: sub/cache.env\nservices: {}\n",
    )
    [use] = inventory.uses
    assert str(use.reference) == "docker.io/library/redis:7.4"
    assert "TAG = 7.4 from sub/cache.env line 1" in use.notes


def test_a_file_two_compose_projects_read_is_reported_once(tmp_path: Path) -> None:
    """compose-go's extends/withdir: withdir/ and withdir/dir/ both extend dir/base.yaml."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "base.yaml").write_text("services:\n  test:\n    image: hello-world\n")
    extends = "services:\n  test:\n    extends:\n      file: {}\n      service: test\n"
    (tmp_path / "dir" / "compose.yaml").write_text(extends.format("base.yaml"))
    inventory = _compose(tmp_path, extends.format("dir/compose.yaml"))
    assert [(u.file, u.line) for u in inventory.uses] == [("dir/base.yaml", 3)]


def test_common_real_names_are_found(tmp_path: Path) -> None:
    """`Dockerfile_dev` (700+ public repositories), `podman-compose.yml` (2,000+),
    `dev.docker-compose.yml` (1,000+) and a compose file named freely were never read."""
    (tmp_path / "Dockerfile_dev").write_text("FROM python:3.12\n")
    (tmp_path / "app_Containerfile").write_text("FROM fedora:41\n")
    for name, image in [
        ("podman-compose.yml", "redis:7"),
        ("dev.docker-compose.yml", "mariadb:11"),
        ("container-compose.yaml", "nginx:1.27"),
        ("compose-monitoring.yml", "grafana/grafana:11.0.0"),
    ]:
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        (folder / name).write_text(f"services:\n  s:\n    image: {image}\n")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "compose-operator.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "    - name: c\n      image: busybox:1.36\n"
    )
    found = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert sorted((u.file, u.kind.value, str(u.reference)) for u in found.uses) == [
        ("Dockerfile_dev", "from", "docker.io/library/python:3.12"),
        ("app_Containerfile", "from", "docker.io/library/fedora:41"),
        (
            "compose-monitoring/compose-monitoring.yml",
            "compose",
            "docker.io/grafana/grafana:11.0.0",
        ),
        ("container-compose/container-compose.yaml", "compose", "docker.io/library/nginx:1.27"),
        ("dev/dev.docker-compose.yml", "compose", "docker.io/library/mariadb:11"),
        ("k8s/compose-operator.yaml", "kubernetes", "docker.io/library/busybox:1.36"),
        ("podman-compose/podman-compose.yml", "compose", "docker.io/library/redis:7"),
    ]
    assert found.problems == ()


def test_a_template_placeholder_is_named_not_called_a_bad_reference(tmp_path: Path) -> None:
    """dotnet/dotnet-docker keeps `FROM {{runtimeDepsBaseTag}}` in `Dockerfile.linux` templates;
    apache/airflow's docs compose file says `apache/airflow:|version|`."""
    uses, _ = parse_dockerfile("FROM {{runtimeDepsBaseTag}}\nFROM %%BASE%%:1\n", "Dockerfile.linux")
    assert [u.reference for u in uses] == [None, None]
    assert uses[0].problem == (
        "template placeholder {{runtimeDepsBaseTag}} in `{{runtimeDepsBaseTag}}`: this file is a "
        "template, not what is built"
    )
    assert "%%BASE%%" in (uses[1].problem or "")
    assert "exclude" in uses[0].advice
    inventory = _compose(tmp_path, "services:\n  a:\n    image: ${IMG:-apache/airflow:|version|}\n")
    [use] = inventory.uses
    assert use.reference is None and "|version|" in (use.problem or "")
    plain, _ = parse_dockerfile("FROM Alpine:3\n", "Dockerfile")
    assert "template" not in (plain[0].problem or "") and plain[0].problem


def test_a_build_path_with_an_unset_variable_says_so(tmp_path: Path) -> None:
    """docker/compose's simple-build-test fixture: `dockerfile: ${MYVAR}` was 'not found'."""
    (tmp_path / "nginx-build").mkdir()
    (tmp_path / "nginx-build" / "Dockerfile").write_text("FROM nginx:1.27\n")
    inventory = _compose(
        tmp_path,
        "services:\n  nginx:\n    build:\n      context: nginx-build\n      dockerfile: ${MYVAR}\n"
        "  web:\n    build: ${CTX:-nginx-build}\n",
    )
    assert [(p.file, p.reason) for p in inventory.problems] == [
        (
            "compose.yaml",
            "service nginx: build dockerfile `${MYVAR}` (variable MYVAR is not set): its "
            "Dockerfile is not known",
        )
    ]
    assert [str(u.reference) for u in inventory.uses] == ["docker.io/library/nginx:1.27"]


def test_an_inline_dockerfile_several_services_share_is_one_use(tmp_path: Path) -> None:
    inventory = _compose(
        tmp_path,
        "x-build: &build\n  dockerfile_inline: |\n    FROM python:3.12-slim\n"
        "services:\n  api:\n    build: *build\n  worker:\n    build:\n      <<: *build\n"
        "      args: {A: '1'}\n",
    )
    [use] = inventory.uses
    assert (use.line, use.column, str(use.reference)) == (
        3,
        10,
        "docker.io/library/python:3.12-slim",
    )
    assert use.notes[0] == "dockerfile_inline of compose services api, worker"


def test_a_heredoc_opens_only_at_a_shell_word_starting_with_two_chevrons() -> None:
    """BuildKit splits the line into raw shell words: `"<<EOF"`, `'<<EOF'`, `\\<<EOF` and
    `cat<<EOF` open nothing, so the next FROM is read (it was swallowed with an error)."""
    for run in ('echo "<<EOF"', "echo '<<EOF'", "echo \\\\<<EOF", "cat<<EOF", "cat <<< x"):
        uses, problems = parse_dockerfile(f"FROM alpine AS a\nRUN {run}\nFROM busybox:1\n", "D")
        assert [u.line for u in uses] == [1, 3], run
        assert problems == [], run
    for run in ("cat <<EOF > /x", "python3 - <<'PY'", "cat 3<<-EOF", 'sh <<"EOF"'):
        text = f"FROM alpine AS a\nRUN {run}\nFROM evil\n\tEOF\nPY\nEOF\nFROM busybox:1\n"
        uses, problems = parse_dockerfile(text, "D")
        assert [u.line for u in uses] == [1, 7], run


def test_legacy_version_1_compose_files_are_read(tmp_path: Path) -> None:
    """vimagick/dockerfiles keeps ~150 compose files with the services at the top (version 1);
    they gave 'no `services` mapping' and none of their images was guarded."""
    (tmp_path / "Dockerfile.data").write_text("FROM debian:bookworm\n")
    (tmp_path / "common.yml").write_text("base:\n  image: redis:7\n")
    inventory = _compose(
        tmp_path,
        "web:\n  image: nginx:1.27\n  links: [db]\n"
        "data:\n  build: .\n  dockerfile: Dockerfile.data\n"
        "cache:\n  extends: {file: common.yml, service: base}\n",
    )
    assert [(u.file, u.line, str(u.reference)) for u in inventory.uses] == [
        ("Dockerfile.data", 1, "docker.io/library/debian:bookworm"),
        ("common.yml", 2, "docker.io/library/redis:7"),
        ("compose.yaml", 2, "docker.io/library/nginx:1.27"),
    ]
    assert inventory.problems == ()
    (tmp_path / "compose.yaml").write_text("service:\n  web:\n    image: nginx\n")  # a typo
    typo = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert [p.reason for p in typo.problems] == ["no `services` mapping (not a compose file?)"]


def test_an_extended_file_takes_the_variables_of_the_project_extending_it(tmp_path: Path) -> None:
    """compose interpolates an `extends: file:` target with the extending project's `.env`;
    two projects giving it different values are two uses of the same line."""
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "base.yml").write_text("services:\n  base:\n    image: redis:${TAG}\n")
    for app, tag in (("app1", "7.2"), ("app2", "7.4")):
        (tmp_path / app).mkdir()
        (tmp_path / app / ".env").write_text(f"TAG={tag}\n")
        (tmp_path / app / "docker-compose.yml").write_text(
            "services:\n  cache:\n    extends:\n      file: ../common/base.yml\n"
            "      service: base\n"
        )
    found = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert [(u.file, u.line, str(u.reference)) for u in found.uses] == [
        ("common/base.yml", 3, "docker.io/library/redis:7.2"),
        ("common/base.yml", 3, "docker.io/library/redis:7.4"),
    ]
    assert "TAG = 7.4 from app2/.env line 1" in found.uses[1].notes


def test_a_workflow_named_after_compose_stays_a_workflow(tmp_path: Path) -> None:
    """fastapi's template has `.github/workflows/test-docker-compose.yml`: a workflow, not a
    compose file (read as compose it would lose its images and warn 'no services')."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name in ("docker-compose.yml", "test-docker-compose.yml"):
        (workflows / name).write_text("on: push\njobs:\n  t:\n    container: node:22\n")
    found = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert [(u.file, u.kind.value) for u in found.uses] == [
        (".github/workflows/docker-compose.yml", "workflow"),
        (".github/workflows/test-docker-compose.yml", "workflow"),
    ]
    assert found.problems == ()
