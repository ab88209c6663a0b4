"""Every CI file we ship passes its ecosystem's own validator, run here for real.

actionlint (with shellcheck for `run:` scripts) on the GitHub workflows, the example workflows and
the workflow snippets in the docs, with our own action next to them so their `with:` inputs are
checked against action.yml; check-jsonschema's vendored schemas on action.yml, the workflows and
the GitLab template and the docs' GitLab snippet; `pre-commit validate-config` on the docs'
pre-commit snippet; shellcheck on the action's and the docs' scripts; the Kubernetes 1.37 schemas
(shipped offline by the kubernetes-validate wheel) on the docs' manifests, through check-jsonschema;
`pre-commit try-repo` running our hook.
Each validator is also shown to reject a broken file, so a pass means something.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from driftwatch import parse_reference
from tests.docs_snippets import Snippet, snippets

pytestmark = pytest.mark.slow  # runs actionlint, check-jsonschema, pre-commit and shellcheck

REPO = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
ACTION = REPO / "ci" / "github" / "action.yml"
GITLAB = REPO / "ci" / "gitlab" / "driftwatch.gitlab-ci.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
OUR_ACTION = re.compile(r"your-org/driftwatch/ci/github@[\w.-]+")


def _tool(name: str) -> str:
    """A validator from the test extra (this venv) or the machine (ci/setup-test.sh)."""
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    assert found, f"{name} is missing: run ci/setup-test.sh"
    return found


def _run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # actionlint finds shellcheck on PATH
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _workflow_repo(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A git repository with our action at ./ci/github and `workflows` using it locally."""
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "ci" / "github").mkdir(parents=True)
    shutil.copy(ACTION, root / "ci" / "github" / "action.yml")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name, text in workflows.items():
        (root / ".github" / "workflows" / name).write_text(OUR_ACTION.sub("./ci/github", text))
    return root


def _actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    files = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert files
    return _run(_tool("actionlint"), "-oneline", *files, cwd=root)


def _docs_workflows() -> dict[str, str]:
    """The GitHub workflow snippets in docs/ (YAML blocks with `jobs:` and `on:`)."""
    found = {}
    for snippet in snippets("yaml"):
        if "\n---\n" in snippet.text:
            continue  # several documents: Kubernetes manifests, never a workflow
        data = yaml.safe_load(snippet.text)
        if isinstance(data, dict) and "jobs" in data and ("on" in data or True in data):  # YAML 1.1
            found[f"{snippet.name}.yml"] = snippet.text
    return found


def test_shellcheck_and_actionlint_are_real() -> None:
    assert "actionlint" in _run(_tool("actionlint"), "-version").stdout
    assert _run(_tool("shellcheck"), "--version").returncode == 0


def test_shipped_and_documented_workflows_pass_actionlint(tmp_path: Path) -> None:
    workflows = {path.name: path.read_text() for path in WORKFLOWS} | _docs_workflows()
    assert {"ci.yml", "release.yml", "driftwatch-nightly.example.yml"} <= set(workflows)
    assert len([name for name in workflows if name.startswith("ci.md-")]) == 2
    done = _actionlint(_workflow_repo(tmp_path, workflows))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "fail-on: release\n",
            "fail-on: release\n          bogus: 1\n",
            'input "bogus" is not defined',
        ),
        ("outputs.sarif != ''", "outputs.sarf != ''", 'property "sarf" is not defined'),
        ('cron: "17 3 * * *"', 'cron: "17 3 * *"', "invalid CRON format"),
    ],
)
def test_actionlint_rejects_a_broken_workflow(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    text = (REPO / ".github" / "workflows" / "driftwatch-nightly.example.yml").read_text()
    assert old in text
    done = _actionlint(_workflow_repo(tmp_path, {"broken.yml": text.replace(old, new)}))
    assert done.returncode == 1 and says in done.stdout, done.stdout


def _schema(builtin: str, *files: Path, transform: str = "") -> subprocess.CompletedProcess[str]:
    extra = ("--data-transform", transform) if transform else ()
    return _run(_tool("check-jsonschema"), "--builtin-schema", builtin, *extra, *files)


def test_action_matches_the_github_actions_schema() -> None:
    done = _schema("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_github_workflows_schema() -> None:
    done = _schema("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_template_matches_the_gitlab_ci_schema() -> None:
    done = _schema("vendor.gitlab-ci", GITLAB, transform="gitlab-ci")
    assert done.returncode == 0, done.stdout + done.stderr


def test_schemas_reject_broken_files(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text(ACTION.read_text().replace("using: composite", "using: compose"))
    assert _schema("vendor.github-actions", action).returncode == 1
    gitlab = tmp_path / "gitlab.yml"
    gitlab.write_text(GITLAB.read_text().replace("when: always", "when: sometimes"))
    assert _schema("vendor.gitlab-ci", gitlab, transform="gitlab-ci").returncode == 1


def _action_scripts() -> list[tuple[str, str]]:
    action: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return [(s["name"], s["run"]) for s in action["runs"]["steps"] if "run" in s]


@pytest.mark.parametrize(("name", "script"), _action_scripts())
def test_action_scripts_pass_shellcheck(tmp_path: Path, name: str, script: str) -> None:
    file = tmp_path / "step.sh"
    file.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
    done = _run(_tool("shellcheck"), "--severity=style", file)
    assert done.returncode == 0, f"{name}:\n{done.stdout}"


def test_gitlab_image_is_pinned_by_digest_with_its_os_release_named() -> None:
    job = yaml.safe_load(GITLAB.read_text())["driftwatch"]
    image = parse_reference(job["image"])
    assert image.digest and re.fullmatch(r"sha256:[0-9a-f]{64}", image.digest)
    assert image.tag and "bookworm" in image.tag


PINNED = f"FROM python:3.12-slim-bookworm@sha256:{'1' * 64}\n"


def test_pre_commit_try_repo_runs_the_lint_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pre-commit try-repo` installs the hook from this checkout (no network) and runs it."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    sample = tmp_path / "sample"
    (sample / "svc").mkdir(parents=True)
    (sample / "Dockerfile").write_text(PINNED)
    (sample / "svc" / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (sample / "README.md").write_text("FROM python:3.12-slim\n")  # not a file the hook takes
    subprocess.run(["git", "init", "-q", str(sample)], check=True)
    subprocess.run(["git", "-C", str(sample), "add", "."], check=True)
    try_repo = (_tool("pre-commit"), "try-repo", REPO, "driftwatch-lint", "--all-files")
    dirty = _run(*try_repo, cwd=sample)
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert "svc/Dockerfile:1:6: warning DW003" in dirty.stdout
    assert "README.md" not in dirty.stdout
    (sample / "svc" / "Dockerfile").write_text(PINNED)
    subprocess.run(["git", "-C", str(sample), "add", "."], check=True)
    clean = _run(*try_repo, cwd=sample)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"driftwatch lint\.+Passed", clean.stdout)


def _ci_page(language: str, containing: str) -> str:
    [text] = [s.text for s in snippets(language, "ci.md") if containing in s.text]
    return text


def test_docs_gitlab_snippet_matches_the_gitlab_ci_schema(tmp_path: Path) -> None:
    snippet = tmp_path / "gitlab-ci.yml"
    snippet.write_text(_ci_page("yaml", "ci/gitlab/driftwatch.gitlab-ci.yml"))
    done = _schema("vendor.gitlab-ci", snippet, transform="gitlab-ci")
    assert done.returncode == 0, done.stdout + done.stderr


def test_docs_pre_commit_snippet_is_a_valid_config_of_our_hooks(tmp_path: Path) -> None:
    text = _ci_page("yaml", "repos:")
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(text)
    done = _run(_tool("pre-commit"), "validate-config", config)
    assert done.returncode == 0, done.stdout + done.stderr
    ours = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    [repo] = yaml.safe_load(text)["repos"]
    assert {hook["id"] for hook in repo["hooks"]} == ours
    config.write_text(text.replace("rev: v0.1.0", "revision: v0.1.0"))
    assert _run(_tool("pre-commit"), "validate-config", config).returncode != 0


@pytest.mark.parametrize("snippet", snippets("sh", "ci.md"), ids=lambda s: s.name)
def test_docs_shell_snippets_pass_shellcheck(tmp_path: Path, snippet: Snippet) -> None:
    file = tmp_path / "snippet.sh"
    file.write_text("#!/bin/sh\n" + snippet.text)
    done = _run(_tool("shellcheck"), "--severity=style", file)
    assert done.returncode == 0, done.stdout


def _kubernetes_schema(kind: str, api_version: str, folder: Path) -> Path:
    """The strict JSON schema of a Kubernetes kind as kubernetes-validate ships it (1.37, offline),
    copied into `folder` with its `/api/_definitions.json` references made local to the copy."""
    import kubernetes_validate  # the test extra

    group, _, version = api_version.rpartition("/")
    name = "-".join(part for part in (kind.lower(), group.split(".")[0], version) if part)
    shipped = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    strict = shipped / "v1.37.0-local-strict"
    schema = json.loads((strict / f"{name}.json").read_text())
    del schema["$id"]  # https://kubernetes.io/api/...: resolve the references here instead
    text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
    folder.mkdir(exist_ok=True)
    shutil.copy(strict / "_definitions.json", folder / "_definitions.json")
    (folder / f"{name}.json").write_text(text)
    return folder / f"{name}.json"


def _kubernetes_documents() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(_ci_page("yaml", "kind: CronJob")) if d]


def _check_kubernetes(tmp_path: Path, document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    file = tmp_path / f"{document['kind']}.yaml"
    file.write_text(yaml.safe_dump(document))
    schema = _kubernetes_schema(document["kind"], document["apiVersion"], tmp_path / "schemas")
    return _run(_tool("check-jsonschema"), "--schemafile", schema, file)


def test_docs_kubernetes_manifests_match_the_kubernetes_schemas(tmp_path: Path) -> None:
    documents = _kubernetes_documents()
    assert [d["kind"] for d in documents] == ["ConfigMap", "CronJob"]
    for document in documents:
        done = _check_kubernetes(tmp_path, document)
        assert done.returncode == 0, done.stdout + done.stderr
    [_, cron_job] = documents
    script = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    file = tmp_path / "pod.sh"
    file.write_text("#!/bin/sh\n" + script)
    done = _run(_tool("shellcheck"), "--severity=style", file)
    assert done.returncode == 0, done.stdout


def test_kubernetes_schema_rejects_a_misspelt_field(tmp_path: Path) -> None:
    [_, cron_job] = _kubernetes_documents()
    job = cron_job["spec"]["jobTemplate"]["spec"]
    job["completion"] = job.pop("completions")
    assert _check_kubernetes(tmp_path, cron_job).returncode == 1
