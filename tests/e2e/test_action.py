"""ci/github/action.yml run step by step by a simulated runner (tests/e2e/actions_runner.py), the
install included, with Debian's externally managed `/usr/bin/python3` first on PATH and no
driftwatch on it. The virtual environment is built once per session (then restored from the
simulated cache), so only the first test pays for the install."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import html5lib
import jsonschema
import pytest
import yaml

from driftwatch import __version__
from tests.e2e.actions_runner import (
    Run,
    Runner,
    condition,
    load_action,
    parse_output_file,
    run_action,
    substitute,
)
from tests.e2e.guard import driftwatch, make_project
from tests.names import unique_name
from tests.packaging import Dists
from tests.receivers import HttpReceiver, Post
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, free_port, push_index

SCHEMA = Path(__file__).parents[1] / "assets" / "sarif-schema-2.1.0.json"
SYSTEM_PYTHON = Path("/usr/bin/python3")
NIGHTLY = Path(__file__).parents[2] / ".github" / "workflows" / "driftwatch-nightly.example.yml"
RUNNER_PATH = f"/usr/bin{os.pathsep}/bin"
SECRET = "Hush-Token-77"


def _externally_managed(python: Path) -> bool:
    """PEP 668: the interpreter's stdlib folder carries an EXTERNALLY-MANAGED marker."""
    stdlib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return (Path(stdlib) / "EXTERNALLY-MANAGED").exists()


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """A runner whose PATH starts with Debian's /usr/bin/python3 and has no driftwatch."""
    assert SYSTEM_PYTHON.exists() and _externally_managed(SYSTEM_PYTHON), (
        "these tests need Debian's externally managed /usr/bin/python3 (ci/setup-test.sh)"
    )
    assert shutil.which("driftwatch", path=RUNNER_PATH) is None
    return Runner(
        temp=tmp_path_factory.mktemp("runner-temp"),
        cache=tmp_path_factory.mktemp("runner-cache"),
        path=RUNNER_PATH,
    )


@pytest.fixture(scope="session")
def first_run(runner: Runner, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The session's one real install: `lint` on an empty repository."""
    return run_action(tmp_path_factory.mktemp("empty-repo"), {"command": "lint"}, runner)


@pytest.fixture
def workspace(tmp_path: Path, registry: RegistryServer, first_run: Run) -> Path:
    """A checked-out repository locked on bullseye whose tag then moved to bookworm."""
    name = unique_name("dw-action")  # the registry lives for the session: a name of its own
    root = make_project(tmp_path / "workspace", registry, {"Dockerfile": f"FROM {name}:1\n"})
    (root / ".git").mkdir()
    push_index(registry, f"library/{name}", "1", debian_index("bullseye", seed="a1"))
    assert driftwatch(root, "lock").returncode == 0
    push_index(registry, f"library/{name}", "1", debian_index("bookworm", seed="a2"))
    return root


def test_action_shape() -> None:
    action = load_action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {
        "command",
        "paths",
        "lockfile",
        "fail-on",
        "format",
        "history",
        "notify",
        "version",
        "python",
        "cache",
        "sarif",
        "report",
    }
    assert action["inputs"]["command"]["default"] == "check"
    assert set(action["outputs"]) == {"drift", "changed", "sarif", "report"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    for step in action["runs"]["steps"]:
        assert step.get("name"), step
        if "uses" in step:
            assert step["uses"].split("@")[0] in {"actions/cache/restore", "actions/cache/save"}
            assert step["continue-on-error"] is True  # no cache service: the action goes on
            continue
        assert step.get("shell") == "bash", step["name"]
        # inputs reach scripts through env only: no expression inside a script (injection)
        assert "${{" not in step["run"], step["name"]
        # secrets never reach a command line: notify URLs go through DRIFTWATCH_NOTIFY
        assert "--notify" not in step["run"] and "--db" not in step["run"], step["name"]


def test_simulator_parses_outputs_and_refuses_unknown_expressions() -> None:
    text = "a=1\nb<<EOF_x\nline 1\nline 2\nEOF_x\nc=x=y\n"
    assert parse_output_file(text) == {"a": "1", "b": "line 1\nline 2", "c": "x=y"}
    context = {"inputs": {"cache": "true"}, "github": {}, "steps": {"r": {"cache-hit": "true"}}}
    assert (
        condition("inputs.cache == 'true' && steps.r.outputs.cache-hit != 'true'", context) is False
    )
    assert condition("inputs.cache == 'true'", context) is True
    with pytest.raises(AssertionError, match="does not know"):
        substitute("${{ secrets.TOKEN }}", context)


def test_the_runner_python_refuses_a_plain_pip_install(runner: Runner) -> None:
    """What the old install step did, `python3 -m pip install`, fails on this runner (PEP 668)."""
    done = subprocess.run(
        ["python3", "-m", "pip", "install", "--dry-run", "--no-index", "driftwatch"],
        env={**os.environ, "PATH": runner.path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "externally-managed-environment" in done.stdout + done.stderr


def test_install_goes_into_its_own_venv_under_runner_temp(runner: Runner, first_run: Run) -> None:
    assert first_run.status == 0, first_run.logs
    install = first_run.logs["Install driftwatch"]
    assert f"driftwatch, version {__version__}" in install
    assert "externally-managed" not in install
    [venv] = runner.temp.glob("driftwatch-*/bin/driftwatch")
    assert venv.parents[1].parent == runner.temp
    assert (
        "Cache saved with key: driftwatch-Linux-X64-py3."
        in first_run.logs["Save the driftwatch install"]
    )
    # the venv's interpreter is the runner's, not this test's
    python = (venv.parent / "python").resolve()
    assert python == SYSTEM_PYTHON.resolve()


def test_an_interpreter_from_setup_python_gets_its_own_venv_and_cache_key(
    runner: Runner, first_run: Run, tmp_path: Path
) -> None:
    """With actions/setup-python its python3 comes first on PATH (the `python` input does the same):
    another interpreter, another virtual environment and cache key; the plan alone is run here."""
    toolcache = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    assert toolcache != SYSTEM_PYTHON.resolve()
    tools = tmp_path / "toolcache-bin"
    tools.mkdir()
    (tools / "python3").symlink_to(toolcache)
    other = Runner(runner.temp, runner.cache, f"{tools}{os.pathsep}{RUNNER_PATH}")
    on_path = run_action(tmp_path, {"command": "lint"}, other, until="plan").step_outputs["plan"]
    as_input = run_action(tmp_path, {"python": str(toolcache)}, runner, until="plan")
    system = first_run.step_outputs["plan"]
    assert on_path["python"] == str(tools / "python3")
    assert as_input.step_outputs["plan"]["python"] == str(toolcache)
    assert system["venv"] not in {on_path["venv"], as_input.step_outputs["plan"]["venv"]}
    release = ".".join(map(str, sys.version_info[:3]))
    assert (
        on_path["key"].startswith(f"driftwatch-Linux-X64-py{release}-")
        and on_path["key"] != system["key"]
    )


def test_a_missing_interpreter_is_an_input_error(runner: Runner, tmp_path: Path) -> None:
    run = run_action(tmp_path, {"python": "/nonexistent/python3"}, runner)
    assert run.status == 2
    assert "no '/nonexistent/python3' on PATH" in run.logs["Plan the driftwatch install"]


def test_a_wiped_runner_restores_the_install_from_the_cache(
    runner: Runner, first_run: Run, tmp_path: Path
) -> None:
    for venv in runner.temp.glob("driftwatch-*"):
        shutil.rmtree(venv)  # a new job: RUNNER_TEMP starts empty
    run = run_action(tmp_path, {"command": "lint"}, runner)
    assert run.status == 0, run.logs
    assert "Cache restored from key" in run.logs["Restore the driftwatch install"]
    assert "driftwatch is installed in" in run.logs["Install driftwatch"]
    assert "Save the driftwatch install" not in run.logs  # a hit is not saved again


def test_check_fails_on_the_os_move_with_outputs_summary_and_sarif(
    workspace: Path, runner: Runner
) -> None:
    run = run_action(workspace, {}, runner)
    assert run.status == 1, run.logs
    assert run.outputs == {
        "drift": "true",
        "changed": "1",
        "sarif": "driftwatch.sarif",
        "report": "",
    }
    log = run.logs["Run driftwatch"]
    assert "::error file=Dockerfile,line=1,col=6,title=os-release" in log
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in log
    assert run.summary.startswith("### driftwatch check\n\n| Severity | Rule |")
    assert run.summary.count("| error | os-release | `Dockerfile:1:6` |") == 2
    sarif = json.loads((workspace / "driftwatch.sarif").read_text())
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    rules = sorted(result["ruleId"] for result in sarif["runs"][0]["results"])
    assert rules == ["os-eol", "os-release", "os-release"]  # bullseye, as locked, has ended


class _CommandLineWitness(list[Post]):
    """Records every process command line on this machine at the moment an alert arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.command_lines: list[str] = []

    def append(self, post: Post) -> None:
        self.command_lines += [_command_line(path) for path in Path("/proc").glob("[0-9]*/cmdline")]
        super().append(post)


def _command_line(path: Path) -> str:
    """One process's command line, or '' when it ended meanwhile."""
    with contextlib.suppress(OSError):
        return path.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def test_check_alerts_through_the_environment_never_the_command_line(
    workspace: Path, runner: Runner
) -> None:
    with HttpReceiver() as receiver:
        witness = _CommandLineWitness()
        receiver.posts = witness
        url = f"json://bot:{SECRET}@127.0.0.1:{receiver.port}/hook"
        run = run_action(
            workspace, {"fail-on": "never", "format": "text", "sarif": "", "notify": url}, runner
        )
        assert run.status == 0, run.logs
        assert run.outputs == {"drift": "false", "changed": "1", "sarif": "", "report": ""}
        assert run.summary == ""  # the job summary is the github format's
        assert "warning os-release" in run.logs["Run driftwatch"]
        assert not (workspace / "driftwatch.sarif").exists()
        [post] = receiver.posts
    assert "bookworm" in json.loads(post.body)["message"]
    assert any("driftwatch check" in line for line in witness.command_lines)
    assert not [line for line in witness.command_lines if SECRET in line]


def test_notify_input_adds_to_the_jobs_driftwatch_notify(workspace: Path, runner: Runner) -> None:
    with HttpReceiver() as receiver:
        job = Runner(
            runner.temp, runner.cache, runner.path, {"DRIFTWATCH_NOTIFY": receiver.url("job")}
        )
        inputs = {"fail-on": "never", "format": "text", "notify": receiver.url("input")}
        run = run_action(workspace, inputs, job)
        assert run.status == 0, run.logs
        assert sorted(post.path for post in receiver.posts) == ["/input", "/job"]


def test_check_after_relock_reports_no_drift(workspace: Path, runner: Runner) -> None:
    subfolder = workspace / "sub"
    subfolder.mkdir()
    assert driftwatch(subfolder, "lock").returncode == 0
    run = run_action(workspace, {"paths": "Dockerfile", "lockfile": "driftwatch.lock"}, runner)
    assert run.status == 0, run.logs
    assert run.outputs == {
        "drift": "false",
        "changed": "0",
        "sarif": "driftwatch.sarif",
        "report": "",
    }
    assert "No findings." in run.summary


def test_check_missing_lock_file_exits_2(workspace: Path, runner: Runner) -> None:
    run = run_action(workspace, {"lockfile": "nope.lock"}, runner)
    assert run.status == 2
    assert "nope.lock does not exist" in run.logs["Run driftwatch"]
    assert run.outputs == {"drift": "", "changed": "", "sarif": "", "report": ""}


def test_failed_alert_is_a_warning_without_the_secret(workspace: Path, runner: Runner) -> None:
    url = f"json://bot:{SECRET}@127.0.0.1:{free_port()}/hook"
    run = run_action(workspace, {"notify": url, "fail-on": "never"}, runner)
    assert run.status == 0, run.logs
    assert "alert to" in run.logs["Run driftwatch"] and "failed" in run.logs["Run driftwatch"]
    assert SECRET not in run.log + run.summary


def test_scan_keeps_its_history_at_the_given_path(
    tmp_path: Path, registry: RegistryServer, runner: Runner, first_run: Run
) -> None:
    root = make_project(tmp_path / "repo", registry, {"Dockerfile": "FROM dw-action-scan:1\n"})
    push_index(registry, "library/dw-action-scan", "1", debian_index("bookworm", seed="s1"))
    inputs = {"command": "scan", "history": "state/nightly.db"}
    for _night in range(2):
        quiet = run_action(root, inputs, runner)
        assert quiet.status == 0, quiet.logs
        assert quiet.outputs["drift"] == "false"
    assert (root / "state" / "nightly.db").stat().st_size > 0
    push_index(registry, "library/dw-action-scan", "1", debian_index("trixie", seed="s2"))
    moved = run_action(root, inputs, runner)
    assert moved.status == 1, moved.logs
    assert moved.outputs == {"drift": "true", "changed": "", "sarif": "", "report": ""}
    assert "::error file=Dockerfile,line=1" in moved.logs["Run driftwatch"]


def test_lint_flags_an_unpinned_image(tmp_path: Path, runner: Runner, first_run: Run) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    run = run_action(tmp_path, {"command": "lint"}, runner)
    assert run.status == 1, run.logs
    assert "::warning file=Dockerfile,line=1" in run.logs["Run driftwatch"]
    assert "driftwatch lint" in run.summary


def test_unknown_command_is_an_input_error(tmp_path: Path, runner: Runner, first_run: Run) -> None:
    run = run_action(tmp_path, {"command": "deploy"}, runner)
    assert run.status == 2
    assert "must be check, scan or lint, not 'deploy'" in run.logs["Run driftwatch"]


def _constraint_to(wheel: Path, folder: Path) -> dict[str, str]:
    """pip's environment for `driftwatch==X` served by `wheel`, as a package index would."""
    constraints = folder / "constraints.txt"
    constraints.write_text(f"driftwatch @ {wheel.as_uri()}\n")
    return {"PIP_CONSTRAINT": str(constraints)}


def test_without_venv_support_pipx_installs_the_pinned_release(
    tmp_path: Path,
    dists: Dists,
) -> None:
    """`python3 -m venv` fails as on Debian without python3-venv, pipx is on PATH, and `version`
    pins the release (one install covers both: the pin works the same with either installer)."""
    tools = tmp_path / "bin"
    tools.mkdir()
    python3 = tools / "python3"
    python3.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = venv ]; then\n'
        "  echo 'The virtual environment was not created successfully because ensurepip is not"
        " available.' >&2\n"
        "  exit 1\n"
        "fi\n"
        f'exec {SYSTEM_PYTHON} "$@"\n'
    )
    python3.chmod(0o755)
    pipx = shutil.which("pipx", path=str(Path(sys.executable).parent))
    assert pipx, "pipx comes with the test extra"
    (tools / "pipx").symlink_to(pipx)
    runner = Runner(tmp_path / "temp", tmp_path / "cache", f"{tools}{os.pathsep}{RUNNER_PATH}")
    runner.env = _constraint_to(dists.wheel, tmp_path)
    (tmp_path / "repo").mkdir()
    inputs = {"command": "lint", "cache": "false", "version": __version__}
    run = run_action(tmp_path / "repo", inputs, runner)
    assert run.status == 0, run.logs
    install = run.logs["Install driftwatch"]
    assert "installing with pipx" in install and f"driftwatch, version {__version__}" in install


def test_a_pinned_version_the_index_lacks_fails_the_install(
    tmp_path: Path,
    dists: Dists,
) -> None:
    runner = Runner(tmp_path / "temp", tmp_path / "cache", RUNNER_PATH)
    runner.env = _constraint_to(dists.wheel, tmp_path)
    (tmp_path / "repo").mkdir()
    inputs = {"command": "lint", "version": "9.9.9", "cache": "false"}
    run = run_action(tmp_path / "repo", inputs, runner)
    assert run.status != 0 and "Run driftwatch" not in run.logs
    assert "driftwatch==9.9.9" in run.logs["Install driftwatch"]


def test_nightly_scan_publishes_the_report_and_its_overview(
    tmp_path: Path, registry: RegistryServer, runner: Runner, first_run: Run
) -> None:
    """The nightly example's scan step (its own `with:`), run through the action for real: the
    report its upload step publishes is written, also when the release moved, and the overview
    lands in the job summary."""
    workflow = yaml.safe_load(NIGHTLY.read_text())
    steps = workflow["jobs"]["watch"]["steps"]
    [scan] = [step for step in steps if step.get("name") == "Scan"]
    [upload] = [
        step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert upload["if"] == "always()" and upload["with"]["path"] == scan["with"]["report"]
    inputs = {k: v for k, v in scan["with"].items() if "${{" not in str(v)}
    root = make_project(tmp_path / "repo", registry, {"Dockerfile": "FROM dw-nightly-report:1\n"})
    push_index(registry, "library/dw-nightly-report", "1", debian_index("bookworm", seed="r1"))
    quiet = run_action(root, inputs, runner)
    assert quiet.status == 0, quiet.logs
    push_index(registry, "library/dw-nightly-report", "1", debian_index("trixie", seed="r2"))
    moved = run_action(root, inputs, runner)
    assert moved.status == 1, moved.logs  # the release moved: the job fails, the report still comes
    assert moved.outputs["report"] == scan["with"]["report"]
    page = (root / scan["with"]["report"]).read_text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "dw-nightly-report:1" in page
    assert page.count('class="mark os-release"') == 2  # amd64 and arm64/v8
    assert "`dw-nightly-report:1`" in moved.summary and "trixie" in moved.summary
