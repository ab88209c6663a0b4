"""Every external image a Dockerfile names, with exact positions and BuildKit's ARG semantics.

Emitted: `# syntax=` directives, FROM images, `COPY --from=<image>`, `RUN --mount=...,from=<image>`.
Not emitted: `scratch` and references to earlier stages (by name or index): they are not images.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import parse_reference
from driftwatch.sources.inventory import SPLIT_NOTE, FileProblem
from driftwatch.sources.lexer import Instruction, lex
from driftwatch.sources.substitute import Expansion, expand
from driftwatch.sources.suppress import ignored_rules

__all__ = ["parse_dockerfile", "shorten"]

MAX_MESSAGE = 300


def shorten(message: str) -> str:
    """A problem message cut to a readable length (references can be absurdly long)."""
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


PLATFORM_ARGS = frozenset(
    f"{prefix}{suffix}"
    for prefix in ("BUILD", "TARGET")
    for suffix in ("PLATFORM", "OS", "ARCH", "VARIANT")
)
_ARG_DECL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\"(?:[^\"\\]|\\.)*\"|'[^']*'|\S*))?")
_TOKEN = re.compile(r"\S+")


@dataclass
class _State:
    """What the walk through a Dockerfile knows so far."""

    file: str
    build_args: Mapping[str, str]
    global_args: dict[str, str | None] = field(default_factory=dict)
    stage_vars: dict[str, str | None] | None = None  # None before the first FROM
    stages: list[str] = field(default_factory=list)  # lower-cased names; "" for unnamed stages
    stage: str | None = None
    uses: list[BaseImageUse] = field(default_factory=list)


def parse_dockerfile(
    text: str, file: str, build_args: Mapping[str, str] | None = None
) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Parse one Dockerfile's text (BOM removed); `file` is the path to report."""
    lexed = lex(text)
    state = _State(file, build_args or {})
    for directive in lexed.directives:
        if directive.name == "syntax":
            state.uses.append(
                _use(
                    state,
                    directive.value,
                    directive.line,
                    directive.column,
                    UseKind.SYNTAX,
                    directive.value,
                    (),
                )
            )
    for instruction in lexed.instructions:
        _HANDLERS.get(instruction.keyword, _ignore)(state, instruction, lexed.escape)
    problems = [FileProblem(file, reason, line) for line, reason in lexed.problems]
    if not lexed.instructions:
        problems.append(FileProblem(file, "no instructions (empty Dockerfile)"))
    elif not state.stages:
        problems.append(FileProblem(file, "no FROM instruction"))
    return state.uses, problems


def _ignore(state: _State, instruction: Instruction, escape: str) -> None:
    """Instructions that name no image."""


def _arg(state: _State, instruction: Instruction, escape: str) -> None:
    """ARG NAME[=default] ...: global before the first FROM, stage-scoped after it."""
    parts = instruction.text.split(None, 1)
    body = parts[1] if len(parts) == 2 else ""
    scope = state.global_args if state.stage_vars is None else state.stage_vars
    for match in _ARG_DECL.finditer(body):
        name, default = match.group(1), match.group(2)
        if name in state.build_args:
            scope[name] = state.build_args[name]
        elif default is not None:
            scope[name] = expand(_unquote(default), scope, escape=escape).text
        elif scope is not state.global_args and name in state.global_args:
            scope[name] = state.global_args[name]
        else:
            scope[name] = None


def _env(state: _State, instruction: Instruction, escape: str) -> None:
    """ENV K=V ... (or the old `ENV K V`): stage variables visible to COPY --from."""
    parts = instruction.text.split(None, 1)
    if state.stage_vars is None or len(parts) < 2:
        return
    body = parts[1]
    first = body.split(None, 1)
    if "=" not in first[0]:
        value = first[1] if len(first) > 1 else ""
        state.stage_vars[first[0]] = expand(value, state.stage_vars, escape=escape).text
        return
    for match in _ARG_DECL.finditer(body):
        if match.group(2) is not None:
            value = expand(_unquote(match.group(2)), state.stage_vars, escape=escape).text
            state.stage_vars[match.group(1)] = value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _from(state: _State, instruction: Instruction, escape: str) -> None:
    """FROM [--platform=P] image [AS name]."""
    tokens = list(_TOKEN.finditer(instruction.text))[1:]
    platform = None
    while tokens and tokens[0].group().startswith("--"):
        flag = tokens.pop(0).group()
        if flag.lower().startswith("--platform="):
            platform = flag.split("=", 1)[1]
    name = tokens[2].group() if len(tokens) >= 3 and tokens[1].group().lower() == "as" else None
    state.stage, state.stage_vars = name, {}
    if not tokens:
        line, column = instruction.position(len(instruction.text.rstrip()))
        state.uses.append(
            BaseImageUse(
                state.file,
                line,
                column + 1,
                "",
                UseKind.FROM,
                problem="FROM without an image",
                stage=name,
                platform=platform,
            )
        )
        state.stages.append((name or "").lower())
        return
    token = tokens[0]
    scope = {**_platform_defaults(state), **state.global_args}
    expanded = expand(token.group(), scope, escape=escape)
    if expanded.missing or expanded.errors or not _is_stage(state, expanded.text):
        _emit(state, instruction, token, UseKind.FROM, expanded, platform, scope)
    state.stages.append((name or "").lower())


def _platform_defaults(state: _State) -> dict[str, str | None]:
    """BuildKit's automatic platform ARGs: unknown offline unless passed as build args."""
    return {name: state.build_args.get(name) for name in PLATFORM_ARGS}


def _is_stage(state: _State, text: str) -> bool:
    """True for `scratch`, an earlier stage's name, or a stage index."""
    lowered = text.lower()
    if lowered == "scratch" or (lowered and lowered in state.stages):
        return True
    return text.isdigit() and int(text) < len(state.stages)


def _emit(
    state: _State,
    instruction: Instruction,
    token: re.Match[str] | tuple[int, str],
    kind: UseKind,
    expanded: Expansion,
    platform: str | None,
    scope: Mapping[str, str | None],
) -> None:
    """Record one use from a token (or (offset, text)) and its expansion."""
    start, written = (token.start(), token.group()) if isinstance(token, re.Match) else token
    line, column = instruction.position(start)
    notes: tuple[str, ...] = ()
    if not instruction.contiguous(start, start + len(written)):
        notes = (SPLIT_NOTE,)
    use = _use(
        state,
        written,
        line,
        column,
        kind,
        expanded,
        notes,
        ignored_rules(instruction.comments),
        platform,
        scope,
    )
    state.uses.append(use)


def _use(
    state: _State,
    written: str,
    line: int,
    column: int,
    kind: UseKind,
    expanded: object,
    notes: tuple[str, ...],
    ignore: tuple[str, ...] = (),
    platform: str | None = None,
    scope: Mapping[str, str | None] | None = None,
) -> BaseImageUse:
    """A BaseImageUse with its reference parsed, or the reason it could not be."""
    result = expanded if isinstance(expanded, Expansion) else Expansion(str(expanded))
    reference, problem = None, _expansion_problem(result, scope or {})
    if problem is None:
        try:
            reference = parse_reference(result.text)
        except InvalidReference as exc:
            problem = shorten(str(exc))
    if result.text != written and reference is not None:
        notes = (*notes, f"resolved from variables to {result.text}")
    stage = state.stage if kind is not UseKind.SYNTAX else None
    return BaseImageUse(
        state.file, line, column, written, kind, reference, problem, stage, platform, notes, ignore
    )


def _expansion_problem(result: Expansion, scope: Mapping[str, str | None]) -> str | None:
    """Why a substituted reference cannot be used, or None."""
    if result.errors:
        return shorten("; ".join(result.errors))
    reasons = []
    for name in result.missing:
        if name in PLATFORM_ARGS:
            reasons.append(f"{name} depends on the build platform (pass --build-arg {name}=...)")
        elif name in scope:
            reasons.append(
                f"ARG {name} has no default and no build argument (pass --build-arg {name}=...)"
            )
        else:
            reasons.append(f"{name} is not declared by an ARG in scope")
    if reasons:
        return "; ".join(reasons)
    return "empty image reference after substitution" if not result.text else None


def _copy(state: _State, instruction: Instruction, escape: str) -> None:
    """COPY --from=<stage|image>."""
    for token in _flags(instruction):
        if token.group().lower().startswith("--from="):
            offset = token.start() + len("--from=")
            _stage_or_image(
                state, instruction, (offset, token.group()[7:]), UseKind.COPY_FROM, escape
            )


def _run(state: _State, instruction: Instruction, escape: str) -> None:
    """RUN --mount=type=...,from=<stage|image>,..."""
    for token in _flags(instruction):
        if not token.group().lower().startswith("--mount="):
            continue
        offset = token.start() + len("--mount=")
        for part in token.group()[len("--mount=") :].split(","):
            key, _, value = part.partition("=")
            if key.strip().lower() == "from" and value:
                _stage_or_image(
                    state, instruction, (offset + len(key) + 1, value), UseKind.MOUNT_FROM, escape
                )
            offset += len(part) + 1


def _flags(instruction: Instruction) -> list[re.Match[str]]:
    """The `--flag=value` tokens right after the keyword."""
    if "--" not in instruction.text:
        return []
    flags = []
    for token in list(_TOKEN.finditer(instruction.text))[1:]:
        if not token.group().startswith("--"):
            break
        flags.append(token)
    return flags


def _stage_or_image(
    state: _State, instruction: Instruction, where: tuple[int, str], kind: UseKind, escape: str
) -> None:
    """Emit `where` unless it names an earlier stage."""
    scope = {**_platform_defaults(state), **(state.stage_vars or {})}
    expanded = expand(where[1], scope, escape=escape)
    if expanded.missing or expanded.errors or not _is_stage(state, expanded.text):
        _emit(state, instruction, where, kind, expanded, None, scope)


_HANDLERS = {"ARG": _arg, "ENV": _env, "FROM": _from, "COPY": _copy, "RUN": _run}
