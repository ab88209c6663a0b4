"""What discovery hands on: every image use found, and every file that could not be read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from driftwatch.models import BaseImageUse

__all__ = ["ALIAS_NOTE", "SPLIT_NOTE", "FileProblem", "Inventory", "alias_note", "in_place"]

# The note on a use whose text spans lines: it is reported but never rewritten in place.
SPLIT_NOTE = "reference is split across lines"
# The start of the note on a YAML alias use: reported at the alias, written at the anchor.
ALIAS_NOTE = "YAML alias of the anchor at line"


def alias_note(anchor_line: int) -> str:
    """The note on a use reported at a YAML alias (`*name`) whose text is at the anchor."""
    return f"{ALIAS_NOTE} {anchor_line}"


def in_place(use: BaseImageUse) -> bool:
    """True when `written` stands at (line, column), so the text can be rewritten there."""
    return not any(n == SPLIT_NOTE or n.startswith(ALIAS_NOTE) for n in use.notes)


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be (fully) read: binary, bad UTF-8, symlink loop, open heredoc."""

    file: str  # relative to the scanned root, forward slashes
    reason: str
    line: int | None = None  # 1-based, when the problem has a place


@dataclass(frozen=True)
class Inventory:
    """All external image references under `root`, sorted by file, line and column."""

    uses: tuple[BaseImageUse, ...]
    problems: tuple[FileProblem, ...]
    root: Path
    files: tuple[str, ...] = ()  # every file that was parsed, relative to root

    @property
    def resolvable(self) -> tuple[BaseImageUse, ...]:
        """Uses whose reference could be worked out (what `lock`, `check` and `pin` act on)."""
        return tuple(use for use in self.uses if use.reference is not None)
