"""ci/github/action.yml, run the way a GitHub runner runs a composite action.

The simulated runner parses the YAML, substitutes `${{ inputs.x }}`, `${{ github.action_path }}`,
`${{ github.workspace }}` and `${{ steps.<id>.outputs.<name> }}` (any other expression fails the
test), and runs each `run:` with `bash --noprofile --norc -eo pipefail` and the step's `env`, in
GITHUB_WORKSPACE, with a fresh GITHUB_OUTPUT file per step and GITHUB_STEP_SUMMARY set. The
install step is replaced by a no-op because driftwatch is already installed in this venv (its
console script comes first on PATH); everything else runs exactly as written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.bench.distros import debian_index
from tests.bench.registry import RegistryServer, free_port, push_index
from tests.e2e.guard import driftwatch, make_project
from tests.receivers import HttpReceiver

ACTION_DIR = Path(__file__).parents[2] / "ci" / "github"
SCHEMA = Path(__file__).parents[1] / "assets" / "sarif-schema-2.1.0.json"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load_action() -> dict[str, Any]:
    data = yaml.safe_load((ACTION_DIR / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


@dataclass
class Run:
    """What the action left behind: exit status, outputs, step outputs and the job summary."""

    status: int
    outputs: dict[str, str]
    summary: str
    logs: list[str] = field(default_factory=list)


def parse_output_file(text: str) -> dict[str, str]:
    """`name=value` and `name<<DELIM ... DELIM` lines, as the runner reads $GITHUB_OUTPUT."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[name] = "\n".join(body)
        elif line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def substitute(text: str, context: Mapping[str, Any]) -> str:
    """Replace every `${{ expr }}` the action may use; an unknown one is a test failure."""

    def value(match: re.Match[str]) -> str:
        parts = match.group(1).split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return str(context["inputs"][parts[1]])
        if parts[0] == "github" and len(parts) == 2 and parts[1] in context["github"]:
            return str(context["github"][parts[1]])
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return context["steps"].get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"the simulated runner does not know ${{{{ {match.group(1)} }}}}")

    return EXPRESSION.sub(value, text)


def run_action(
    workspace: Path, inputs: Mapping[str, str], tmp: Path, first_on_path: Path | None = None
) -> Run:
    """Run every step of the composite action; stop at the first failing step, like a runner."""
    action = load_action()
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    context: dict[str, Any] = {
        "inputs": {**given, **inputs},
        "github": {"action_path": str(ACTION_DIR), "workspace": str(workspace)},
        "steps": {},
    }
    summary = tmp / "step_summary.md"
    summary.write_text("")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    if first_on_path is not None:
        path = f"{first_on_path}{os.pathsep}{path}"
    run = Run(0, {}, "")
    for number, step in enumerate(action["runs"]["steps"]):
        assert set(step) <= {"name", "id", "shell", "env", "run"}, step
        output = tmp / f"output_{number}"
        output.write_text("")
        script = substitute(step["run"], context)
        if step["name"].startswith("Install"):
            # driftwatch is importable from this venv already: installing it again is a no-op
            assert "pip install" in script
            script = "true"
        env = {key: substitute(str(v), context) for key, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workspace,
            env={
                **os.environ,
                **env,
                "PATH": path,
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        run.logs.append(done.stdout + done.stderr)
        if "id" in step:
            context["steps"][step["id"]] = parse_output_file(output.read_text())
        if done.returncode != 0:
            run.status = done.returncode
            break
    run.outputs = {
        name: substitute(str(spec["value"]), context) for name, spec in action["outputs"].items()
    }
    run.summary = summary.read_text()
    return run


def test_action_shape() -> None:
    action = load_action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {
        "paths",
        "lockfile",
        "fail-on",
        "format",
        "notify",
        "version",
        "sarif",
    }
    assert set(action["outputs"]) == {"drift", "changed", "sarif"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    ids = {step.get("id") for step in action["runs"]["steps"]}
    for name, spec in action["outputs"].items():
        assert spec.get("description"), name
        refs = re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", spec["value"])
        assert refs and all(step in ids for step, _ in refs), name
    for step in action["runs"]["steps"]:
        assert step.get("name") and step.get("run")
        assert step.get("shell") == "bash", step["name"]
        # inputs reach scripts through env only: no expression inside a script (injection)
        assert "${{" not in step["run"], step["name"]


def test_output_file_parser_reads_both_forms() -> None:
    text = "a=1\nb<<EOF_x\nline 1\nline 2\nEOF_x\nc=x=y\n"
    assert parse_output_file(text) == {"a": "1", "b": "line 1\nline 2", "c": "x=y"}


def test_unknown_expression_fails_the_simulation() -> None:
    with pytest.raises(AssertionError, match="does not know"):
        substitute("${{ secrets.TOKEN }}", {"inputs": {}, "github": {}, "steps": {}})


@pytest.fixture
def workspace(tmp_path: Path, registry: RegistryServer) -> Path:
    """A checked-out repository locked on bullseye whose tag then moved to bookworm."""
    root = make_project(tmp_path / "workspace", registry, {"Dockerfile": "FROM dw-action:1\n"})
    (root / ".git").mkdir()
    push_index(registry, "library/dw-action", "1", debian_index("bullseye", seed="a1"))
    assert driftwatch(root, "lock").returncode == 0
    push_index(registry, "library/dw-action", "1", debian_index("bookworm", seed="a2"))
    return root


def test_action_fails_on_the_os_move_with_outputs_summary_and_sarif(
    workspace: Path, tmp_path: Path
) -> None:
    run = run_action(workspace, {}, tmp_path)
    assert run.status == 1, run.logs
    assert run.outputs == {"drift": "true", "changed": "1", "sarif": "driftwatch.sarif"}
    log = run.logs[-1]
    assert "::error file=Dockerfile,line=1,col=6,title=os-release" in log
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in log
    assert run.summary.startswith("### driftwatch check\n\n| Severity | Rule |")
    assert run.summary.count("| error | os-release | `Dockerfile:1:6` |") == 2
    sarif = json.loads((workspace / "driftwatch.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    assert len(sarif["runs"][0]["results"]) == 2


def test_action_passes_below_the_policy_and_alerts(workspace: Path, tmp_path: Path) -> None:
    with HttpReceiver() as receiver:
        run = run_action(
            workspace,
            {"fail-on": "never", "format": "text", "sarif": "", "notify": receiver.url()},
            tmp_path,
        )
        assert run.status == 0, run.logs
        assert run.outputs == {"drift": "false", "changed": "1", "sarif": ""}
        assert run.summary == ""  # the job summary is the github format's
        assert "warning os-release" in run.logs[-1]
        assert not (workspace / "driftwatch.sarif").exists()
        [post] = receiver.posts
    assert "bookworm" in json.loads(post.body)["message"]


def test_action_after_relock_reports_no_drift(workspace: Path, tmp_path: Path) -> None:
    subfolder = workspace / "sub"
    subfolder.mkdir()
    assert driftwatch(subfolder, "lock").returncode == 0
    run = run_action(workspace, {"paths": "Dockerfile", "lockfile": "driftwatch.lock"}, tmp_path)
    assert run.status == 0, run.logs
    assert run.outputs == {"drift": "false", "changed": "0", "sarif": "driftwatch.sarif"}
    assert "No findings." in run.summary


def test_action_missing_lock_file_exits_2(workspace: Path, tmp_path: Path) -> None:
    run = run_action(workspace, {"lockfile": "nope.lock"}, tmp_path)
    assert run.status == 2
    assert "nope.lock does not exist" in run.logs[-1]
    assert run.outputs == {"drift": "", "changed": "", "sarif": ""}


def test_failed_alert_is_a_warning_without_the_secret(workspace: Path, tmp_path: Path) -> None:
    url = f"json://bot:Hush-Token-77@127.0.0.1:{free_port()}/hook"
    shims = tmp_path / "shims"
    shims.mkdir()
    argv_log = tmp_path / "argv.log"
    real = Path(sys.executable).parent / "driftwatch"
    shim = shims / "driftwatch"
    shim.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" >> {argv_log}\nexec {real} "$@"\n')
    shim.chmod(0o755)
    run = run_action(workspace, {"notify": url, "fail-on": "never"}, tmp_path, shims)
    assert run.status == 0, run.logs
    assert "alert to" in run.logs[-1] and "failed" in run.logs[-1]
    assert "Hush-Token-77" not in run.logs[-1] + run.summary
    # the URL reached driftwatch through DRIFTWATCH_NOTIFY, not its (world-readable) command line
    argv = argv_log.read_text()
    assert "check" in argv and "Hush-Token-77" not in argv and "--notify" not in argv
