"""One image written as a YAML scalar (CI files, manifests): its use, position and suppressions."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import parse_reference
from driftwatch.sources.inventory import SPLIT_NOTE, alias_note
from driftwatch.sources.placeholders import invalid_reference
from driftwatch.sources.suppress import ignored_rules
from driftwatch.sources.yamlnodes import scalar_at

__all__ = ["comments_for", "scalar_use"]


def comments_for(lines: Sequence[str], line: int) -> list[str]:
    """The trailing comment on `line` and the comment lines directly above it."""
    found = [lines[line - 1]] if 0 < line <= len(lines) and "#" in lines[line - 1] else []
    index = line - 2
    while 0 <= index < len(lines) and lines[index].lstrip().startswith("#"):
        found.append(lines[index])
        index -= 1
    return found


def scalar_use(
    node: yaml.ScalarNode,
    text: str,
    file: str,
    kind: UseKind,
    value: str,
    *,
    user: str,
    notes: Sequence[str] = (),
    problem: str | None = None,
    advice: str = "",
    prefix: str = "",
) -> BaseImageUse:
    """The use of the image `value` written at `node` (after `prefix`, e.g. `docker://`)."""
    where = scalar_at(node, text)
    written, column = where.written, where.column
    if prefix and written.startswith(prefix):
        written, column = written[len(prefix) :], column + len(prefix)
    reference = None
    if problem is None and not value:
        problem, advice = "empty image reference", "Name an image."
    if problem is None:
        try:
            reference = parse_reference(value)
        except InvalidReference as exc:
            problem, advice = invalid_reference(value, exc)
    all_notes = [user, *notes]
    if "\n" in where.written:
        all_notes.append(SPLIT_NOTE)
    if where.alias_of is not None:
        all_notes.append(alias_note(where.alias_of))
    if reference is not None and value != written:
        all_notes.append(f"resolves to {value}")
    ignore = ignored_rules(comments_for(text.split("\n"), where.line))
    return BaseImageUse(
        file,
        where.line,
        column,
        written,
        kind,
        reference,
        problem,
        None,
        None,
        tuple(all_notes),
        ignore,
        advice if problem else "",
    )
