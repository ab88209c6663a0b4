"""A compose build's `dockerfile_inline`: the Dockerfile written inside the compose file.

Compose interpolates the text first (`${VAR}` from `.env` and the environment, `$$` for a `$`
the Dockerfile sees), then BuildKit reads it as any Dockerfile. Each line is interpolated on its
own, so the lines stay where they are; the text is parsed twice, as written (for positions and
`written`) and as interpolated (for references), and every use is reported in the compose file at
the line and column of its text there. When the text cannot be mapped back (a folded or escaped
scalar, a line whose token count changed), the use is reported at the scalar and marked split,
so `pin` never rewrites it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import yaml

from driftwatch.models import BaseImageUse
from driftwatch.sources.dockerfile import DockerfileOptions, parse_dockerfile, shorten
from driftwatch.sources.inventory import SPLIT_NOTE, FileProblem
from driftwatch.sources.substitute import expand
from driftwatch.sources.yamlnodes import scalar_at

__all__ = ["InlineDockerfile", "inline_dockerfile", "parse_inline", "parse_inlines"]


@dataclass(frozen=True)
class InlineDockerfile:
    """The text of a `dockerfile_inline` and where its first line is in the compose file."""

    raw: str  # as written (after YAML unquoting)
    text: str  # as compose interpolates it, line by line
    line: int  # 1-based compose line of the Dockerfile's line 1
    indent: int  # characters before the Dockerfile's column 1 on every line
    exact: bool  # False: positions cannot be mapped; uses are reported at the scalar
    unset: tuple[tuple[int, str], ...] = ()  # (Dockerfile line, why compose cannot interpolate it)


def inline_dockerfile(
    node: yaml.ScalarNode, compose_text: str, values: Mapping[str, str]
) -> InlineDockerfile:
    """The inline Dockerfile of one `dockerfile_inline` scalar, interpolated with `values`."""
    raw = str(node.value)
    lines, unset = [], []
    for number, source in enumerate(raw.split("\n"), start=1):
        expanded = expand(source, values, escape=None, dollar_escape=True)
        lines.append(expanded.text)
        why = [*expanded.errors, *(f"variable {n} is not set" for n in expanded.missing)]
        if why:
            unset.append((number, shorten("; ".join(why))))
    where = scalar_at(node, compose_text)
    line, indent, exact = where.line, where.column - 1, "\n" not in where.written
    exact = exact and where.written == raw and where.alias_of is None
    if node.style == "|" and where.alias_of is None:
        body = compose_text.replace("\r\n", "\n").split("\n")[where.line :]  # after `|`
        first = next((text for text in body if text.strip()), "")
        line, indent = where.line + 1, len(first) - len(first.lstrip(" "))
        exact = all(
            not text or index < len(body) and body[index][indent:] == text
            for index, text in enumerate(raw.split("\n"))
        )
    return InlineDockerfile(raw, "\n".join(lines), line, indent, exact, tuple(unset))


def parse_inlines(
    builds: list[tuple[InlineDockerfile, str, str, DockerfileOptions]],
) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Every (inline Dockerfile, compose file, service, options), a use shared by several
    services (a merged `x-build` anchor) reported once with all of them."""
    merged: dict[tuple[object, ...], list[tuple[BaseImageUse, str]]] = {}
    problems: list[FileProblem] = []
    for inline, file, service, options in builds:
        uses, trouble = parse_inline(inline, file, service, options)
        problems.extend(p for p in trouble if p not in problems)
        for use in uses:
            key = (use.file, use.line, use.column, use.kind, use.reference, use.problem)
            merged.setdefault(key, []).append((use, service))
    return [_merge(same) for same in merged.values()], problems


def _merge(same: list[tuple[BaseImageUse, str]]) -> BaseImageUse:
    """One use for several services' builds of the same text: every service named first."""
    use = same[0][0]
    names = list(dict.fromkeys(service for _, service in same))
    if len(names) < 2:
        return use
    note = f"dockerfile_inline of compose services {', '.join(names)}"
    rest = dict.fromkeys(n for u, _ in same for n in u.notes[1:])
    return replace(use, notes=(note, *rest))


def parse_inline(
    inline: InlineDockerfile, file: str, service: str, options: DockerfileOptions
) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """The uses and problems of an inline Dockerfile, placed in the compose file `file`."""
    written, _ = parse_dockerfile(inline.raw, file, options=options)
    uses, problems = parse_dockerfile(inline.text, file, options=options)
    placed = [_place(inline, use, _twin(use, uses, written), service) for use in uses]
    moved = [
        FileProblem(
            file, p.reason, inline.line + (p.line or 1) - 1 if inline.exact else inline.line
        )
        for p in problems
    ]
    return placed, moved


def _twin(
    use: BaseImageUse, uses: list[BaseImageUse], written: list[BaseImageUse]
) -> BaseImageUse | None:
    """The use of the text as written standing where `use` stands (same line, kind and rank)."""
    same = [u for u in uses if (u.line, u.kind) == (use.line, use.kind)]
    twins = [u for u in written if (u.line, u.kind) == (use.line, use.kind)]
    ranked = sorted({u.column for u in same})
    columns = sorted({u.column for u in twins})
    if len(ranked) != len(columns):
        return None
    column = columns[ranked.index(use.column)]
    return next(u for u in twins if u.column == column)


def _place(
    inline: InlineDockerfile,
    use: BaseImageUse,
    twin: BaseImageUse | None,
    service: str,
) -> BaseImageUse:
    """`use` moved into the compose file, with its compose interpolation problem if any."""
    notes = [f"dockerfile_inline of compose service {service}", *use.notes]
    line, column, written = inline.line, inline.indent + 1, inline.raw
    if inline.exact and twin is not None:
        line, column = inline.line + use.line - 1, inline.indent + twin.column
        written = twin.written
        if SPLIT_NOTE in twin.notes and SPLIT_NOTE not in notes:
            notes.append(SPLIT_NOTE)
    else:
        notes.append(SPLIT_NOTE)
    unset = dict(inline.unset).get(use.line)
    if unset is None:
        return replace(use, line=line, column=column, written=written, notes=tuple(notes))
    return replace(
        use,
        line=line,
        column=column,
        written=written,
        reference=None,
        problem=f"{unset} (compose interpolates dockerfile_inline before the build)",
        advice="Set the variable in .env or the environment compose runs in, or write `$$` for "
        "a `$` the Dockerfile itself should see.",
        notes=tuple(notes),
    )
