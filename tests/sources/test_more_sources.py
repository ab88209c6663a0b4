"""GitHub Actions, GitLab CI, bake and Kubernetes sources; discovery names; include/exclude/--sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.config import Config, SourceSettings, load_config
from driftwatch.errors import ConfigError
from driftwatch.lint import lint
from driftwatch.models import BaseImageUse
from driftwatch.sources import Inventory, find_image_uses
from driftwatch.sources.bake import parse_bake
from driftwatch.sources.gitlab import parse_gitlab
from driftwatch.sources.hcl import Other, Ref, Str, parse_hcl
from driftwatch.sources.inventory import in_place
from driftwatch.sources.kubernetes import parse_manifests
from driftwatch.sources.walk import classify, is_dockerfile_name
from driftwatch.sources.workflows import parse_workflow
from tests.clirun import run_driftwatch

WORKFLOW = """\
name: ci
env:
  TOOLS: ghcr.io/o/tools:1.4
jobs:
  test:
    runs-on: ubuntu-latest
    container: python:3.12-slim-bookworm
    services:
      db:
        image: postgres:16-bookworm
      cache: redis:7.2
    steps:
      - uses: actions/checkout@v4
      - uses: docker://alpine:3.20
      - uses: 'docker://${{ env.TOOLS }}'
      - uses: docker://ghcr.io/${{ github.repository }}:dev
  matrix:
    strategy:
      matrix:
        image:
          - debian:bookworm
          - ubuntu:24.04
        node: [20, 22]
    container:
      image: ${{ matrix.image }}
    services:
      n:
        image: node:${{ matrix.node }}-bookworm
  dynamic:
    container: ${{ inputs.image }}
"""


def rows(uses: list[BaseImageUse], text: str = "") -> list[tuple[int, int, str, str | None]]:
    """(line, column, written, reference); with `text`, each position is checked against it."""
    lines = text.split("\n")
    for use in uses:
        if text and in_place(use):
            assert lines[use.line - 1][use.column - 1 :].startswith(use.written), use
    return [(u.line, u.column, u.written, str(u.reference) if u.reference else None) for u in uses]


def test_workflow_images_at_their_lines() -> None:
    uses, problems = parse_workflow(WORKFLOW, ".github/workflows/ci.yml")
    assert problems == []
    assert rows(uses, WORKFLOW) == [
        (7, 16, "python:3.12-slim-bookworm", "docker.io/library/python:3.12-slim-bookworm"),
        (10, 16, "postgres:16-bookworm", "docker.io/library/postgres:16-bookworm"),
        (11, 14, "redis:7.2", "docker.io/library/redis:7.2"),
        (14, 24, "alpine:3.20", "docker.io/library/alpine:3.20"),
        (15, 25, "${{ env.TOOLS }}", "ghcr.io/o/tools:1.4"),
        (21, 13, "debian:bookworm", "docker.io/library/debian:bookworm"),
        (22, 13, "ubuntu:24.04", "docker.io/library/ubuntu:24.04"),
        (28, 16, "node:${{ matrix.node }}-bookworm", "docker.io/library/node:20-bookworm"),
        (28, 16, "node:${{ matrix.node }}-bookworm", "docker.io/library/node:22-bookworm"),
        (30, 16, "${{ inputs.image }}", None),
    ]
    assert "matrix value of matrix.image, used by job matrix container" in uses[5].notes
    assert "only known when the workflow runs" in str(uses[-1].problem)
    assert "strategy.matrix" in uses[-1].advice


def test_action_metadata_docker_image() -> None:
    text = "name: a\nruns:\n  using: docker\n  image: docker://ghcr.io/o/act:2.1\n"
    uses, _ = parse_workflow(text, "action.yml")
    assert rows(uses, text) == [(4, 19, "ghcr.io/o/act:2.1", "ghcr.io/o/act:2.1")]


GITLAB = """\
variables:
  PY: "3.12"
image: python:${PY}-slim-bookworm
services:
  - postgres:16
.base: &base
  image:
    name: ghcr.io/o/builder:${TAG}
    entrypoint: [""]
  variables:
    TAG: "5"
build:
  <<: *base
  services:
    - name: docker:27-dind
      alias: docker
release:
  image: $DEPLOY_IMAGE:latest
test-built:
  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA
proxied:
  image: ${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/node:22-bookworm
stages: [build]
"""


def test_gitlab_images_services_and_variables() -> None:
    uses, problems = parse_gitlab(GITLAB, ".gitlab-ci.yml")
    assert problems == []
    assert rows(uses, GITLAB) == [
        (3, 8, "python:${PY}-slim-bookworm", "docker.io/library/python:3.12-slim-bookworm"),
        (5, 5, "postgres:16", "docker.io/library/postgres:16"),
        (8, 11, "ghcr.io/o/builder:${TAG}", "ghcr.io/o/builder:5"),
        (15, 13, "docker:27-dind", "docker.io/library/docker:27-dind"),
        (18, 10, "$DEPLOY_IMAGE:latest", None),
        (
            22,
            10,
            "${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/node:22-bookworm",
            "docker.io/library/node:22-bookworm",
        ),
    ]  # line 20: the project's own image (`$CI_REGISTRY_IMAGE`), built by the pipeline
    assert uses[2].notes[0] == "job .base, job build"  # the anchor's line: one use, both jobs
    assert "only known when the pipeline runs" in str(uses[-2].problem)
    assert "through GitLab's dependency proxy" in uses[-1].notes


BAKE = """\
variable "GO_VERSION" {
  default = "1.23"
}
variable "TAG" { default = "latest" }
variable "UNSET" { default = null }
# the common part
target "_common" {
  args = {
    GO_VERSION = GO_VERSION
    ALPINE = "3.20"
    DEBUG = UNSET
  }
}
target "app" {
  inherits = ["_common"]
  context = "app"
  contexts = {
    tools = "docker-image://ghcr.io/o/tools:${TAG}"
    base = "target:base"
  }
  platforms = ["linux/amd64", "linux/arm64", "local"]
}
target "cycle-a" { inherits = ["cycle-b"] }
target "cycle-b" { inherits = ["cycle-a"] }
"""


def test_hcl_reader() -> None:
    root = parse_hcl('a = "x"\nb = [1, "y"]\nc = lower("Z")\nblock "l" { d = { e = f } }\n')
    assert root.attributes["a"] == Str("x", 1, 6)
    assert root.attributes["b"] == [Ref("1"), Str("y", 2, 10)]
    assert root.attributes["c"] == Other()
    assert root.blocks[0].attributes["d"] == {"e": Ref("f")}
    assert parse_hcl('x = "open\n}}}{{{ "').attributes["x"] == Str("open", 1, 6)


def test_bake_contexts_args_inherits_and_platforms(tmp_path: Path) -> None:
    result = parse_bake(BAKE, "docker-bake.hcl", {"TAG": "2.0"})
    assert rows(result.uses, BAKE) == [(18, 29, "ghcr.io/o/tools:${TAG}", "ghcr.io/o/tools:2.0")]
    assert "TAG = 2.0 from the environment" in result.uses[0].notes
    app = next(b for b in result.builds if b.service == "bake target app")
    assert app.dockerfile == "app/Dockerfile"
    assert app.args == {"GO_VERSION": "1.23", "ALPINE": "3.20"}
    assert app.platforms == ("linux/amd64", "linux/arm64")
    assert app.contexts == frozenset({"tools", "base"})
    assert app.origins["GO_VERSION"] == (
        "the default of variable GO_VERSION in docker-bake.hcl line 1, "
        "passed by bake target app (docker-bake.hcl)"
    )
    assert any("inherits cycle" in p.reason for p in result.problems)


def test_bake_builds_reach_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "docker-bake.hcl").write_text(BAKE)
    (tmp_path / "app" / "Dockerfile").write_text(
        "ARG GO_VERSION\nARG ALPINE\nFROM golang:${GO_VERSION}-alpine${ALPINE} AS build\n"
        "FROM base\nCOPY --from=tools /t /t\nFROM build-${TARGETARCH}\n"
    )
    inventory = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    got = [(u.file, u.line, str(u.reference) if u.reference else u.problem) for u in inventory.uses]
    assert ("app/Dockerfile", 3, "docker.io/library/golang:1.23-alpine3.20") in got
    assert ("docker-bake.hcl", 18, "ghcr.io/o/tools:latest") in got
    assert not any(f == "app/Dockerfile" and line in (4, 5) for f, line, _ in got)  # contexts
    arch = [r for f, line, r in got if line == 6]
    assert arch == ["docker.io/library/build-amd64:latest", "docker.io/library/build-arm64:latest"]


def test_bake_json() -> None:
    text = json.dumps(
        {
            "variable": {"V": {"default": "3.20"}},
            "target": {"t": {"contexts": {"a": "docker-image://alpine:${V}"}}},
        },
        indent=2,
    )
    result = parse_bake(text, "docker-bake.json", {})
    assert rows(result.uses, text) == [(10, 30, "alpine:${V}", "docker.io/library/alpine:3.20")]


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/o/migrate:1.2
      containers:
        - name: app
          image: "ghcr.io/o/app:3.4"
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, image: busybox:1.36}]
---
kind: NotKubernetes
image: nope:1
"""


def test_kubernetes_pod_specs_in_every_document() -> None:
    uses, problems = parse_manifests(MANIFESTS, "deploy/app.yaml")
    assert problems == []
    assert rows(uses, MANIFESTS) == [
        (10, 18, "ghcr.io/o/migrate:1.2", "ghcr.io/o/migrate:1.2"),
        (13, 19, "ghcr.io/o/app:3.4", "ghcr.io/o/app:3.4"),
        (23, 43, "busybox:1.36", "docker.io/library/busybox:1.36"),
    ]
    assert uses[0].notes[0] == "Deployment/web container migrate"


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("Dockerfile", "dockerfile"),
        ("api.Containerfile", "dockerfile"),
        ("Dockerfile-alpine", "dockerfile"),
        ("build-Dockerfile", "dockerfile"),
        ("Containerfile-dev", "dockerfile"),
        ("Dockerfile-lint.yml", "kubernetes"),
        ("compose.yaml", "compose"),
        (".github/workflows/ci.yml", "actions"),
        ("actions/setup/action.yaml", "actions"),
        (".gitlab-ci.yml", "gitlab"),
        ("docker-bake.hcl", "bake"),
        ("docker-bake.override.json", "bake"),
        ("deploy/app.yaml", "kubernetes"),
        ("README.md", None),
        ("docs/Dockerfile.md", None),
    ],
)
def test_discovery_names(rel: str, source: str | None) -> None:
    assert classify(rel) == source
    assert is_dockerfile_name(rel.rsplit("/", 1)[-1]) is (source == "dockerfile")


def tree(root: Path) -> None:
    files = {
        "Dockerfile-alpine": "FROM alpine:3.20\n",
        "compose.yaml": "services:\n  a:\n    image: redis:7.2\n",
        ".github/workflows/ci.yml": WORKFLOW,
        ".gitlab-ci.yml": GITLAB,
        "deploy/app.yaml": MANIFESTS,
        "deploy/chart/templates/d.yaml": "apiVersion: v1\nkind: Pod\nimage: {{ .Values.image }}\n",
        "vendor/Dockerfile": "FROM vendored:1\n",
        "notes/values.yaml": "replicas: 2\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def sources_of(inventory: Inventory) -> set[str]:
    return {u.kind.value for u in inventory.uses}


def test_every_source_and_the_switches(tmp_path: Path) -> None:
    tree(tmp_path)
    found = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert sources_of(found) == {"from", "compose", "workflow", "gitlab-ci", "kubernetes"}
    assert "deploy/chart/templates/d.yaml" not in found.files  # a Helm template: skipped
    assert "notes/values.yaml" not in found.files  # YAML, but no manifest
    only = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path, sources=["actions"])
    assert sources_of(only) == {"workflow"}
    config = Config(
        sources=SourceSettings(("dockerfile", "kubernetes"), include=("deploy/**", "*-alpine"))
    )
    chosen = find_image_uses([tmp_path], config, environ={}, root=tmp_path)
    assert chosen.files == ("Dockerfile-alpine", "deploy/app.yaml")
    config = Config(sources=SourceSettings(exclude=("**/*.yaml", ".github")))
    rest = find_image_uses([tmp_path], config, environ={}, root=tmp_path)
    assert sources_of(rest) == {"from", "gitlab-ci"}


def test_sources_config_is_validated(tmp_path: Path) -> None:
    toml = tmp_path / "driftwatch.toml"
    toml.write_text('[sources]\nenabled = ["actions", "bake"]\ninclude = ["ci/**"]\n')
    assert load_config(toml).sources == SourceSettings(("actions", "bake"), ("ci/**",))
    toml.write_text('[sources]\nenabled = ["helm"]\n')
    with pytest.raises(ConfigError, match=r"sources.enabled\[0\] = 'helm': should be 'dockerfile'"):
        load_config(toml)
    toml.write_text("[sources]\nfollow = true\n")
    with pytest.raises(ConfigError, match="unknown key 'sources.follow'"):
        load_config(toml)


def test_sources_flag_on_the_command_line(tmp_path: Path) -> None:
    tree(tmp_path)
    done = run_driftwatch(tmp_path, "images", "--sources", "gitlab,kubernetes", ".")
    assert done.returncode == 0, done.stderr
    kinds = {line.split("\t")[1] for line in done.stdout.splitlines()}
    assert kinds == {"gitlab-ci", "kubernetes"}
    bad = run_driftwatch(tmp_path, "lint", "--sources", "helm", ".")
    assert bad.returncode == 2 and "unknown source 'helm'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_lint_reports_new_sources_once(tmp_path: Path) -> None:
    tree(tmp_path)
    found = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path, sources=["gitlab"])
    findings = lint(found)
    assert len(findings) == len(set(findings))
    assert [f.line for f in findings if f.rule_id == "DW004"] == [18]


def test_images_skaffold_builds_are_the_projects_own(tmp_path: Path) -> None:
    """GoogleCloudPlatform/microservices-demo: manifests name `image: adservice`, built by skaffold."""
    files = {
        "skaffold.yaml": (
            "apiVersion: skaffold/v3\nkind: Config\nbuild:\n  artifacts:\n"
            "  - image: adservice\n    context: src/adservice\n---\napiVersion: skaffold/v3\n"
            "kind: Config\nprofiles:\n- name: x\n  build:\n    artifacts:\n    - image: gcr.io/o/cart\n"
        ),
        "deploy/app.yaml": (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
            "  - {name: a, image: adservice}\n  - {name: c, image: 'gcr.io/o/cart:v3'}\n"
            "  - {name: r, image: 'redis:7.2-alpine'}\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = find_image_uses([tmp_path], Config(), environ={}, root=tmp_path)
    assert [str(u.reference) for u in found.uses] == ["docker.io/library/redis:7.2-alpine"]


def test_workflow_matrix_include_entries() -> None:
    text = (
        "jobs:\n  t:\n    strategy:\n      matrix:\n        include:\n"
        "          - os: debian:bookworm\n          - os: 'ubuntu:24.04'\n"
        "    container: ${{ matrix.os }}\n"
    )
    uses, _ = parse_workflow(text, ".github/workflows/m.yml")
    assert rows(uses, text) == [
        (6, 17, "debian:bookworm", "docker.io/library/debian:bookworm"),
        (7, 18, "ubuntu:24.04", "docker.io/library/ubuntu:24.04"),
    ]


def test_gitlab_jobs_extending_a_template_are_its_users() -> None:
    text = (
        ".py:\n  image: python:3.12-slim-bookworm\n  variables: {X: '1'}\n"
        "lint:\n  extends: .py\n  script: [ruff]\n"
        "test:\n  extends: [.py]\n  image: python:3.13-slim-bookworm\n"
    )
    uses, _ = parse_gitlab(text, ".gitlab-ci.yml")
    assert [(u.line, u.notes[0]) for u in uses] == [(2, "job .py, job lint"), (9, "job test")]
