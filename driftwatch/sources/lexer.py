"""Split Dockerfile text into parser directives and logical instructions, keeping exact positions.

Follows BuildKit: directives only at the very top, the escape character (`\\` or a backtick) joins
lines, comment and blank lines inside a continuation are dropped, heredoc bodies
(`<<EOF` in RUN/COPY/ADD) are skipped. Columns count characters of the original line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

__all__ = ["Directive", "Instruction", "Lexed", "lex"]

_DIRECTIVE = re.compile(r"[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*)")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
# A heredoc opens at a shell word (quotes and escapes kept, as BuildKit's raw lexer splits it)
# that starts with `<<` (after an optional fd): `<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`; not
# `"<<EOF"` or `\\<<EOF` (quoted or escaped), nor `<<<` (a here-string).
_HEREDOC = re.compile(r"\d*<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2(?:[^<]*)")
_WORD = re.compile(r"""(?:[^\s"'\\]|\\.?|"(?:[^"\\]|\\.)*"?|'[^']*'?)+""", re.DOTALL)
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Directive:
    """A parser directive such as `# syntax=docker/dockerfile:1`, with where its value starts."""

    name: str
    value: str
    line: int
    column: int


@dataclass(frozen=True)
class Instruction:
    """One logical instruction: its joined text and a map from text offsets to file positions."""

    keyword: str
    text: str
    line: int
    segments: tuple[tuple[int, int, int], ...]  # (offset in text, line, 0-based column)
    comments: tuple[str, ...] = ()  # comment lines directly above, stripped

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of the character at `offset` in `text`."""
        index = max(bisect_right([s[0] for s in self.segments], offset) - 1, 0)
        start, line, column = self.segments[index]
        return line, column + (offset - start) + 1

    def contiguous(self, start: int, end: int) -> bool:
        """True when text[start:end] lies on one physical line (so it can be rewritten in place)."""
        return self.position(start)[0] == self.position(max(end - 1, start))[0]


@dataclass(frozen=True)
class Lexed:
    """Everything the lexer found in one file."""

    directives: tuple[Directive, ...]
    instructions: tuple[Instruction, ...]
    problems: tuple[tuple[int, str], ...] = field(default=())  # (line, reason)
    escape: str = "\\"


def lex(text: str) -> Lexed:
    """Lex a whole Dockerfile (BOM already removed)."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    directives, escape, index = _directives(lines)
    instructions: list[Instruction] = []
    problems: list[tuple[int, str]] = []
    comments: list[str] = []
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            if stripped:
                comments.append(stripped)  # appended in place: linear in the comment lines
            else:
                comments = []
            index += 1
            continue
        instruction, index = _logical(lines, index, escape, tuple(comments), problems)
        instructions.append(instruction)
        comments = []
        if instruction.keyword in _HEREDOC_KEYWORDS:
            index = _skip_heredocs(lines, index, instruction, problems)
    return Lexed(tuple(directives), tuple(instructions), tuple(problems), escape)


def _directives(lines: list[str]) -> tuple[list[Directive], str, int]:
    """Read the directives at the top; stop at the first line that is not a new known directive."""
    found: list[Directive] = []
    escape = "\\"
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        name = match.group(1).lower() if match else ""
        if not match or name not in _KNOWN_DIRECTIVES or any(d.name == name for d in found):
            return found, escape, index
        value = match.group(2).rstrip(" \t")
        found.append(Directive(name, value, index + 1, match.start(2) + 1))
        if name == "escape" and value in ("\\", "`"):
            escape = value
    return found, escape, len(lines)


def _continues(line: str, escape: str) -> int | None:
    """Index of a trailing escape character (followed only by blanks), or None."""
    body = line.rstrip(" \t")
    if body.endswith(escape):
        return len(body) - 1
    return None


def _logical(
    lines: list[str],
    index: int,
    escape: str,
    comments: tuple[str, ...],
    problems: list[tuple[int, str]],
) -> tuple[Instruction, int]:
    """Join physical lines from `index` into one instruction; return it and the next line index."""
    first = index
    line = lines[index]
    lead = len(line) - len(line.lstrip())
    parts: list[str] = []
    segments: list[tuple[int, int, int]] = []
    offset, column = 0, lead
    while True:
        line = lines[index]
        cut = _continues(line, escape)
        piece = line[column : cut if cut is not None else len(line)]
        segments.append((offset, index + 1, column))
        parts.append(piece)
        offset += len(piece)
        index += 1
        if cut is None:
            break
        while index < len(lines) and (not lines[index].strip() or _is_comment(lines[index])):
            index += 1
        if index >= len(lines):
            problems.append((first + 1, "unterminated line continuation at end of file"))
            break
        column = 0
    text = "".join(parts)
    keyword = text.split(None, 1)[0].upper() if text.strip() else ""
    return Instruction(keyword, text, first + 1, tuple(segments), comments), index


def _is_comment(line: str) -> bool:
    """True for a comment line (leading blanks allowed)."""
    return line.lstrip().startswith("#")


def _skip_heredocs(
    lines: list[str], index: int, instruction: Instruction, problems: list[tuple[int, str]]
) -> int:
    """Skip the bodies of every heredoc the instruction opens; they are not instructions."""
    words = (_HEREDOC.fullmatch(word.group()) for word in _WORD.finditer(instruction.text))
    for match in (m for m in words if m is not None):
        strip_tabs, name = match.group(1) == "-", match.group(3)
        while index < len(lines):
            body = lines[index].lstrip("\t") if strip_tabs else lines[index]
            index += 1
            if body == name:
                break
        else:
            problems.append((instruction.line, f"unterminated heredoc <<{name}"))
            return len(lines)
    return index
