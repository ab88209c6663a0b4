"""The lock file schema: shipped JSON Schema equals the model's, and every field resists hostile values.

The cases are generated from lockschema.LockModel, so a field added there is covered here.
"""

from __future__ import annotations

import copy
import json
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from driftwatch.cli import main
from driftwatch.lockfile import LockUse, entry_from_resolution, read_lock, render_lock
from driftwatch.lockschema import LockModel, generated_schema, shipped_schema
from driftwatch.models import OsRelease, Platform, PlatformImage, Resolution
from driftwatch.reference import parse_reference
from driftwatch.validation import KeySpec, iter_keys

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TRIXIE = OsRelease("debian", "13", "trixie", point_release="13.1", source="layer")
LEAVES = list(iter_keys(LockModel, expand_lists=True))


def valid_lock() -> dict[str, Any]:
    """A lock with one image, two platforms (one with an OS) and one use: every field present."""
    resolution = Resolution(
        reference=parse_reference("python:3.13-slim"),
        digest="sha256:" + "a" * 64,
        media_type=INDEX,
        platforms=(
            PlatformImage(Platform("linux", "amd64"), "sha256:" + "1" * 64, MANIFEST, os=TRIXIE),
            PlatformImage(Platform("linux", "arm64", "v8"), "sha256:" + "2" * 64, MANIFEST),
        ),
    )
    entry = entry_from_resolution(resolution, [LockUse("Dockerfile", "python:3.13-slim")])
    data: dict[str, Any] = json.loads(render_lock([entry]))
    return data


def with_value(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    changed = copy.deepcopy(data)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def optional(spec: KeySpec) -> bool:
    return type(None) in typing.get_args(spec.field.annotation)


def takes_string(annotation: Any) -> bool:
    """True when a string is the field's type (through `Annotated` and `| None`)."""
    return annotation is str or any(takes_string(arg) for arg in typing.get_args(annotation))


def hostile_values(spec: KeySpec) -> dict[str, Any]:
    """Wrong types and numbers at the edges, for one field."""
    values: dict[str, Any] = {
        "negative": -1,
        "zero": 0,
        "huge": 10**30,
        "overflowing-float": 1e400,
        "fraction": 0.5,
        "true": True,
        "null": None,
        "object": {"a": 1},
        "array": [1],
    }
    if not takes_string(spec.field.annotation):
        values["string"] = "12"
    if spec.key.endswith("digest"):
        values["md5-digest"] = "md5:" + "0" * 32
        values["upper-case-digest"] = "sha256:" + "A" * 64
    return values


def takes_bool(annotation: Any) -> bool:
    """True when a boolean is the field's type (through `Annotated` and `| None`)."""
    return annotation is bool or any(takes_bool(arg) for arg in typing.get_args(annotation))


def accepted(spec: KeySpec, value: Any) -> bool:
    """The hostile values a field takes: null where it is optional, true where it is a flag."""
    if value is True:
        return takes_bool(spec.field.annotation)
    return value is None and optional(spec)


def run_check(capsys: pytest.CaptureFixture[str], lock: Path, empty: Path) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["check", "--lockfile", str(lock), str(empty)])
    code = info.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def test_shipped_schema_is_the_models() -> None:
    assert shipped_schema() == generated_schema(), (
        "regenerate: python -m driftwatch.lockschema > driftwatch/lock.schema.json"
    )


def test_written_locks_validate_against_the_shipped_schema(tmp_path: Path) -> None:
    data = valid_lock()
    jsonschema.validate(data, shipped_schema())
    path = tmp_path / "driftwatch.lock"
    path.write_text(json.dumps(data))
    assert (
        render_lock(read_lock(path).entries.values())
        == json.dumps(data, indent=2, sort_keys=True) + "\n"
    )


CASES = [
    pytest.param(spec, name, value, id=f"{spec.key}-{name}")
    for spec in LEAVES
    for name, value in hostile_values(spec).items()
]


@pytest.mark.parametrize(("spec", "name", "value"), CASES)
def test_every_lock_field_against_hostile_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: KeySpec, name: str, value: Any
) -> None:
    data = with_value(valid_lock(), spec.path, value)
    lock = tmp_path / "driftwatch.lock"
    lock.write_text(json.dumps(data).replace("Infinity", "1e400"))
    (tmp_path / "empty").mkdir()
    code, err = run_check(capsys, lock, tmp_path / "empty")
    schema_says = jsonschema.Draft202012Validator(shipped_schema()).is_valid(data)
    if accepted(spec, value):
        assert code == 0, err
        assert schema_says
        return
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert spec.key in err, err
    if (
        name not in ("overflowing-float", "negative", "zero", "huge", "fraction")
        or spec.key != "version"
    ):
        assert not schema_says, "the shipped schema should refuse this too"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"version": 1}', "images: required"),
        ('{"version": true, "images": []}', "version = true: should be a valid integer"),
        ('{"version": 2, "images": []}', "is version 2; this driftwatch reads version 1"),
        ('{"version": 1, "version": 1, "images": []}', "key 'version' appears twice"),
        ('{"version": 1, "images": [], "extra": 1}', "unknown key 'extra'"),
        (
            '{"version": 1, "images": [{"reference": "a", "digest": "sha256:'
            + "a" * 64
            + '", "media_type": "", "uses": [{"file": "../../etc/Dockerfile", "written": "a"}]}]}',
            "images[0].uses[0].file = '../../etc/Dockerfile': must be a path inside the repository",
        ),
        ('{"version": 1, "images": NaN}', "NaN is not a JSON number"),
        (
            '{"version": 1, "images": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "JSON nested more than 32 deep",
        ),
    ],
)
def test_bad_lock_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    lock = tmp_path / "driftwatch.lock"
    lock.write_text(text)
    (tmp_path / "empty").mkdir()
    code, err = run_check(capsys, lock, tmp_path / "empty")
    assert code == 2 and says in err and err.count("\n") == 1, err


def test_duplicate_entries_and_platforms_are_refused(tmp_path: Path) -> None:
    data = valid_lock()
    twice = {**data, "images": data["images"] * 2}
    doubled_platform = copy.deepcopy(data)
    doubled_platform["images"][0]["platforms"].append(doubled_platform["images"][0]["platforms"][0])
    for bad, says in ((twice, "a second time"), (doubled_platform, "locks a platform twice")):
        path = tmp_path / "driftwatch.lock"
        path.write_text(json.dumps(bad))
        with pytest.raises(Exception, match=says):
            read_lock(path)


def test_a_lock_without_images_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "driftwatch.lock"
    lock.write_text('{"version": 1, "images": []}')
    (tmp_path / "empty").mkdir()
    code, err = run_check(capsys, lock, tmp_path / "empty")
    assert code == 0
    assert "locks no images: nothing is checked" in err
