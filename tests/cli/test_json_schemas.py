"""Every command's `--format json` against the schema shipped in driftwatch/schemas/, from real
runs (the bench registry, a SQLite history), and the options every command shares."""

from __future__ import annotations

import ast
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from driftwatch.cli import COMMANDS
from driftwatch.cli._options import FINDINGS_FORMATS
from driftwatch.report import FORMATS, SEVERITIES
from driftwatch.schemas import SCHEMAS, load_schema
from tests.e2e.guard import driftwatch, make_project
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer, free_port, push_index

SARIF = Path(__file__).resolve().parent.parent / "assets" / "sarif-schema-2.1.0.json"
CLI = Path(__file__).resolve().parents[2] / "driftwatch" / "cli"


def validate(document: Any, name: str) -> None:
    """Validate against schema `name`, the other shipped schemas reachable by their $id."""
    schemas = [load_schema(other) for other in SCHEMAS]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    jsonschema.Draft202012Validator(load_schema(name), registry=registry).validate(document)


def json_of(cwd: Path, *args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
    """Run `driftwatch ARGS --format json`, check its exit code, parse stdout."""
    done = driftwatch(cwd, *args, "--format", "json", env=env)
    assert done.returncode == code, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def repo() -> str:
    """A repository name no other test pushes to."""
    return f"library/dw{uuid.uuid4().hex[:10]}"


def test_schemas_are_valid_and_name_the_finding_severities() -> None:
    for name in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(load_schema(name))
    finding = load_schema("findings")["$defs"]["finding"]
    assert finding["properties"]["severity"]["enum"] == list(SEVERITIES)
    assert finding["additionalProperties"] is True  # room for `changes` and later keys
    with pytest.raises(jsonschema.ValidationError):
        validate([{"file": "Dockerfile"}], "images")


def test_offline_commands_validate_and_output_goes_to_a_file(
    tmp_path: Path, registry: RegistryServer
) -> None:
    project = make_project(tmp_path, registry, {"Dockerfile": "FROM python:3.12-slim\n"})
    listed = json_of(project, "images")
    validate(listed, "images")
    assert [use["written"] for use in listed] == ["python:3.12-slim"]
    linted = json_of(project, "lint", code=1)
    validate(linted, "findings")
    assert linted["command"] == "lint" and {f["rule_id"] for f in linted["findings"]} >= {"DW003"}

    target = project / "out" / "images.json"
    target.parent.mkdir()
    target.write_text("old")
    done = driftwatch(project, "images", "--format", "json", "--output", str(target))
    assert (done.returncode, done.stdout) == (0, "")
    assert json.loads(target.read_text()) == listed
    assert sorted(p.name for p in target.parent.iterdir()) == ["images.json"]  # no temp file left
    text = driftwatch(project, "lint", "--output", "lint.txt", "--sarif", "lint.sarif")
    assert text.returncode == 1 and text.stdout == ""
    assert "DW003" in (project / "lint.txt").read_text()
    jsonschema.validate(
        json.loads((project / "lint.sarif").read_text()), json.loads(SARIF.read_text())
    )

    unwritable = driftwatch(project, "images", "--output", str(project / "no" / "such" / "f"))
    assert unwritable.returncode == 2
    assert "cannot write" in unwritable.stderr


def test_resolve_validates_and_honours_config_platforms(
    tmp_path: Path, registry: RegistryServer, repo: str
) -> None:
    digest = push_index(registry, repo, "12", debian_index("bookworm", seed=repo))
    make_project(tmp_path, registry, {})
    name = repo.removeprefix("library/")
    everything = json_of(tmp_path, "resolve", f"{name}:12", "--os")
    validate(everything, "resolve")
    assert [p["platform"] for p in everything[0]["platforms"]] == ["linux/amd64", "linux/arm64/v8"]
    assert everything[0]["digest"] == digest
    assert everything[0]["platforms"][0]["os"]["codename"] == "bookworm"

    config = tmp_path / "driftwatch.toml"
    config.write_text('platforms = ["linux/arm64/v8"]\n' + config.read_text())
    narrowed = json_of(tmp_path, "resolve", f"{name}:12")
    assert [p["platform"] for p in narrowed[0]["platforms"]] == ["linux/arm64/v8"]
    flag = json_of(tmp_path, "resolve", f"{name}:12", "--platform", "linux/amd64")
    assert [p["platform"] for p in flag[0]["platforms"]] == ["linux/amd64"]  # the flag wins

    dead = f"127.0.0.1:{free_port()}/gone/image:1"
    failed = json_of(tmp_path, "resolve", dead, code=3)
    validate(failed, "resolve")
    assert failed[0]["reference"] == dead and failed[0]["error"]


def test_check_and_scan_print_the_same_findings_envelope(
    tmp_path: Path, registry: RegistryServer, repo: str
) -> None:
    name = repo.removeprefix("library/")
    project = make_project(tmp_path, registry, {"Dockerfile": f"FROM {name}:12\n"})
    push_index(registry, repo, "12", debian_index("bookworm", seed=repo))
    assert driftwatch(project, "lock").returncode == 0
    db = f"sqlite:///{tmp_path / 'history.db'}"
    first = json_of(project, "scan", ".", "--db", db)
    validate(first, "scan")
    assert (first["findings"], first["run"]["checked"], first["run"]["changes"]) == ([], 1, 0)

    push_index(registry, repo, "12", debian_index("trixie", seed=repo + "b"))
    checked = json_of(project, "check", code=1)
    validate(checked, "findings")
    dead = f"127.0.0.1:{free_port()}/gone/image:1"
    hook = f"json://127.0.0.1:{free_port()}/hook"  # nobody listens: the alert stays pending
    scanned = json_of(
        project,
        *("scan", ".", "--db", db, "--image", dead, "--notify", hook),
        code=1,
        env={"DRIFTWATCH_NOTIFY_BACKOFF": "0"},
    )
    validate(scanned, "scan")
    assert (checked["tool"], checked["command"], scanned["command"]) == (
        "driftwatch",
        "check",
        "scan",
    )
    assert checked["version"] == scanned["version"]
    assert [f["rule_id"] for f in checked["findings"]] == ["os-release"] * 2  # per platform
    assert scanned["findings"] == checked["findings"]  # the same finding objects
    assert scanned["run"]["changes"] >= 1 and scanned["run"]["could_not_check"] == 1
    [moved] = [image for image in scanned["images"] if "digest" in image]
    assert {d["kind"] for d in moved["drifts"]} >= {"os-release"}
    assert [image["reference"] for image in scanned["images"] if "error" in image] == [dead]

    gitlab = driftwatch(
        project, "scan", ".", "--db", db, "--format", "gitlab", "--sarif", "s.sarif"
    )
    assert gitlab.returncode == 0, gitlab.stderr  # the drift was reported by the previous run
    assert json.loads(gitlab.stdout) == []

    events = driftwatch(project, "events", "--db", db, "--format", "json")
    validate(json.loads(events.stdout), "events")
    pending = json_of(project, "events", "--db", db, "--pending")
    validate(pending, "events")
    assert pending and {item["event"]["kind"] for item in pending} >= {"os-release"}
    timeline = json_of(project, "history", f"{name}:12", "--db", db)
    validate(timeline, "history")
    assert {e["kind"] for entry in timeline["entries"] for e in entry["events"]} >= {"os-release"}
    written = driftwatch(project, "events", "--db", db, "--format", "json", "--output", "ev.json")
    assert (written.returncode, written.stdout) == (0, "")
    assert (project / "ev.json").read_text() == events.stdout
    assert {event["kind"] for event in json.loads(events.stdout)} >= {"os-release"}
    jsonschema.validate(
        json.loads((project / "s.sarif").read_text()), json.loads(SARIF.read_text())
    )


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, `from driftwatch.cli import scan` and `from . import scan`
    included (the imported name may itself be a module)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = "driftwatch.cli" if node.level else ""  # relative imports live in cli/
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_import_check_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from driftwatch.cli import scan\nfrom . import lock\n")
    assert {"driftwatch.cli.scan", "driftwatch.cli.lock"} <= _imported_modules(sample)


def test_no_command_module_imports_another() -> None:
    commands = {target.split(":")[0] for target in COMMANDS.values()}
    for path in sorted(CLI.glob("*.py")):
        module = f"driftwatch.cli.{path.stem}"
        borrowed = (_imported_modules(path) & commands) - {module}
        assert not borrowed, f"{path.name} imports command module(s) {sorted(borrowed)}"


def test_every_json_format_names_a_shipped_schema() -> None:
    assert FINDINGS_FORMATS == FORMATS  # --format offers exactly what report.render renders
    named = {command for commands in SCHEMAS.values() for command in commands}
    assert named == {"check", "lint", "scan", "images", "resolve", "history", "events"}
    for name in SCHEMAS:
        assert (CLI.parent / "schemas" / f"{name}.schema.json").is_file()


def test_output_file_is_as_safe_as_stdout(tmp_path: Path, registry: RegistryServer) -> None:
    project = make_project(
        tmp_path, registry, {"Dockerfile": "FROM alpine:3\x1b]0;pwned\x07 AS x\nFROM x\n"}
    )
    shown = driftwatch(project, "lint", "--format", "text")
    written = driftwatch(project, "lint", "--format", "text", "--output", "lint.txt")
    assert "\x1b" not in shown.stdout and "\\x1b" in shown.stdout, shown.stdout
    assert written.stdout == "" and (project / "lint.txt").read_text() == shown.stdout
