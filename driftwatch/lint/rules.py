"""The lint rules DW001-DW004 and DW006: one check function per rule over one BaseImageUse."""

from __future__ import annotations

from collections.abc import Callable

from driftwatch.lint.tagnames import is_os_based, names_os_release
from driftwatch.models import BaseImageUse, Level, UseKind
from driftwatch.report.finding import Rule

__all__ = ["CHECKS", "RULES"]

RULES = (
    Rule(
        "DW001",
        "tag-missing-or-latest",
        "Image has no tag or uses `latest`",
        "A reference without a tag means `latest`, which points to whatever was pushed last.",
        "Write the exact version you tested, e.g. `python:3.12.3-slim-bookworm`.",
        severity=Level.ERROR,
    ),
    Rule(
        "DW002",
        "tag-without-os-release",
        "Tag does not name the OS release",
        "The image is built on an OS (Debian, Ubuntu, Alpine, ...) but its tag does not say which "
        "release; the tag will silently move to the next release (bullseye -> bookworm -> trixie).",
        "Add the release to the tag, e.g. `python:3.12-slim-bookworm`, `node:20-alpine3.19`.",
    ),
    Rule(
        "DW003",
        "not-pinned-by-digest",
        "Image is not pinned by digest",
        "A tag can be re-pointed at any time; only a digest names exact bytes.",
        "Run `driftwatch pin --write` to append `@sha256:<index digest>` and keep the tag.",
    ),
    Rule(
        "DW004",
        "unresolvable-reference",
        "Image reference cannot be resolved",
        "The reference depends on an unset ARG or variable, or does not follow the reference "
        "grammar, so nobody can tell which image a build will use. A reference that depends "
        "only on BuildKit's automatic platform args (TARGETARCH, ...) is a warning: the file "
        "builds, only the platform is not known.",
        "Give the ARG or variable a value naming the image (an ARG default, --build-arg, "
        "`build_args`, a compose `.env` entry), pass --platform for platform args, or fix the "
        "reference; each finding says which applies.",
        severity=Level.ERROR,
    ),
    Rule(
        "DW006",
        "platform-digest-pin",
        "Pinned digest names one platform, not the index",
        "The digest is one platform's manifest inside a multi-platform tag (often copied from "
        "`docker images --digests` or a registry UI): other platforms then fail with `exec "
        "format error`, and the pin never follows the index. Known offline only when the lock "
        "file has the tag's index.",
        "Pin the index digest instead; `driftwatch pin` always writes the index digest.",
        severity="error",
    ),
)
_BY_ID = {rule.id: rule for rule in RULES}

Check = Callable[[BaseImageUse], "str | None"]


def _shown(use: BaseImageUse) -> str:
    """The reference as written, and the image it names when variables or expressions built it."""
    if use.reference is not None and "$" in use.written:
        return f"`{use.written}` (`{use.reference}`)"
    return f"`{use.written}`"


def _dw001(use: BaseImageUse) -> str | None:
    ref = use.reference
    if ref is None:
        return None
    if ref.tag is None and ref.digest is None:
        return f"{_shown(use)} has no tag, so it means `latest`"
    if ref.tag == "latest":
        return f"{_shown(use)} uses `latest`, which moves with every push"
    return None


def _dw002(use: BaseImageUse) -> str | None:
    ref = use.reference
    if ref is None or ref.tag is None or use.kind is UseKind.SYNTAX:
        return None
    if is_os_based(ref) and not names_os_release(ref):
        return f"{_shown(use)} does not name its OS release; the tag can move to a new one"
    return None


def _dw003(use: BaseImageUse) -> str | None:
    if use.reference is None or use.reference.digest is not None:
        return None
    return f"{_shown(use)} is not pinned by digest"


def _dw004(use: BaseImageUse) -> str | None:
    if use.reference is not None:
        return None
    shown = f"`{use.written}`" if use.written else "the image"
    return f"{shown} cannot be resolved: {use.problem or 'unknown reason'}"


def _dw006(use: BaseImageUse) -> str | None:
    """Nothing from the use alone: DW006 needs the lock file (driftwatch.lint.lint runs it)."""
    return None


CHECKS: dict[str, Check] = {
    "DW001": _dw001,
    "DW002": _dw002,
    "DW003": _dw003,
    "DW004": _dw004,
    "DW006": _dw006,
}


def rule(rule_id: str) -> Rule:
    """The Rule with this id."""
    return _BY_ID[rule_id]
