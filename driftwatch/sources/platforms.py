"""BuildKit's automatic platform args (TARGETARCH, BUILDPLATFORM, ...): a FROM per platform.

When the platforms built for are known (`--platform`, config `platforms`), a Dockerfile is read once
per platform and the results are merged. When they are not, it is read for the two platforms nearly
every multi-platform build targets (linux/amd64, linux/arm64): a reference that names an existing
stage for both is a stage reference; one that does not is reported as undecided (a warning whose
advice is `--platform`), never as an unresolved image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from driftwatch.models import BaseImageUse

if TYPE_CHECKING:
    from driftwatch.sources.dockerfile import Pass

__all__ = [
    "GUESSED_PLATFORMS",
    "PLATFORM_ADVICE",
    "PLATFORM_ARGS",
    "automatic_args",
    "merge_passes",
    "mentions_platform",
]

PLATFORM_ARGS = frozenset(
    f"{prefix}{suffix}"
    for prefix in ("BUILD", "TARGET")
    for suffix in ("PLATFORM", "OS", "ARCH", "VARIANT")
)
GUESSED_PLATFORMS = ("linux/amd64", "linux/arm64")
PLATFORM_ADVICE = (
    "Tell driftwatch the platforms you build for: --platform linux/amd64 (repeatable) or "
    '`platforms = ["linux/amd64"]` in driftwatch.toml.'
)
_MENTION = re.compile(r"(?:BUILD|TARGET)(?:PLATFORM|OS|ARCH|VARIANT)")
_DEFAULT_VARIANT = {"arm64": "", "arm": "v7"}

Key = tuple[int, int, str]


def mentions_platform(text: str) -> bool:
    """True when the text names an automatic platform arg at all (else one pass is enough)."""
    return _MENTION.search(text) is not None


def automatic_args(platform: str | None, build_args: Mapping[str, str]) -> dict[str, str | None]:
    """The automatic args for `platform` (None: unknown), explicit build args winning.

    The build platform is taken to be the target platform: driftwatch does not build, and a
    native build is what a FROM naming `$BUILDPLATFORM` is written for.
    """
    values: dict[str, str | None] = dict.fromkeys(PLATFORM_ARGS)
    if platform is not None:
        parts = platform.split("/")
        os_name = parts[0]
        arch = parts[1] if len(parts) > 1 else ""
        variant = parts[2] if len(parts) > 2 else _DEFAULT_VARIANT.get(arch, "")
        if arch == "arm64" and variant == "v8":
            variant = ""
        for prefix in ("BUILD", "TARGET"):
            values[f"{prefix}PLATFORM"] = platform
            values[f"{prefix}OS"] = os_name
            values[f"{prefix}ARCH"] = arch
            values[f"{prefix}VARIANT"] = variant
    for name in PLATFORM_ARGS & build_args.keys():
        values[name] = build_args[name]
    return values


def merge_passes(base: Pass | None, passes: Sequence[tuple[str, Pass]]) -> list[BaseImageUse]:
    """One list of uses from per-platform passes; `base` (no platform) when guessing."""
    keys: dict[Key, None] = {}
    for _, found in passes:
        keys.update(dict.fromkeys([*found.uses, *found.stages]))
    if base is not None:
        keys.update(dict.fromkeys([*base.uses, *base.stages]))
    uses: list[BaseImageUse] = []
    for key in sorted(keys):
        if base is None:
            uses.extend(_explicit(key, passes))
        else:
            use = _guessed(key, base, passes)
            if use is not None:
                uses.append(use)
    return uses


def _same(a: BaseImageUse, b: BaseImageUse) -> bool:
    """Same outcome (the `--platform` value may differ: it is substituted per platform)."""
    return (a.reference, a.problem) == (b.reference, b.problem)


def _explicit(key: Key, passes: Sequence[tuple[str, Pass]]) -> list[BaseImageUse]:
    """The uses at `key` for known platforms: one per distinct outcome, saying for which."""
    groups: list[tuple[BaseImageUse, list[str]]] = []
    stage_for: list[str] = []
    for platform, found in passes:
        use = found.uses.get(key)
        if use is None:
            stage_for.append(platform)
            continue
        for first, platforms in groups:
            if _same(first, use):
                platforms.append(platform)
                break
        else:
            groups.append((use, [platform]))
    if len(groups) == 1 and not stage_for:
        return [groups[0][0]]
    return [
        replace(use, notes=(*use.notes, f"for {', '.join(platforms)}")) for use, platforms in groups
    ]


def _guessed(key: Key, base: Pass, passes: Sequence[tuple[str, Pass]]) -> BaseImageUse | None:
    """The use at `key` when no platform is known: kept, dropped (a stage), or undecided."""
    plain = base.uses.get(key)
    outcomes = [
        (platform, found.uses.get(key), found.stages.get(key)) for platform, found in passes
    ]
    if all(use is None for _, use, _ in outcomes):
        return None  # a stage (or a local image) for every plausible platform
    if plain is not None and all(use is not None and _same(use, plain) for _, use, _ in outcomes):
        return plain
    if all(use is not None and use.reference is None for _, use, _ in outcomes):
        return next(use for _, use, _ in outcomes if use is not None)
    template = plain or next(use for _, use, _ in outcomes if use is not None)
    described = "; ".join(_describe(platform, use, stage) for platform, use, stage in outcomes)
    return replace(
        template,
        reference=None,
        problem=f"depends on the platform built for: {described}",
        notes=tuple(n for n in template.notes if not n.startswith("resolved from variables")),
        advice=PLATFORM_ADVICE,
        platform_dependent=True,
    )


def _describe(platform: str, use: BaseImageUse | None, stage: str | None) -> str:
    """What one platform gives: a stage, an image or nothing usable."""
    if use is None:
        return f"{platform} gives stage {stage}"
    if use.reference is not None:
        return f"{platform} gives image {use.reference}"
    return f"{platform} gives an unresolvable reference"
