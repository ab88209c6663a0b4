"""Pure rewrite of image references to `<as written>@sha256:<index digest>`.

`plan_pins` decides what to change (and why some uses cannot be pinned); `apply_pins` edits one
file's text in place, leaving every other byte (CRLF, continuations, comments, BOM) as it was.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from driftwatch.aliases import retag_written
from driftwatch.errors import InputError
from driftwatch.models import BaseImageUse
from driftwatch.reference import ImageReference
from driftwatch.sources.inventory import ALIAS_NOTE, SPLIT_NOTE, Inventory

__all__ = ["PinEdit", "apply_pins", "plan_pins", "refs_to_resolve", "unified_diff"]


@dataclass(frozen=True)
class PinEdit:
    """One planned change: `old` at file:line:column becomes `new` (None: not pinnable)."""

    file: str
    line: int
    column: int
    old: str
    new: str | None
    reference: ImageReference | None
    reason: str | None = None  # why not pinnable, when `new` is None

    @property
    def pinnable(self) -> bool:
        """True when this edit changes the file."""
        return self.new is not None


def _unpinnable(use: BaseImageUse) -> str | None:
    """Why a use cannot be rewritten in place, or None."""
    if use.reference is None:
        return f"cannot be resolved: {use.problem}"
    if "$" in use.written:
        return (
            f"written with variables ({use.written}); pin the ARG default or the build "
            "argument instead"
        )
    if SPLIT_NOTE in use.notes:
        return "the reference is split across lines"
    anchor = next((n for n in use.notes if n.startswith(ALIAS_NOTE)), None)
    if anchor is not None:
        return f"a YAML alias; pin the anchor at line {anchor.rsplit(' ', 1)[1]} instead"
    return None


def refs_to_resolve(inventory: Inventory, *, update: bool = False) -> list[ImageReference]:
    """The tag references `pin` needs digests for (unpinned ones; pinned too with `update`)."""
    refs = []
    for use in inventory.uses:
        if use.reference is None or _unpinnable(use) is not None:
            continue
        if use.reference.digest is None or update:
            refs.append(use.reference.without_digest())
    return list(dict.fromkeys(refs))


def plan_pins(
    inventory: Inventory,
    digests: Mapping[ImageReference, str],
    *,
    update: bool = False,
    tags: Mapping[ImageReference, str] | None = None,
) -> list[PinEdit]:
    """The edits that pin every unpinned use (and, with `update`, refresh stale digests);
    `tags` (pin --suggest) names the tag to write instead of the one written."""
    edits: dict[tuple[str, int, int], PinEdit] = {}
    for use in inventory.uses:
        where = (use.file, use.line, use.column)
        reason = _unpinnable(use)
        if reason is not None:
            edits[where] = PinEdit(*where, use.written, None, use.reference, reason)
            continue
        edit = _plan_one(use, digests, update, tags or {})
        if edit is not None:
            edits[where] = edit
    return list(edits.values())


def _plan_one(
    use: BaseImageUse,
    digests: Mapping[ImageReference, str],
    update: bool,
    tags: Mapping[ImageReference, str],
) -> PinEdit | None:
    """The edit for one resolvable, literal use; None when nothing is to change."""
    reference = use.reference
    assert reference is not None
    if reference.digest is not None and not update:
        return None
    where = (use.file, use.line, use.column)
    digest = digests.get(reference.without_digest())
    if digest is None:
        reason = f"no digest was resolved for {reference.without_digest().familiar}"
        return PinEdit(*where, use.written, None, reference, reason)
    base = use.written.split("@", 1)[0]
    tag = tags.get(reference.without_digest())
    if tag is not None:
        base = retag_written(base, tag)
    if digest == reference.digest and base == use.written.split("@", 1)[0]:
        return None
    return PinEdit(*where, use.written, f"{base}@{digest}", reference)


def apply_pins(text: str, edits: Sequence[PinEdit]) -> str:
    """`text` with each pinnable edit applied; InputError when a position no longer matches."""
    bom = text.startswith("\ufeff")
    lines = text.split("\n")
    for edit in sorted((e for e in edits if e.new is not None), key=lambda e: (-e.line, -e.column)):
        assert edit.new is not None
        index = edit.line - 1
        start = edit.column - 1 + (1 if bom and index == 0 else 0)
        line = lines[index] if 0 <= index < len(lines) else ""
        if line[start : start + len(edit.old)] != edit.old:
            raise InputError(
                f"{edit.file}:{edit.line}:{edit.column}: expected {edit.old!r}; "
                "the file changed since it was scanned"
            )
        lines[index] = line[:start] + edit.new + line[start + len(edit.old) :]
    return "\n".join(lines)


def unified_diff(file: str, before: str, after: str) -> str:
    """A unified diff of one file's change, `a/<file>` to `b/<file>`."""
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{file}",
        tofile=f"b/{file}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)
