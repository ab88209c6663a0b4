"""What a newcomer copies from README.md and the docs must run as written.

Every `driftwatch ...` command shown (console blocks and inline code) must name a real command
with real options and allowed values; every driftwatch config shown as TOML must load, notify
URLs included; the README's two set-up commands must be the ones the scripts and `.ci/run` use.
A renamed option or a placeholder that cannot work fails here instead of on a reader's machine.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import warnings
from pathlib import Path

import click
import pytest

from driftwatch.cli import cli
from driftwatch.config import load_config
from driftwatch.notify import load_destinations

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`(driftwatch [^`\n]+)`")
# synopses and placeholders (`[PATH...]`, `<ref>`, `...`, pipes, shell variables) are not commands
PLACEHOLDER = re.compile(r"[\[\]<>|…$]|\.\.\.")
OTHER_FILE = re.compile(r"# (?!driftwatch\.toml|pyproject\.toml)\S+\.toml\n")


def _command_lines(text: str) -> list[str]:
    """`driftwatch ...` lines of console/sh/text blocks (prompt and comment dropped), inline code."""
    found = [match.group(1) for match in INLINE.finditer(text)]
    for fence in FENCE.finditer(text):
        if fence.group(1) not in ("", "console", "sh", "bash", "shell", "text"):
            continue
        for line in fence.group(2).splitlines():
            line = line.removeprefix("$ ").strip()
            if line.startswith("driftwatch "):
                found.append(line)
    return [line.split(" #")[0].strip() for line in found]


def documented_commands() -> list[tuple[str, str]]:
    """(page, command) for every command shown that has no placeholder."""
    commands = {
        (page.relative_to(ROOT).as_posix(), line)
        for page in PAGES
        for line in _command_lines(page.read_text())
        if not PLACEHOLDER.search(line)
    }
    return sorted(commands)


def parse(argv: list[str]) -> None:
    """Parse argv down to the last (sub)command as the CLI would, without running anything."""
    command: click.Command = cli
    ctx = None
    while True:
        ctx = command.make_context(command.name or "driftwatch", list(argv), parent=ctx)
        with warnings.catch_warnings():  # click 8.2+ keeps the subcommand in protected_args
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        if not isinstance(command, click.Group) or not rest:
            return
        name, *argv = rest
        found = command.get_command(ctx, name)
        assert found is not None, f"no command {name!r}"
        command = found


COMMANDS = documented_commands()


def test_the_docs_show_commands() -> None:
    pages = {page for page, _ in COMMANDS}
    assert {"README.md", "docs/getting-started.md"} <= pages
    assert len(COMMANDS) > 50


@pytest.mark.parametrize(("page", "line"), COMMANDS, ids=[f"{p}:{c}" for p, c in COMMANDS])
def test_documented_command_parses(
    page: str, line: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)  # documented paths (`.`, `examples/...`) are the repository's
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    try:
        parse(shlex.split(line)[1:])
    except click.exceptions.Exit:
        pass  # --version, --help
    except click.MissingParameter:
        pass  # prose naming a command (`driftwatch diff`) without its argument
    except click.BadOptionUsage as exc:
        if not ("requires an argument" in exc.message and line.split()[-1].startswith("--")):
            pytest.fail(f"{page}: `{line}`: {exc.format_message()}")
        # prose naming an option (`driftwatch report --html`) without its value
    except click.UsageError as exc:
        pytest.fail(f"{page}: `{line}`: {exc.format_message()}")


def test_the_parser_check_can_fail() -> None:
    with pytest.raises(click.UsageError, match="No such option"):
        parse(["images", ".", "--formats", "json"])
    with pytest.raises(click.UsageError, match="not one of"):
        parse(["scan", ".", "--trigger", "nightly"])


def config_snippets() -> list[tuple[str, str]]:
    """(page, text) of every TOML block but those headed by another file's name (`# eol.toml`)."""
    return [
        (page.relative_to(ROOT).as_posix(), fence.group(2))
        for page in PAGES
        for fence in FENCE.finditer(page.read_text())
        if fence.group(1) == "toml" and not OTHER_FILE.match(fence.group(2))
    ]


SNIPPETS = config_snippets()


@pytest.mark.parametrize(
    ("page", "text"), SNIPPETS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(SNIPPETS)]
)
def test_documented_config_loads_with_its_notify_urls(
    page: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config as shown (`${VAR}`s set) loads, and apprise accepts each notify URL."""
    for name in re.findall(r"\$\{(\w+)\}", text):
        monkeypatch.setenv(name, "secret")
    for apprise_file in re.findall(r'"([\w./-]+\.ya?ml)"', text):  # the files it names
        (tmp_path / apprise_file).write_text("urls:\n  - json://127.0.0.1:9/hook\n")
    name = "pyproject.toml" if "[tool.driftwatch" in text else "driftwatch.toml"
    file = tmp_path / name
    file.write_text(text)
    config = load_config(file)
    assert bool(load_destinations(config, env={})) == bool(config.notify)


def test_the_readme_config_is_checked() -> None:
    assert any(page == "README.md" for page, _ in SNIPPETS)


def test_readme_setup_and_test_commands_are_the_scripts() -> None:
    """The two set-up commands of the README are the scripts, and `.ci/run` runs the test one."""
    readme = (ROOT / "README.md").read_text()
    assert "`bash ci/setup.sh && .venv/bin/driftwatch resolve --os python:3.12-slim`" in readme
    assert "| `bash ci/test.sh` |" in readme
    run = (ROOT / ".ci" / "run").read_text()
    assert "exec bash ci/test.sh\n" in run
    test = (ROOT / "ci" / "test.sh").read_text()
    assert "bash ci/setup-test.sh" in test
    assert "bash ci/setup.sh" in (ROOT / "ci" / "setup-test.sh").read_text()
    assert "-e ." in (ROOT / "ci" / "setup.sh").read_text()  # puts .venv/bin/driftwatch there


def test_setup_says_what_is_missing_without_a_venv_capable_python(tmp_path: Path) -> None:
    """The README's first command on a machine whose Python cannot make a venv: one line, exit 2."""
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "setup.sh").write_text((ROOT / "ci" / "setup.sh").read_text())
    done = subprocess.run(
        ["bash", "ci/setup.sh"],
        cwd=tmp_path,
        env={**os.environ, "PYTHON": str(tmp_path / "no-python")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ci/setup.sh: {tmp_path / 'no-python'} cannot make a virtual environment: need Python "
        "3.10+ with venv and ensurepip (Debian: python3-venv)"
    ]
    assert not (tmp_path / ".venv").exists()
