"""Every external image a Dockerfile names, with exact positions and BuildKit's ARG semantics.

Emitted: `# syntax=` directives, FROM images, `COPY --from=<image>`, `RUN --mount=...,from=<image>`.
Not emitted: `scratch`, references to earlier stages (by name or index), named build contexts and
images the same compose project builds: they are not images to guard.
BuildKit's automatic platform args are substituted per platform (see `platforms.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import ImageReference, parse_reference
from driftwatch.sources.inventory import SPLIT_NOTE, FileProblem
from driftwatch.sources.lexer import Instruction, Lexed, lex
from driftwatch.sources.placeholders import invalid_reference
from driftwatch.sources.platforms import (
    GUESSED_PLATFORMS,
    PLATFORM_ADVICE,
    PLATFORM_ARGS,
    automatic_args,
    mentions_platform,
    merge_passes,
)
from driftwatch.sources.substitute import TOO_LONG, Expansion, expand
from driftwatch.sources.suppress import ignored_rules

__all__ = ["DockerfileOptions", "parse_dockerfile", "shorten"]

MAX_MESSAGE = 300


def shorten(message: str) -> str:
    """A problem message cut to a readable length (references can be absurdly long)."""
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


_ARG_DECL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\"(?:[^\"\\]|\\.)*\"|'[^']*'|\S*))?")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class DockerfileOptions:
    """What the build around a Dockerfile supplies besides its text."""

    build_args: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)  # build arg -> where it came from
    platforms: tuple[str, ...] = ()  # the platforms built for; () = not known
    contexts: frozenset[str] = frozenset()  # named build contexts (lower-cased): not images
    local_images: frozenset[str] = frozenset()  # images the compose project builds itself


@dataclass
class Pass:
    """What one walk through a Dockerfile (for one platform, or none) found."""

    uses: dict[tuple[int, int, str], BaseImageUse] = field(default_factory=dict)
    stages: dict[tuple[int, int, str], str] = field(default_factory=dict)  # position -> stage
    problems: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _State:
    """What the walk through a Dockerfile knows so far."""

    file: str
    options: DockerfileOptions
    auto: dict[str, str | None]
    global_args: dict[str, str | None] = field(default_factory=dict)
    stage_vars: dict[str, str | None] | None = None  # None before the first FROM
    origins: dict[str, str] = field(default_factory=dict)  # variable -> where its value came from
    global_origins: dict[str, str] = field(default_factory=dict)
    stages: set[str] = field(default_factory=set)  # lower-cased names of earlier stages
    count: int = 0  # stages so far (for numeric references)
    stage: str | None = None
    oversized: dict[str, str] = field(default_factory=dict)  # name -> `ARG` or `ENV`
    result: Pass = field(default_factory=Pass)


def parse_dockerfile(
    text: str,
    file: str,
    build_args: Mapping[str, str] | None = None,
    options: DockerfileOptions | None = None,
) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Parse one Dockerfile's text (BOM removed); `file` is the path to report."""
    opts = options or DockerfileOptions()
    if build_args is not None:
        opts = replace(opts, build_args={**opts.build_args, **build_args})
    lexed = lex(text)
    uses, first = _read(lexed, file, opts, mentions_platform(text))
    problems = [FileProblem(file, reason, line) for line, reason in first.problems]
    if not lexed.instructions:
        problems.append(FileProblem(file, "no instructions (empty Dockerfile)"))
    elif not any(i.keyword == "FROM" for i in lexed.instructions):
        problems.append(FileProblem(file, "no FROM instruction"))
    return uses, problems


def _read(
    lexed: Lexed, file: str, opts: DockerfileOptions, by_platform: bool
) -> tuple[list[BaseImageUse], Pass]:
    """The uses, from one pass per known platform, or one plain pass and the guessed ones."""

    def walk(platform: str | None) -> Pass:
        return _walk(lexed, file, opts, automatic_args(platform, opts.build_args))

    if opts.platforms:
        wanted = opts.platforms if by_platform else opts.platforms[:1]  # else the same for all
        passes = [(platform, walk(platform)) for platform in wanted]
        return merge_passes(None, passes), passes[0][1]
    plain = walk(None)
    if not by_platform:
        return list(plain.uses.values()), plain
    guesses = [(platform, walk(platform)) for platform in GUESSED_PLATFORMS]
    return merge_passes(plain, guesses), plain


def _walk(lexed: Lexed, file: str, options: DockerfileOptions, auto: dict[str, str | None]) -> Pass:
    """One pass over the instructions with the automatic platform args set to `auto`."""
    state = _State(file, options, auto)
    for directive in lexed.directives:
        if directive.name == "syntax":
            use = _use(state, directive.value, directive.line, directive.column, UseKind.SYNTAX)
            state.result.uses[(use.line, use.column, use.kind.value)] = use
    for instruction in lexed.instructions:
        _HANDLERS.get(instruction.keyword, _ignore)(state, instruction, lexed.escape)
    state.result.problems[:0] = list(lexed.problems)
    return state.result


def _ignore(state: _State, instruction: Instruction, escape: str) -> None:
    """Instructions that name no image."""


def _arg(state: _State, instruction: Instruction, escape: str) -> None:
    """ARG NAME[=default] ...: global before the first FROM, stage-scoped after it."""
    parts = instruction.text.split(None, 1)
    body = parts[1] if len(parts) == 2 else ""
    in_global = state.stage_vars is None
    scope = state.global_args if state.stage_vars is None else state.stage_vars
    build_args = state.options.build_args
    for match in _ARG_DECL.finditer(body):
        name, default = match.group(1), match.group(2)
        if name in build_args:
            scope[name] = build_args[name]
            state.origins[name] = state.options.origins.get(name, "a build argument")
        elif default is not None:
            values = {**state.auto, **scope} if in_global else scope
            expanded = expand(default, values, escape=escape, quotes=True)
            if _oversized(state, instruction, f"ARG {name}", expanded):
                state.oversized[name] = "ARG"
                scope[name] = None
                continue
            scope[name] = expanded.text
            state.origins[name] = f"the ARG default at line {instruction.line}"
        elif not in_global and name in state.global_args:
            scope[name] = state.global_args[name]
            if name in state.global_origins:
                state.origins[name] = state.global_origins[name]
        elif name in PLATFORM_ARGS:
            scope[name] = state.auto.get(name)
            state.origins[name] = "BuildKit's automatic platform arg"
        else:
            scope[name] = None
        state.oversized.pop(name, None)
        if in_global and name in state.origins:
            state.global_origins[name] = state.origins[name]


def _env(state: _State, instruction: Instruction, escape: str) -> None:
    """ENV K=V ... (or the old `ENV K V`): stage variables visible to COPY --from."""
    parts = instruction.text.split(None, 1)
    if state.stage_vars is None or len(parts) < 2:
        return
    body = parts[1]
    first = body.split(None, 1)
    pairs: list[tuple[str, str]]
    if "=" not in first[0]:
        pairs = [(first[0], first[1] if len(first) > 1 else "")]
    else:
        pairs = [(m.group(1), _unquote(m.group(2))) for m in _ARG_DECL.finditer(body) if m.group(2)]
    for name, raw in pairs:
        expanded = expand(raw, state.stage_vars, escape=escape)
        if _oversized(state, instruction, f"ENV {name}", expanded):
            state.oversized[name] = "ENV"
            state.stage_vars[name] = None
            continue
        state.stage_vars[name] = expanded.text
        state.origins[name] = f"ENV at line {instruction.line}"
        state.oversized.pop(name, None)


def _oversized(state: _State, instruction: Instruction, what: str, expanded: Expansion) -> bool:
    """True when a value passes the size bound, directly (reported once) or through another."""
    if expanded.too_long:
        state.result.problems.append((instruction.line, f"{what} {TOO_LONG}"))
        return True
    return any(name in state.oversized for name in expanded.used)


def _unquote(value: str) -> str:
    """A value without one pair of surrounding quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _inside_quotes(start: int, text: str) -> tuple[int, str]:
    """A token wrapped in one pair of quotes, as BuildKit reads it: the text inside."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" and text[0] not in text[1:-1]:
        return start + 1, text[1:-1]
    return start, text


def _from(state: _State, instruction: Instruction, escape: str) -> None:
    """FROM [--platform=P] image [AS name]."""
    tokens = list(_TOKEN.finditer(instruction.text))[1:]
    scope = {**state.auto, **state.global_args}
    platform = None
    while tokens and tokens[0].group().startswith("--"):
        flag = tokens.pop(0).group()
        if flag.lower().startswith("--platform="):
            platform = _platform_value(flag.split("=", 1)[1], scope, escape)
    name = tokens[2].group() if len(tokens) >= 3 and tokens[1].group().lower() == "as" else None
    state.stage, state.stage_vars, state.origins = name, {}, dict(state.global_origins)
    if not tokens:
        line, column = instruction.position(len(instruction.text.rstrip()))
        use = BaseImageUse(
            state.file,
            line,
            column + 1,
            "",
            UseKind.FROM,
            problem="FROM without an image",
            stage=name,
            platform=platform,
            advice="Name the image after FROM.",
        )
        state.result.uses[(use.line, use.column, use.kind.value)] = use
    else:
        where = _inside_quotes(tokens[0].start(), tokens[0].group())
        _stage_or_image(state, instruction, where, UseKind.FROM, escape, scope, platform)
    state.count += 1
    if name:
        state.stages.add(name.lower())


def _platform_value(raw: str, scope: Mapping[str, str | None], escape: str) -> str:
    """`--platform=` with variables substituted; as written when they cannot be."""
    expanded = expand(raw, scope, escape=escape, quotes=True)
    if expanded.missing or expanded.errors or not expanded.text:
        return raw
    return expanded.text


def _is_stage(state: _State, text: str) -> bool:
    """True for `scratch`, an earlier stage's name, a stage index, or a named build context."""
    lowered = text.lower()
    if lowered == "scratch" or lowered in state.stages or lowered in state.options.contexts:
        return True
    return text.isdigit() and int(text) < state.count


def _stage_or_image(
    state: _State,
    instruction: Instruction,
    where: tuple[int, str],
    kind: UseKind,
    escape: str,
    scope: Mapping[str, str | None],
    platform: str | None = None,
) -> None:
    """Emit `where` unless it names an earlier stage, a named context or a local image."""
    expanded = expand(where[1], scope, escape=escape, quotes=True)
    line, column = instruction.position(where[0])
    key = (line, column, kind.value)
    if not (expanded.missing or expanded.errors) and _is_stage(state, expanded.text):
        state.result.stages[key] = expanded.text
        return
    if _is_local(state, expanded):
        state.result.stages[key] = f"{expanded.text} (built by the compose project)"
        return
    notes: tuple[str, ...] = ()
    if not instruction.contiguous(where[0], where[0] + len(where[1])):
        notes = (SPLIT_NOTE,)
    ignore = ignored_rules(instruction.comments)
    use = _use(state, where[1], line, column, kind, expanded, notes, ignore, platform, scope)
    state.result.uses[key] = use


def _is_local(state: _State, expanded: Expansion) -> bool:
    """True when the reference is an image the compose project builds itself."""
    if not state.options.local_images or expanded.missing or expanded.errors:
        return False
    try:
        return str(parse_reference(expanded.text)) in state.options.local_images
    except InvalidReference:
        return False


def _use(
    state: _State,
    written: str,
    line: int,
    column: int,
    kind: UseKind,
    expanded: Expansion | str | None = None,
    notes: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    platform: str | None = None,
    scope: Mapping[str, str | None] | None = None,
) -> BaseImageUse:
    """A BaseImageUse with its reference parsed, or the reason it could not be."""
    result = expanded if isinstance(expanded, Expansion) else Expansion(expanded or written)
    problem, advice = _expansion_problem(state, result, scope or {}, kind)
    reference: ImageReference | None = None
    if problem is None:
        try:
            reference = parse_reference(result.text)
        except InvalidReference as exc:
            problem, advice = invalid_reference(result.text, exc)
    if result.text != written and reference is not None:
        notes = (
            *notes,
            f"resolved from variables to {result.text}",
            *_provenance(state, result, scope or {}),
        )
    stage = state.stage if kind is not UseKind.SYNTAX else None
    return BaseImageUse(
        state.file,
        line,
        column,
        written,
        kind,
        reference,
        problem,
        stage,
        platform,
        notes,
        ignore,
        advice if problem else "",
        bool(problem) and any(n in PLATFORM_ARGS and n in (scope or {}) for n in result.missing),
    )


def _provenance(
    state: _State, result: Expansion, scope: Mapping[str, str | None]
) -> tuple[str, ...]:
    """`NAME = value from <where>` for every variable the reference was built from."""
    notes = []
    for name in result.used:
        value = scope.get(name)
        origin = state.origins.get(name)
        if origin is None and name in PLATFORM_ARGS:
            origin = "the platform built for"
        if value is not None and origin is not None:
            notes.append(shorten(f"{name} = {value} from {origin}"))
    return tuple(notes)


def _expansion_problem(
    state: _State, result: Expansion, scope: Mapping[str, str | None], kind: UseKind
) -> tuple[str | None, str]:
    """Why a substituted reference cannot be used (or None), and what to do about it."""
    if result.errors:
        return shorten("; ".join(result.errors)), "Fix the substitution in the reference."
    reasons: list[str] = []
    advice: list[str] = []
    for name in result.missing:
        if name in state.oversized:
            reasons.append(f"{state.oversized[name]} {name} {TOO_LONG}")
            advice.append(f"Give {state.oversized[name]} {name} a short value naming the image.")
        elif name in PLATFORM_ARGS and name in scope:
            reasons.append(f"{name} is BuildKit's automatic platform arg and no platform is known")
            advice.append(PLATFORM_ADVICE)
        elif name in scope:
            reasons.append(f"ARG {name} has no default and no build argument")
            advice.append(
                f"Give `ARG {name}` a default naming the image, or pass --build-arg {name}=<image>"
                " (or set build_args in driftwatch.toml); when compose builds this Dockerfile, "
                "scan the folder of the compose file so its build args apply."
            )
        else:
            where = "before the first FROM" if kind is UseKind.FROM else "in this stage"
            reasons.append(f"{name} is not declared by an ARG in scope")
            advice.append(f"Declare `ARG {name}=<image>` {where}.")
    if reasons:
        return "; ".join(reasons), " ".join(dict.fromkeys(advice))
    if not result.text:
        given = [f"{n} from {state.origins[n]}" for n in result.used if n in state.origins]
        why = f" ({'; '.join(given)})" if given else ""
        return shorten(f"empty image reference after substitution{why}"), (
            "Give the variable a value naming the image where it is set."
            if given
            else "Name an image."
        )
    return None, ""


def _copy(state: _State, instruction: Instruction, escape: str) -> None:
    """COPY --from=<stage|image>."""
    for token in _flags(instruction):
        if token.group().lower().startswith("--from="):
            where = _inside_quotes(token.start() + len("--from="), token.group()[7:])
            _stage_or_image(state, instruction, where, UseKind.COPY_FROM, escape, _scope(state))


def _run(state: _State, instruction: Instruction, escape: str) -> None:
    """RUN --mount=type=...,from=<stage|image>,..."""
    for token in _flags(instruction):
        if not token.group().lower().startswith("--mount="):
            continue
        offset = token.start() + len("--mount=")
        for part in token.group()[len("--mount=") :].split(","):
            key, _, value = part.partition("=")
            if key.strip().lower() == "from" and value:
                where = _inside_quotes(offset + len(key) + 1, value)
                _stage_or_image(
                    state, instruction, where, UseKind.MOUNT_FROM, escape, _scope(state)
                )
            offset += len(part) + 1


def _scope(state: _State) -> dict[str, str | None]:
    """Variables visible inside the current stage."""
    return dict(state.stage_vars or {})


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


_HANDLERS = {"ARG": _arg, "ENV": _env, "FROM": _from, "COPY": _copy, "RUN": _run}
