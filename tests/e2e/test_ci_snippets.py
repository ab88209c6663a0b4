"""The snippets of docs/ci.md ("Use it in CI") run for real where they can run here: the `pipx run`
workflow step, the shell lines for Jenkins or any CI (with Debian's externally managed python3 first
on PATH), and the Kubernetes CronJob's container script as its four Indexed pods would run it,
writing to one PostgreSQL history. `driftwatch==0.1.0` resolves to this checkout's wheel, which
pip finds through find-links as an index would serve the release. (Validators: tests/test_ci_validators.py.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.docs_snippets import snippets
from tests.e2e.guard import driftwatch, make_project
from tests.names import unique_name
from tests.packaging import Dists
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, push_index

SYSTEM_PATH = f"/usr/bin{os.pathsep}/bin"


def _snippet(language: str, containing: str) -> str:
    [text] = [s.text for s in snippets(language, "ci.md") if containing in s.text]
    return text


@pytest.fixture(scope="module")
def job_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CI jobs' TMPDIR, shared by this module's tests so the system-python venv that the shell
    and the Kubernetes snippets both make (`$TMPDIR/driftwatch-venv`) is installed once."""
    return tmp_path_factory.mktemp("job-tmp")


def _pip_env(job_tmp: Path, dists: Dists) -> dict[str, str]:
    """The environment of a CI job whose package index serves this checkout's wheel (find-links:
    a URL constraint would do too, but pip before 23.1, Debian 12's, ignores it with extras)."""
    links = f"{dists.wheel.parent} {os.environ.get('PIP_FIND_LINKS', '')}".strip()
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DRIFTWATCH_NOTIFY", "DRIFTWATCH_DB", "VIRTUAL_ENV"))
    }
    return inherited | {"PIP_FIND_LINKS": links, "TMPDIR": str(job_tmp)}


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def moved(tmp_path: Path, registry: RegistryServer) -> Path:
    """A repository locked on bullseye whose tag then moved to bookworm."""
    name = unique_name("dw-snippet")  # the registry lives for the session: a name of its own
    root = make_project(tmp_path / "repo", registry, {"Dockerfile": f"FROM {name}:1\n"})
    (root / ".git").mkdir()
    push_index(registry, f"library/{name}", "1", debian_index("bullseye", seed="c1"))
    assert driftwatch(root, "lock").returncode == 0
    push_index(registry, f"library/{name}", "1", debian_index("bookworm", seed="c2"))
    return root


def test_pipx_run_step_fails_the_job_on_the_os_move(
    moved: Path,
    tmp_path: Path,
    job_tmp: Path,
    dists: Dists,
) -> None:
    workflow = yaml.safe_load(_snippet("yaml", "pipx run"))
    [step] = [s for s in workflow["jobs"]["driftwatch"]["steps"] if "run" in s]
    tools = tmp_path / "bin"
    tools.mkdir()
    pipx = shutil.which("pipx", path=str(Path(sys.executable).parent))
    assert pipx, "pipx comes with the test extra"
    (tools / "pipx").symlink_to(pipx)
    env = _pip_env(job_tmp, dists) | {
        "PATH": f"{tools}{os.pathsep}{SYSTEM_PATH}",
        "PIPX_HOME": str(tmp_path / "pipx"),
        "GITHUB_ACTIONS": "true",
    }
    done = _bash(step["run"], moved, env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "::error file=Dockerfile,line=1,col=6,title=os-release" in done.stdout


def test_shell_lines_for_any_ci_run_with_the_system_python(
    moved: Path,
    job_tmp: Path,
    dists: Dists,
) -> None:
    script = _snippet("sh", "python3 -m venv")
    done = _bash(script, moved, _pip_env(job_tmp, dists) | {"PATH": SYSTEM_PATH})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in done.stdout
    assert json.loads((moved / "driftwatch.sarif").read_text())["runs"][0]["results"]
    venv = job_tmp / "driftwatch-venv"
    assert (venv / "bin" / "python").resolve() == Path("/usr/bin/python3").resolve()


def test_jenkinsfile_runs_the_tested_shell_lines() -> None:
    jenkinsfile = _snippet("groovy", "pipeline {")
    body = jenkinsfile.split("sh '''\n", 1)[1].split("'''", 1)[0]
    assert textwrap.dedent(body).strip() == _snippet("sh", "python3 -m venv").strip()
    assert "credentials('driftwatch-notify')" in jenkinsfile  # the secret goes in the environment


def _manifests() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(_snippet("yaml", "kind: CronJob")) if d]


def test_cronjob_is_indexed_with_one_shard_per_completion() -> None:
    [config_map, cron_job] = _manifests()
    job = cron_job["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed" and job["completions"] == job["parallelism"]
    [container] = job["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["SHARDS"]["value"] == str(job["completions"])
    for secret in ("DRIFTWATCH_DB", "DRIFTWATCH_NOTIFY"):
        assert env[secret]["valueFrom"]["secretKeyRef"]["name"] == "driftwatch"
    assert '--shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS"' in container["args"][0]
    assert "@sha256:" in container["image"]
    [mount] = [m for m in container["volumeMounts"] if m["name"] == "config"]
    assert env["DRIFTWATCH_CONFIG"]["value"] == f"{mount['mountPath']}/driftwatch.toml"
    assert "driftwatch.toml" in config_map["data"]


def test_cronjob_pods_scan_their_shards_into_one_postgresql_history(
    tmp_path: Path,
    job_tmp: Path,
    registry: RegistryServer,
    postgres_url: str,
    dists: Dists,
) -> None:
    """Each Indexed pod's script, run as Kubernetes would (its env, its completion index)."""
    [config_map, cron_job] = _manifests()
    job = cron_job["spec"]["jobTemplate"]["spec"]
    [container] = job["template"]["spec"]["containers"]
    assert container["command"] == ["/bin/sh", "-ec"]
    watch = config_map["data"]["driftwatch.toml"]
    images = [line.strip().strip('",') for line in watch.splitlines() if line.startswith("  ")]
    assert len(images) == 4
    for number, image in enumerate(images):
        repository, tag = image.split(":")
        push_index(
            registry, f"library/{repository}", tag, debian_index("bookworm", seed=f"k{number}")
        )
    config = tmp_path / "driftwatch.toml"  # the ConfigMap, sent to the suite's registry
    config.write_text(
        watch + f'retries = 0\n[registries."docker.io"]\nendpoint = "{registry.url}"\n'
    )
    assert driftwatch(tmp_path, "db", "upgrade", "--db", postgres_url).returncode == 0
    env = _pip_env(job_tmp, dists) | {
        e["name"]: e["value"] for e in container["env"] if "value" in e
    }
    env |= {
        "PATH": SYSTEM_PATH,
        "HOME": str(tmp_path),
        "DRIFTWATCH_CONFIG": str(config),
        "DRIFTWATCH_DB": postgres_url,
    }
    script = container["args"][0]
    scan = script.rstrip().splitlines()[-1]
    assert scan.startswith('exec "$venv/bin/driftwatch" scan')
    venv_line = script.splitlines()[0]
    checked = []
    for index in range(job["completions"]):
        # the first pod runs the whole script; the others its first and last lines (the venv's
        # path and the scan): their install lines are the same and would only redo what is there
        done = subprocess.run(
            ["/bin/sh", "-ec", script if index == 0 else f"{venv_line}\n{scan}"],
            cwd=tmp_path,
            env=env | {"JOB_COMPLETION_INDEX": str(index)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        checked.append(done.stdout)
    assert (job_tmp / "driftwatch-venv" / "bin" / "python").resolve() == Path(
        "/usr/bin/python3"
    ).resolve()
    for image in images:
        history = driftwatch(tmp_path, "history", image, "--db", postgres_url, "--format", "json")
        assert history.returncode == 0, history.stderr
        assert "bookworm" in history.stdout
        assert sum(image in out for out in checked) == 1, (image, checked)
