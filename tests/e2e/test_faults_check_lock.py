"""The fault proxy matrix over `check` and `lock` (issue 12): 0 passes without proof.

A fleet of bookworm images is locked through the proxy; then image 0 moves to trixie (a release
move) and image 1 is rebuilt, and the proxy (or the registry itself) breaks the reads of the new
images. Whatever breaks: `check` never exits 0 (image 0 moved: either the move is proven, exit 1,
or it is "could not check", exit 3 naming the image), never calls the move "the same OS", and
`lock` never writes an entry with an unknown OS or no platform (exit 3 keeps the old entry).
Every test draws its faults from a printed seed (replay: FAULT_SEED=<seed>).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.faultscan import Fleet, run_cli
from tests.faults.proxy import FaultProxy
from tests.faults.rules import Fault, Rule
from tests.testbed.distros import debian_index
from tests.testbed.registry import RegistryServer

SIZE = 3
HEAD_FAULTS = ("429", "500", "502", "503", "reset", "stall", "wrong-digest")
BODY_FAULTS = ("reset-mid-body", "truncate", "corrupt")


@pytest.fixture
def fleet(registry: RegistryServer) -> Fleet:
    return Fleet.push(registry, SIZE)


def project(root: Path, fleet: Fleet, endpoint: str) -> Path:
    """A repository using every image of the fleet, docker.io sent through `endpoint`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text("".join(f"FROM {name}\n" for name in fleet.names))
    (root / "driftwatch.toml").write_text(
        f'retries = 1\ntimeout = 1.0\n[registries."docker.io"]\nendpoint = "{endpoint}"\n'
    )
    return root


def locked(tmp_path: Path, fleet: Fleet, proxy: FaultProxy) -> tuple[Path, str]:
    """A project locked cleanly on the bookworm fleet; the lock text."""
    root = project(tmp_path / "repo", fleet, proxy.url)
    first = run_cli(root, "lock")
    assert first.returncode == 0, first.stderr
    return root, (root / "driftwatch.lock").read_text()


def move(fleet: Fleet) -> dict[str, str]:
    """Image 0 moves to trixie, image 1 is rebuilt on bookworm: the true new digests."""
    fleet.move(0, "trixie", "v2")
    fleet.move(1, "bookworm", "v2")
    return dict(fleet.digests)


def inside_moved(fleet: Fleet) -> str:
    """A path regex for the parts of image 0's new build (child manifests, blobs), not its tag
    or index: the tag resolves, its new OS cannot be read."""
    index = debian_index("trixie", seed=f"{fleet.number}-0-v2")  # what move() pushed for app0
    children = "|".join(image.digest for image in index.images)
    return f"/app0/(blobs/|manifests/({children}))"


def assert_check_never_passes(root: Path, fleet: Fleet, note: str) -> None:
    """`check` (default and --fail-on release) exits 1 with the proven move, or 3 naming it."""
    for args in ((), ("--fail-on", "release")):
        result = run_cli(root, "check", "--format", "json", *args)
        text = f"{note}: {result.stdout} {result.stderr}"
        assert result.returncode in (1, 3), text
        assert "Traceback" not in result.stderr, text
        findings = json.loads(result.stdout)["findings"]
        rules = {(f["rule_id"], f["message"].split(" ")[2]) for f in findings}
        if result.returncode == 1:
            assert any(rule == "os-release" for rule, _ in rules), text
        else:
            assert any(
                f["severity"] == "error" and "could not check" in f["message"] for f in findings
            ), text
        for finding in findings:
            assert "rebuilt on the same OS" not in finding["message"] or (
                fleet.name(0) not in finding["message"]
            ), text
            assert finding["rule_id"] != "tag-vanished", text


def assert_lock_never_records_unknowns(
    root: Path, fleet: Fleet, old: str, new: dict[str, str], note: str
) -> int:
    """`lock`: exit 0 or 3; every entry known OS, some platform, a digest that is true."""
    result = run_cli(root, "lock")
    text = f"{note}: {result.stderr}"
    assert result.returncode in (0, 3), text
    assert "Traceback" not in result.stderr, text
    before = {i["reference"]: i["digest"] for i in json.loads(old)["images"]}
    for image in json.loads((root / "driftwatch.lock").read_text())["images"]:
        assert image["platforms"], text
        assert all(p["os"] and p["os"]["id"] for p in image["platforms"]), text
        name = image["reference"].removeprefix("docker.io/")
        assert image["digest"] in (before[image["reference"]], new[name]), text
    if result.returncode == 3:
        assert "kept the old entry" in result.stderr, text
    return result.returncode


@pytest.mark.parametrize("fault", HEAD_FAULTS)
def test_a_fault_on_every_read_of_the_moved_image(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int, fault: str
) -> None:
    root, old = locked(tmp_path, fleet, proxy)
    new = move(fleet)
    proxy.set_rules([Rule(fault, path=inside_moved(fleet), stall=1.5)])
    note = f"seed {seed}, {fault}"
    assert_check_never_passes(root, fleet, note)
    code = assert_lock_never_records_unknowns(root, fleet, old, new, note)
    if fault == "wrong-digest":  # bodies fetched by digest are hashed: the header lie is moot
        assert code == 0, note
        return
    assert code == 3, note
    proxy.set_rules([])
    healed = run_cli(root, "check", "--format", "json")
    assert healed.returncode == 1, healed.stdout  # the lock kept app0's old entry: it moved
    assert {
        (f["rule_id"], fleet.name(0) in f["message"]) for f in json.loads(healed.stdout)["findings"]
    } == {("os-release", True)}


@pytest.mark.parametrize("fault", BODY_FAULTS)
def test_a_body_fault_on_the_new_layers(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int, fault: str
) -> None:
    root, old = locked(tmp_path, fleet, proxy)
    new = move(fleet)
    proxy.set_rules([Rule(fault, method="GET", path="/app0/blobs/")])
    note = f"seed {seed}, {fault}"
    assert_check_never_passes(root, fleet, note)
    assert assert_lock_never_records_unknowns(root, fleet, old, new, note) == 3


@pytest.mark.parametrize("missing", ["blob", "child-manifest"])
def test_a_404_inside_the_moved_image_is_a_registry_fault(
    tmp_path: Path,
    fleet: Fleet,
    proxy: FaultProxy,
    registry: RegistryServer,
    seed: int,
    missing: str,
) -> None:
    root, old = locked(tmp_path, fleet, proxy)
    new = move(fleet)
    index = debian_index("trixie", seed=f"{fleet.number}-0-v2")  # what move() pushed for app0
    repo = f"faultscan{fleet.number}/app0"
    kind, digest = (
        ("blobs", index.images[0].layers[-1].digest)
        if missing == "blob"
        else ("manifests", index.images[0].digest)
    )
    assert httpx.delete(f"{registry.url}/v2/{repo}/{kind}/{digest}").status_code == 202
    note = f"404 on {missing}"
    assert_check_never_passes(root, fleet, note)
    checked = run_cli(root, "check")
    assert checked.returncode == 3 and "linux/amd64" in checked.stdout, checked.stdout
    assert assert_lock_never_records_unknowns(root, fleet, old, new, note) == 3


def test_the_registry_dying_mid_run(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root, old = locked(tmp_path, fleet, proxy)
    new = move(fleet)
    (root / "cache").rename(root / "cold")  # a cold runner: every image must be read again
    index = debian_index("trixie", seed=f"{fleet.number}-0-v2")  # what move() pushed for app0
    layers = {layer.digest for image in index.images for layer in image.layers}

    def kill_while_reading_layers() -> None:  # app0 resolved, its OS half read: the registry dies
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(e.path.rsplit("/", 1)[-1] in layers for e in proxy.events):
                proxy.stop()
                return
            time.sleep(0.002)

    killer = threading.Thread(target=kill_while_reading_layers)
    killer.start()
    result = run_cli(root, "lock")
    killer.join()
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    for image in json.loads((root / "driftwatch.lock").read_text())["images"]:
        assert all(p["os"] and p["os"]["id"] for p in image["platforms"]), result.stderr
    assert assert_lock_never_records_unknowns(root, fleet, old, new, "dead") == 3
    assert_check_never_passes(root, fleet, "dead")


def test_any_mix_of_faults_never_passes_without_proof(
    tmp_path: Path, fleet: Fleet, proxy: FaultProxy, seed: int
) -> None:
    root, old = locked(tmp_path, fleet, proxy)
    new = move(fleet)
    proxy.set_rules([Rule("random", rate=0.5, stall=1.5)])
    note = f"seed {seed}"
    assert_check_never_passes(root, fleet, note)
    assert_lock_never_records_unknowns(root, fleet, old, new, note)
    fresh = project(tmp_path / "fresh", fleet, proxy.url)
    first = run_cli(fresh, "lock")
    assert first.returncode in (0, 3), first.stderr
    if (fresh / "driftwatch.lock").exists():
        for image in json.loads((fresh / "driftwatch.lock").read_text())["images"]:
            assert image["platforms"], note
            assert all(p["os"] and p["os"]["id"] for p in image["platforms"]), note
    assert Fault.STALL in Fault  # the mix includes stalls
