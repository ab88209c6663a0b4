"""The lock file's schema: a strict pydantic model, shipped as JSON Schema (lock.schema.json).

lockfile.read_lock validates every lock against `LockModel` before using it: the known version
only, sha256 digests only, strings where strings belong, no unknown fields. `lock.schema.json`
beside this module is generated from the model (`python -m driftwatch.lockschema`); the tests
keep the two equal and the docs show the file.

To add a field: add it to the model (with a default when older locks lack it), regenerate the
schema file, and read/write it in lockfile.py; the hostile-value tests pick it up by themselves.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["LOCK_VERSION", "SCHEMA_FILE", "LockModel", "generated_schema", "shipped_schema"]

LOCK_VERSION = 1
SCHEMA_FILE = "lock.schema.json"
MAX_IMAGES = 100_000
MAX_TEXT = 1024
# Patterns are checked by pydantic-core (Rust) and written into the JSON Schema as they are.
_NO_CONTROL = r"[^\x00-\x1f\x7f]"
SHA256_PATTERN = r"^sha256:[0-9a-f]{64}$"
MEDIA_TYPE_PATTERN = r"^([A-Za-z0-9][A-Za-z0-9_.+-]*/[A-Za-z0-9_.+-]+)?$"
PLATFORM_PATTERN = r"^[^/\x00-\x1f\x7f]+/[^/\x00-\x1f\x7f]+(/[^/\x00-\x1f\x7f]+)?$"
TEXT_PATTERN = rf"^{_NO_CONTROL}*$"


def _version(value: int) -> int:
    if value != LOCK_VERSION:
        raise ValueError(
            f"this driftwatch reads lock version {LOCK_VERSION} (upgrade driftwatch, or "
            "re-create the lock with `driftwatch lock`)"
        )
    return value


Digest = Annotated[
    str,
    StringConstraints(max_length=80, pattern=SHA256_PATTERN),
    Field(description="sha256: and 64 lower-case hex digits"),
]
MediaType = Annotated[
    str,
    StringConstraints(max_length=255, pattern=MEDIA_TYPE_PATTERN),
    Field(description="a media type (type/subtype) or empty"),
]
PlatformText = Annotated[
    str,
    StringConstraints(max_length=255, pattern=PLATFORM_PATTERN),
    Field(description="os/arch[/variant]"),
]
Text = Annotated[
    str,
    StringConstraints(max_length=MAX_TEXT, pattern=TEXT_PATTERN),
    Field(description=f"a string of at most {MAX_TEXT} characters, no control characters"),
]


def _inside(value: str) -> str:
    """A path relative to the repository root that cannot leave it."""
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or value[1:2] == ":" or ".." in parts or not value:
        raise ValueError("must be a path inside the repository (relative, no `..`)")
    return value


RelativePath = Annotated[
    Text,
    AfterValidator(_inside),
    Field(description="a path relative to the repository root, without `..`"),
]


class _Strict(BaseModel):
    """No unknown fields, no coercion (`12` is not `"12"`, `true` is not 1)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class LockOs(_Strict):
    """The OS release locked for one platform image (os-release fields)."""

    id: Text | None = None
    version_id: Text | None = None
    codename: Text | None = None
    point_release: Text | None = None
    none: bool | None = Field(
        default=None, description="true: the image was proven to have no OS release (scratch)"
    )


class LockPlatform(_Strict):
    """One platform image of a locked reference."""

    platform: PlatformText | None = None
    digest: Digest
    media_type: MediaType = ""
    os: LockOs | None = None


class LockUse(_Strict):
    """One file naming the locked image, and how it was written there."""

    file: RelativePath
    written: Text


class LockImage(_Strict):
    """One locked image reference: its top digest and its platform images."""

    reference: Text  # parsed (and refused with the grammar's reason) by lockfile.read_lock
    digest: Digest
    media_type: MediaType
    platforms: list[LockPlatform] = Field(default=[], max_length=256)
    uses: list[LockUse] = Field(default=[], max_length=10_000)
    os_detect: Literal["off"] | None = Field(
        default=None, description="off: locked with `--os-detect off`, OS moves not judged"
    )
    platform_filter: list[PlatformText] = Field(
        default=[], max_length=256, description="`lock --platform`: only these platforms locked"
    )


class LockModel(_Strict):
    """driftwatch.lock: the lock file version and every locked image (sorted by reference)."""

    version: Annotated[int, AfterValidator(_version)] = Field(
        description=f"the integer {LOCK_VERSION}", json_schema_extra={"const": LOCK_VERSION}
    )
    images: list[LockImage] = Field(
        max_length=MAX_IMAGES, description=f"a list of at most {MAX_IMAGES} locked images"
    )


def generated_schema() -> dict[str, Any]:
    """The JSON Schema of the lock file, as generated from LockModel."""
    schema = LockModel.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "driftwatch.lock",
    }


def shipped_schema() -> dict[str, Any]:
    """The JSON Schema file shipped inside the package (what editors and CI can validate with)."""
    text = resources.files("driftwatch").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


if __name__ == "__main__":  # pragma: no cover - regenerates driftwatch/lock.schema.json
    print(json.dumps(generated_schema(), indent=2, sort_keys=True))
