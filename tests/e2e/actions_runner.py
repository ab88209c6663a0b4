"""A composite action (ci/github/action.yml) run the way a GitHub runner runs it.

The simulated runner parses the YAML and substitutes `${{ inputs.x }}`, `${{ github.action_path }}`,
`${{ github.workspace }}` and `${{ steps.<id>.outputs.<name> }}` (any other expression fails the
test). Each `run:` step runs with `bash --noprofile --norc -eo pipefail` and the step's `env`, in
GITHUB_WORKSPACE, with a fresh GITHUB_OUTPUT file per step, GITHUB_STEP_SUMMARY, RUNNER_TEMP,
RUNNER_OS and RUNNER_ARCH set. `if:` takes `a == 'x'`, `a != 'x'` joined by `&&`;
`continue-on-error` is honoured. The only `uses:` steps known are `actions/cache/restore` and
`actions/cache/save`, backed by a folder standing for the runner's cache service. Nothing is
replaced: the install step installs for real.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACTION_DIR = Path(__file__).parents[2] / "ci" / "github"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"^\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*$")
RUN_KEYS = {"name", "id", "shell", "env", "run", "if", "continue-on-error"}
USES_KEYS = {"name", "id", "uses", "with", "if", "continue-on-error"}


def load_action() -> dict[str, Any]:
    data = yaml.safe_load((ACTION_DIR / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


@dataclass
class Runner:
    """One simulated runner machine: its temp folder, its cache service and its PATH."""

    temp: Path
    cache: Path
    path: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Run:
    """What the action left behind: exit status, outputs, per-step logs and the job summary."""

    status: int
    outputs: dict[str, str]
    summary: str
    logs: dict[str, str] = field(default_factory=dict)
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def log(self) -> str:
        """Every step's log, in order."""
        return "\n".join(self.logs.values())


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


def lookup(name: str, context: Mapping[str, Any]) -> str:
    """The value of one context name the action may use; an unknown one is a test failure."""
    parts = name.split(".")
    if parts[0] == "inputs" and len(parts) == 2:
        return str(context["inputs"][parts[1]])
    if parts[0] == "github" and len(parts) == 2 and parts[1] in context["github"]:
        return str(context["github"][parts[1]])
    if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
        return str(context["steps"].get(parts[1], {}).get(parts[3], ""))
    raise AssertionError(f"the simulated runner does not know ${{{{ {name} }}}}")


def substitute(text: str, context: Mapping[str, Any]) -> str:
    """Replace every `${{ expr }}`."""
    return EXPRESSION.sub(lambda match: lookup(match.group(1), context), text)


def condition(text: str, context: Mapping[str, Any]) -> bool:
    """An `if:` made of `name == 'x'` / `name != 'x'` terms joined by `&&`."""
    result = True
    for term in text.split("&&"):
        match = CONDITION.match(term)
        assert match, f"the simulated runner does not evaluate if: {text}"
        name, operator, literal = match.groups()
        equal = lookup(name, context) == literal
        result = result and (equal if operator == "==" else not equal)
    return result


def cache_step(uses: str, given: Mapping[str, str], runner: Runner) -> tuple[dict[str, str], str]:
    """actions/cache/restore or /save against the runner's cache folder (one entry per key)."""
    path, key = Path(given["path"]), given["key"]
    entry = runner.cache / key
    if uses.startswith("actions/cache/restore@"):
        if not entry.exists():
            return {"cache-hit": "false"}, f"Cache not found for input keys: {key}"
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(entry, path, symlinks=True)
        return {"cache-hit": "true", "cache-primary-key": key}, f"Cache restored from key: {key}"
    assert uses.startswith("actions/cache/save@"), f"the simulated runner cannot run {uses}"
    if entry.exists():
        return {}, f"Failed to save: cache entry {key} already exists"
    shutil.copytree(path, entry, symlinks=True)
    return {}, f"Cache saved with key: {key}"


def run_action(
    workspace: Path, inputs: Mapping[str, str], runner: Runner, *, until: str = ""
) -> Run:
    """Run every step of the composite action; stop at the first failing step, like a runner
    (or after the step whose id is `until`). `step_outputs` keeps each step's outputs."""
    action = load_action()
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    context: dict[str, Any] = {
        "inputs": {**given, **inputs},
        "github": {"action_path": str(ACTION_DIR), "workspace": str(workspace)},
        "steps": {},
    }
    runner.temp.mkdir(parents=True, exist_ok=True)
    summary = runner.temp / "step_summary.md"
    summary.write_text("")
    run = Run(0, {}, "")
    for number, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not condition(step["if"], context):
            continue
        if "uses" in step:
            assert set(step) <= USES_KEYS, step
            with_ = {k: substitute(str(v), context) for k, v in step.get("with", {}).items()}
            outputs, log = cache_step(step["uses"], with_, runner)
            status = 0
        else:
            assert set(step) <= RUN_KEYS, step
            outputs, log, status = _run_step(step, number, context, workspace, runner, summary)
        run.logs[step["name"]] = log
        if "id" in step:
            context["steps"][step["id"]] = outputs
        if status != 0 and not step.get("continue-on-error"):
            run.status = status
            break
        if until and step.get("id") == until:
            break
    run.outputs = {
        name: substitute(str(spec["value"]), context) for name, spec in action["outputs"].items()
    }
    run.summary = summary.read_text()
    run.step_outputs = context["steps"]
    return run


def _run_step(
    step: Mapping[str, Any],
    number: int,
    context: Mapping[str, Any],
    workspace: Path,
    runner: Runner,
    summary: Path,
) -> tuple[dict[str, str], str, int]:
    """One `run:` step in bash as the runner starts it: (outputs, log, exit status)."""
    output = runner.temp / f"output_{number}"
    output.write_text("")
    env = {key: substitute(str(v), context) for key, v in step.get("env", {}).items()}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env={
            **os.environ,
            **runner.env,
            **env,
            "PATH": runner.path,
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner.temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return parse_output_file(output.read_text()), done.stdout + done.stderr, done.returncode
