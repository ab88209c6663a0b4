"""The incident, end to end against a real registry: lock on bullseye, tag moves to bookworm,
`check` fails naming both releases and the fix; lock again and it passes. Plus every promise
of issue 6 about `lock` and `check`, each run as a real process against the bench registry."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest

from driftwatch.lockfile import repository_root
from tests.aliasrepo import move_to_trixie, push_alias_repo
from tests.e2e.guard import driftwatch, make_project, write_config
from tests.faults.proxy import FaultProxy
from tests.faults.rules import Rule
from tests.names import unique_name
from tests.registry.test_client import login
from tests.testbed.distros import debian_index
from tests.testbed.registry import READER, RegistryServer, free_port, push_index


def _moves(output: str) -> list[dict[str, object]]:
    """check's JSON findings but the os-eol notices (bullseye's LTS ended 2026-08-31)."""
    return [f for f in json.loads(output)["findings"] if f["rule_id"] != "os-eol"]


@pytest.fixture
def python() -> str:
    """A Docker Hub short name like `python`, unique to the test (the registry is per session)."""
    return unique_name("python")


@pytest.fixture
def project(tmp_path: Path, registry: RegistryServer, python: str) -> Path:
    """A repository whose Dockerfile says `FROM <python>:3.12-slim`, docker.io sent to the bench."""
    return make_project(
        tmp_path, registry, {"Dockerfile": f"FROM {python}:3.12-slim\nRUN pip install app\n"}
    )


def test_lock_then_os_release_move_fails_check_with_the_fix(
    project: Path, registry: RegistryServer, python: str
) -> None:
    old = push_index(registry, f"library/{python}", "3.12-slim", debian_index("bullseye", seed="a"))
    locked = driftwatch(project, "lock", ".")
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((project / "driftwatch.lock").read_text())
    image = lock["images"][0]
    assert image["reference"] == f"docker.io/library/{python}:3.12-slim"
    assert image["digest"] == old
    assert {p["os"]["codename"] for p in image["platforms"]} == {"bullseye"}

    assert driftwatch(project, "check", ".").returncode == 0

    push_index(registry, f"library/{python}", "3.12-slim", debian_index("bookworm", seed="b"))
    outputs, summary = project / "out.txt", project / "summary.md"
    moved = driftwatch(
        project,
        "check",
        ".",
        "--format",
        "github",
        env={"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert moved.returncode == 1, moved.stderr
    assert "::error file=Dockerfile,line=1,col=6," in moved.stdout
    assert "moved from Debian 11 (bullseye) to Debian 12 (bookworm)" in moved.stdout
    assert f"FROM {python}:3.12-slim@{old}" in moved.stdout
    assert "run `driftwatch lock`" in moved.stdout
    assert outputs.read_text().splitlines() == ["drift=true", "changed=1"]
    assert "| Severity | Rule |" in summary.read_text() and "bookworm" in summary.read_text()

    assert driftwatch(project, "lock", ".").returncode == 0
    assert driftwatch(project, "check", ".").returncode == 0


def test_rebuild_on_same_release_is_a_notice_unless_fail_on_digest(
    project: Path, registry: RegistryServer, python: str
) -> None:
    push_index(registry, f"library/{python}", "3.13-slim", debian_index("trixie", seed="c"))
    (project / "Dockerfile").write_text(f"FROM {python}:3.13-slim\n")
    assert driftwatch(project, "lock").returncode == 0
    push_index(registry, f"library/{python}", "3.13-slim", debian_index("trixie", seed="d"))
    rebuilt = driftwatch(project, "check", "--format", "github")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert rebuilt.stdout.startswith("::notice file=Dockerfile,line=1,col=6,")
    assert "rebuilt on the same OS (Debian 13 (trixie))" in rebuilt.stdout
    assert driftwatch(project, "check", "--fail-on", "digest").returncode == 1
    assert driftwatch(project, "check", "--fail-on", "never").returncode == 0


def test_missing_lock_file_exits_2(project: Path) -> None:
    result = driftwatch(project, "check")
    assert result.returncode == 2
    assert "driftwatch lock" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not valid JSON"),
        ('{"images": []}', "no version field"),
        ('{"version": 99, "images": []}', "version 99"),
        ('{"version": 1, "images": [{"digest": 1}]}', "malformed"),
        (None, "cannot be read"),  # a folder where the file should be
    ],
)
def test_bad_lock_file_exits_2_with_one_line(project: Path, content: str | None, said: str) -> None:
    lock = project / "driftwatch.lock"
    if content is None:
        lock.mkdir()
    else:
        lock.write_text(content)
    result = driftwatch(project, "check")
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


MONO = {
    "Dockerfile": "FROM dw-relock:1 AS build\nFROM dw-other:2\nCOPY --from=build /a /a\n",
    "services/api/Dockerfile": "# the API\nFROM docker.io/library/dw-relock:1\n",
    "compose.yaml": "services:\n  db:\n    image: dw-other:2\n",
}


def _push_mono(registry: RegistryServer, seed: str) -> dict[str, str]:
    return {
        "dw-relock": push_index(
            registry, "library/dw-relock", "1", debian_index("bookworm", seed=seed)
        ),
        "dw-other": push_index(
            registry, "library/dw-other", "2", debian_index("bullseye", seed=seed)
        ),
    }


def test_relock_is_byte_identical_records_uses_and_works_from_a_subfolder(
    tmp_path: Path, registry: RegistryServer
) -> None:
    digests = _push_mono(registry, "mono")
    root = make_project(tmp_path / "repo", registry, MONO)
    first = driftwatch(root, "lock")
    assert first.returncode == 0, first.stderr
    text = (root / "driftwatch.lock").read_bytes()
    data = json.loads(text)
    assert text == (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    assert data["version"] == 1
    assert [i["reference"] for i in data["images"]] == [
        "docker.io/library/dw-other:2",
        "docker.io/library/dw-relock:1",
    ]
    other, relock = data["images"]
    assert (other["digest"], relock["digest"]) == (digests["dw-other"], digests["dw-relock"])
    assert relock["uses"] == [
        {"file": "Dockerfile", "written": "dw-relock:1"},
        {"file": "services/api/Dockerfile", "written": "docker.io/library/dw-relock:1"},
    ]
    assert other["uses"] == [
        {"file": "Dockerfile", "written": "dw-other:2"},
        {"file": "compose.yaml", "written": "dw-other:2"},
    ]
    assert [p["platform"] for p in relock["platforms"]] == ["linux/amd64", "linux/arm64/v8"]
    assert relock["platforms"][0]["os"] == {
        "codename": "bookworm",
        "id": "debian",
        "point_release": relock["platforms"][0]["os"]["point_release"],
        "version_id": "12",
    }
    attempts = (
        driftwatch(root, "lock"),
        driftwatch(root / "services" / "api", "lock"),
        driftwatch(root / "services" / "api", "lock", "."),  # a partial lock keeps the rest
        driftwatch(root, "lock", "compose.yaml"),
    )
    for attempt in attempts:
        assert attempt.returncode == 0, attempt.stderr
        assert "unchanged" in attempt.stderr
        assert (root / "driftwatch.lock").read_bytes() == text
    assert not (root / "services" / "api" / "driftwatch.lock").exists()
    from_sub = driftwatch(root / "services", "check", "--format", "json")
    assert (from_sub.returncode, _moves(from_sub.stdout)) == (0, [])

    push_index(registry, "library/dw-relock", "1", debian_index("trixie", seed="mono2"))
    moved = driftwatch(root / "services" / "api", "check", "--format", "json")
    assert moved.returncode == 1
    assert sorted({f["file"] for f in _moves(moved.stdout)}) == [
        "Dockerfile",
        "services/api/Dockerfile",
    ]

    (root / "services" / "api" / "Dockerfile").unlink()
    assert driftwatch(root, "lock", "Dockerfile").returncode == 0
    relock = json.loads((root / "driftwatch.lock").read_text())["images"][1]
    assert relock["uses"] == [{"file": "Dockerfile", "written": "dw-relock:1"}]
    (root / "compose.yaml").write_text("services: {}\n")
    (root / "Dockerfile").write_text("FROM dw-relock:1\n")
    assert driftwatch(root, "lock", ".").returncode == 0  # a full lock forgets what is gone
    images = json.loads((root / "driftwatch.lock").read_text())["images"]
    assert [i["reference"] for i in images] == ["docker.io/library/dw-relock:1"]
    (root / "services" / "api" / "Dockerfile").write_text("FROM dw-other:2\n")
    assert driftwatch(root, "lock", ".").returncode == 0
    assert len(json.loads((root / "driftwatch.lock").read_text())["images"]) == 2
    config = root / "driftwatch.toml"
    config.write_text('exclude = ["services"]\n' + config.read_text())
    assert driftwatch(root, "lock", ".").returncode == 0  # excluded now: not kept as unread
    images = json.loads((root / "driftwatch.lock").read_text())["images"]
    assert [i["reference"] for i in images] == ["docker.io/library/dw-relock:1"]


def test_repository_root_is_the_config_or_git_folder(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert repository_root(None, deep) == deep.resolve()
    (tmp_path / ".git").mkdir()
    assert repository_root(None, deep) == tmp_path.resolve()
    assert repository_root(tmp_path / "a" / "driftwatch.toml", deep) == (tmp_path / "a").resolve()


def test_unreachable_registry_keeps_the_old_entry_and_exits_3(
    tmp_path: Path, registry: RegistryServer
) -> None:
    push_index(registry, "library/dw-reach", "1", debian_index("bookworm", seed="r"))
    push_index(registry, "team/dw-far", "1", debian_index("bookworm", seed="f"))
    dockerfile = "FROM dw-reach:1\nFROM ghcr.io/team/dw-far:1\n"
    root = make_project(tmp_path, registry, {"Dockerfile": dockerfile})
    write_config(root, registry, f'[registries."ghcr.io"]\nendpoint = "{registry.url}"\n')
    assert driftwatch(root, "lock").returncode == 0
    before = (root / "driftwatch.lock").read_text()
    assert "ghcr.io/team/dw-far:1" in before

    closed = f"http://127.0.0.1:{free_port()}"
    write_config(root, registry, f'[registries."ghcr.io"]\nendpoint = "{closed}"\n')
    relock = driftwatch(root, "lock")
    assert relock.returncode == 3
    assert "ghcr.io/team/dw-far:1" in relock.stderr and "kept the old entry" in relock.stderr
    assert (root / "driftwatch.lock").read_text() == before

    checked = driftwatch(root, "check")
    assert checked.returncode == 3
    assert "error unreachable: could not check ghcr.io/team/dw-far:1" in checked.stdout
    assert "dw-reach" not in checked.stdout
    allowed = driftwatch(root, "check", "--allow-unreachable")
    assert allowed.returncode == 0
    assert "warning unreachable: could not check ghcr.io/team/dw-far:1" in allowed.stdout

    push_index(registry, "library/dw-reach", "1", debian_index("trixie", seed="r2"))
    assert driftwatch(root, "check", "--allow-unreachable").returncode == 1
    assert driftwatch(root, "check").returncode == 1  # drift wins over unreachable


def test_credentials_never_reach_the_lock_file(
    tmp_path: Path, basic_registry: RegistryServer
) -> None:
    basic_registry.pusher.push_index("team/private", "1", debian_index("bookworm", seed="s"))
    login(basic_registry)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(f"FROM {basic_registry.host}/team/private:1\n")
    (root / "driftwatch.toml").write_text("retries = 0\ntimeout = 10\n")
    locked = driftwatch(root, "lock")
    assert locked.returncode == 0, locked.stderr
    text = (root / "driftwatch.lock").read_text()
    assert f"{basic_registry.host}/team/private:1" in text
    encoded = base64.b64encode(f"{READER[0]}:{READER[1]}".encode()).decode()
    for secret in (READER[1], encoded):
        assert secret not in text + locked.stdout + locked.stderr


def test_not_locked_use_is_reported_with_the_fixing_command(
    project: Path, registry: RegistryServer, python: str
) -> None:
    push_index(registry, f"library/{python}", "3.12-slim", debian_index("bookworm", seed="n"))
    push_index(registry, "library/dw-new", "1", debian_index("bookworm", seed="n"))
    assert driftwatch(project, "lock").returncode == 0
    (project / "Dockerfile").write_text(f"FROM {python}:3.12-slim\nFROM dw-new:1\n")
    result = driftwatch(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "Dockerfile:2:6: warning not-locked: dw-new:1 is not locked in driftwatch.lock: "
        "run `driftwatch lock`" in result.stdout
    )


def test_index_half_moved_names_each_platform_release(
    project: Path, registry: RegistryServer
) -> None:
    (project / "Dockerfile").write_text("FROM dw-half:1\n")
    old = push_index(registry, "library/dw-half", "1", debian_index("bullseye", seed="h1"))
    assert driftwatch(project, "lock").returncode == 0
    half = debian_index("bookworm", seed="h2", arm64_codename="bullseye")
    push_index(registry, "library/dw-half", "1", half)
    result = driftwatch(project, "check")
    assert result.returncode == 1
    assert "warning os-eol: dw-half:1: bullseye ended 2026-08-31 (LTS)." in result.stdout
    lines = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("Dockerfile:1:6:") and " os-eol: " not in line
    ]
    assert len(lines) == 2, result.stdout
    amd64 = next(line for line in lines if "(linux/amd64)" in line)
    arm64 = next(line for line in lines if "(linux/arm64/v8)" in line)
    assert (
        "error os-release: dw-half:1 (linux/amd64) moved from Debian 11 (bullseye) to "
        "Debian 12 (bookworm)" in amd64
    )
    assert f"FROM dw-half:1@{old}" in amd64
    assert (
        "note digest: dw-half:1 (linux/arm64/v8) was rebuilt on the same OS "
        "(Debian 11 (bullseye))" in arm64
    )


@pytest.fixture
def fmt_name() -> str:
    """The Docker Hub short name the `drifted` project uses, unique to the test."""
    return unique_name("dw-fmt")


@pytest.fixture
def drifted(tmp_path: Path, registry: RegistryServer, fmt_name: str) -> Path:
    """A locked project whose tag then moved from bookworm to trixie; one odd folder name.

    (bookworm, not bullseye: a release whose LTS has ended adds an os-eol notice per use.)
    """
    files = {
        "Dockerfile": f"FROM {fmt_name}:1\n",
        "odd,dir:x/Dockerfile": f"FROM  {fmt_name}:1 AS base\n",
    }
    root = make_project(tmp_path, registry, files)
    push_index(registry, f"library/{fmt_name}", "1", debian_index("bookworm", seed="f1"))
    assert driftwatch(root, "lock").returncode == 0
    push_index(registry, f"library/{fmt_name}", "1", debian_index("trixie", seed="f2"))
    return root


SCHEMA = Path(__file__).parents[1] / "assets" / "sarif-schema-2.1.0.json"
ODD = "odd,dir:x/Dockerfile"


def _render(root: Path, fmt: str) -> str:
    out = root / f"report.{fmt}"
    result = driftwatch(root, "check", "--format", fmt, "--output", str(out))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    return out.read_text()


def test_every_format_carries_the_same_findings(drifted: Path, fmt_name: str) -> None:
    records = json.loads(_render(drifted, "json"))["findings"]
    places = sorted((r["file"], r["line"], r["column"], r["rule_id"]) for r in records)
    assert places == [("Dockerfile", 1, 6, "os-release")] * 2 + [(ODD, 1, 7, "os-release")] * 2
    assert {r["severity"] for r in records} == {"error"}

    text = _render(drifted, "text")
    assert text.endswith("4 findings (4 errors)\n")
    assert f"{ODD}:1:7: error os-release: {fmt_name}:1 (linux/arm64/v8) moved from" in text

    github = _render(drifted, "github").splitlines()
    assert len(github) == 4
    odd = "::error file=odd%2Cdir%3Ax/Dockerfile,line=1,col=7,title=os-release Base image moved"
    assert sum(line.startswith(odd) for line in github) == 2

    sarif = json.loads(_render(drifted, "sarif"))
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    results = sarif["runs"][0]["results"]
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    assert uris == [
        "Dockerfile",
        "Dockerfile",
        "odd%2Cdir%3Ax/Dockerfile",
        "odd%2Cdir%3Ax/Dockerfile",
    ]
    rules = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"os-release", "digest", "not-locked", "unreachable"} <= rules

    markdown = _render(drifted, "markdown").splitlines()
    assert markdown[0] == "| Severity | Rule | Location | Message | Fix |"
    assert len(markdown) == 6 and "`odd,dir:x/Dockerfile:1:7`" in markdown[-1]

    gitlab = json.loads(_render(drifted, "gitlab"))
    assert len({issue["fingerprint"] for issue in gitlab}) == 4
    for issue in gitlab:
        assert issue["check_name"] == "os-release" and issue["severity"] == "major"
        assert "Debian 12 (bookworm)" in issue["description"]
        assert issue["location"]["lines"]["begin"] == 1
    assert sorted(i["location"]["path"] for i in gitlab) == sorted(p[0] for p in places)


def test_github_format_writes_sarif_summary_and_outputs(drifted: Path) -> None:
    outputs, summary = drifted / "gh-output", drifted / "gh-summary.md"
    outputs.write_text("earlier=1\n")
    result = driftwatch(
        drifted,
        "check",
        "--format",
        "github",
        "--sarif",
        "out.sarif",
        env={"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    assert outputs.read_text() == "earlier=1\ndrift=true\nchanged=1\n"
    table = summary.read_text()
    assert table.startswith("### driftwatch check\n\n| Severity |")
    assert table.count("| error | os-release |") == 4
    jsonschema.validate(
        json.loads((drifted / "out.sarif").read_text()), json.loads(SCHEMA.read_text())
    )
    relaxed = driftwatch(
        drifted,
        "check",
        "--format",
        "github",
        "--fail-on",
        "never",
        env={"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert relaxed.returncode == 0
    assert outputs.read_text().endswith("drift=false\nchanged=1\n")
    assert relaxed.stdout.startswith("::warning ")


def test_check_of_some_platforms_compares_only_those(
    project: Path, registry: RegistryServer
) -> None:
    (project / "Dockerfile").write_text("FROM dw-plat:1\n")
    push_index(registry, "library/dw-plat", "1", debian_index("bullseye", seed="q1"))
    assert driftwatch(project, "lock").returncode == 0
    same = driftwatch(project, "check", "--platform", "linux/amd64", "--format", "json")
    assert (same.returncode, _moves(same.stdout)) == (0, [])
    push_index(
        registry,
        "library/dw-plat",
        "1",
        debian_index("bullseye", seed="q2", arm64_codename="bookworm"),
    )
    amd64 = driftwatch(project, "check", "--platform", "linux/amd64", "--format", "json")
    assert amd64.returncode == 0
    assert [f["rule_id"] for f in _moves(amd64.stdout)] == ["digest"]
    arm64 = driftwatch(project, "check", "--platform", "linux/arm64", "--format", "json")
    assert arm64.returncode == 1
    assert [f["rule_id"] for f in _moves(arm64.stdout)] == ["os-release"]


def test_check_of_an_unchanged_world_reads_no_blobs(
    project: Path, registry: RegistryServer
) -> None:
    (project / "Dockerfile").write_text("FROM dw-cheap:1\n")
    push_index(registry, "library/dw-cheap", "1", debian_index("bookworm", seed="c1"))
    assert driftwatch(project, "lock").returncode == 0
    mark = registry.mark()
    assert driftwatch(project, "check").returncode == 0
    requests = registry.requests_since(mark)
    paths = [path for _method, path, _status in requests]
    assert paths and all("/manifests/" in p or p == "/v2/" for p in paths), paths
    # the index is cached by digest and each platform's OS comes from the lock: one HEAD
    assert [(m, p) for m, p, _ in requests if p != "/v2/"] == [
        ("HEAD", "/v2/library/dw-cheap/manifests/1")
    ]
    mark = registry.mark()
    cold = {"DRIFTWATCH_CACHE_DIR": str(project / "fresh-cache")}  # a CI runner's first run
    assert driftwatch(project, "check", env=cold).returncode == 0
    requests = registry.requests_since(mark)
    # no cache: the HEAD names the locked index digest, whose entries the lock holds: no GET
    assert [(m, p) for m, p, _ in requests if p != "/v2/"] == [
        ("HEAD", "/v2/library/dw-cheap/manifests/1")
    ], requests


def test_check_of_an_unchanged_tag_elsewhere_than_hub_is_one_head_on_a_cold_runner(
    project: Path, registry: RegistryServer
) -> None:
    """Off Docker Hub a tag never seen here is resolved with one GET; a locked one is not."""
    (project / "Dockerfile").write_text(f"FROM {registry.host}/dw/elsewhere:1\n")
    push_index(registry, "dw/elsewhere", "1", debian_index("bookworm", seed="e1"))
    assert driftwatch(project, "lock").returncode == 0
    mark = registry.mark()
    cold = {"DRIFTWATCH_CACHE_DIR": str(project / "fresh-cache")}
    assert driftwatch(project, "check", env=cold).returncode == 0
    requests = [(m, p) for m, p, _ in registry.requests_since(mark) if p != "/v2/"]
    assert requests == [("HEAD", "/v2/dw/elsewhere/manifests/1")], requests


def test_check_of_a_moved_multi_arch_tag_on_a_cold_runner_reads_the_new_index(
    project: Path, registry: RegistryServer
) -> None:
    (project / "Dockerfile").write_text("FROM dw-moved:1\n")
    push_index(registry, "library/dw-moved", "1", debian_index("bookworm", seed="m1"))
    assert driftwatch(project, "lock").returncode == 0
    moved = push_index(registry, "library/dw-moved", "1", debian_index("bookworm", seed="m2"))
    mark = registry.mark()
    cold = {"DRIFTWATCH_CACHE_DIR": str(project / "fresh-cache")}
    result = driftwatch(project, "check", "--format", "json", env=cold)
    assert result.returncode == 0, result.stderr  # same release: a digest move only
    assert {f["rule_id"] for f in json.loads(result.stdout)["findings"]} == {"digest"}
    requests = [(m, p) for m, p, _ in registry.requests_since(mark) if p != "/v2/"]
    # the HEAD names another digest than the lock: the index is fetched by tag and hashed
    assert requests[:2] == [
        ("HEAD", "/v2/library/dw-moved/manifests/1"),
        ("GET", "/v2/library/dw-moved/manifests/1"),
    ], requests
    assert moved not in {p.rsplit("/", 1)[-1] for _m, p in requests[2:]}, requests


def _os_move_project(tmp_path: Path, registry: RegistryServer, name: str) -> tuple[Path, str]:
    """`FROM <name>:3.12-slim` locked on bookworm, then the floating tags move to trixie."""
    repo = push_alias_repo(registry, f"library/{name}")
    root = make_project(tmp_path, registry, {"Dockerfile": f"FROM {name}:3.12-slim\n"})
    assert driftwatch(root, "lock").returncode == 0
    move_to_trixie(registry, f"library/{name}")
    return root, repo.bookworm


def test_os_release_fix_names_the_tags_of_what_you_had(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root, old = _os_move_project(tmp_path, registry, "dw-fix-tags")
    mark = registry.mark()
    moved = driftwatch(root, "check", "--format", "json")
    log = registry.requests_since(mark)
    assert moved.returncode == 1, moved.stderr
    assert "moved from Debian 12 (bookworm) to Debian 13 (trixie)" in moved.stdout
    assert "To stay on bookworm: FROM dw-fix-tags:3.12-slim-bookworm;" in moved.stdout
    assert f"exactly what you had: FROM dw-fix-tags:3.12.7-slim-bookworm@{old};" in moved.stdout
    assert "3.13" not in moved.stdout
    aliases = [(m, p) for m, p, _ in log if "/manifests/3.1" in p and not p.endswith("/3.12-slim")]
    assert aliases and {m for m, _ in aliases} == {"HEAD"}, log  # the alias lookup only HEADs


def test_alias_lookup_failure_never_changes_the_verdict(
    tmp_path: Path, registry: RegistryServer
) -> None:
    root, old = _os_move_project(tmp_path, registry, "dw-fix-soft")
    with FaultProxy(registry.url, [Rule("500", path=r"/tags/list")], seed=1) as proxy:
        write_config(root, registry)
        text = (root / "driftwatch.toml").read_text().replace(registry.url, proxy.url)
        (root / "driftwatch.toml").write_text(text)
        moved = driftwatch(root, "check")
    assert moved.returncode == 1, moved.stderr  # the drift's exit code, not a registry error's
    assert f"To build what you had: FROM dw-fix-soft:3.12-slim@{old} (" in moved.stdout
    assert "the tag lookup could not complete" in moved.stdout
