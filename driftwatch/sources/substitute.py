"""Variable substitution as Dockerfiles (BuildKit shlex) and compose files do it.

Supported: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
`${VAR:?msg}`, `${VAR?msg}`, and BuildKit's `${VAR#glob}`, `${VAR##glob}`, `${VAR%glob}`,
`${VAR%%glob}` (remove the shortest/longest matching prefix/suffix). A Dockerfile escapes `$`
with its escape character, compose with `$$`.
With `quotes`, single-quoted text is literal and quote characters are removed, as BuildKit does
for the image of FROM, `COPY --from` and `RUN --mount=from`. Results are bounded by `limit`
characters, so a chain of ARGs doubling each other cannot exhaust memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

__all__ = ["MAX_EXPANSION", "MAX_NESTING", "TOO_LONG", "Expansion", "expand"]

MAX_EXPANSION = 64 * 1024
TOO_LONG = "expands beyond 64 KiB"

# The head of `$NAME`, `${NAME`, `${NAME<op>` or a bare `${`; the braced word is found by
# `_closing`, since it may hold nested substitutions (`${A:-${B}-${C}}`), as BuildKit and compose
# allow.
_HEAD = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+?]|##?|%%?)?"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<brace>\{))"
)
MAX_NESTING = 32
NESTED_TOO_DEEP = f"substitution nested more than {MAX_NESTING} levels deep"
_PLAIN = re.compile(r"[^$'\"\\`]+")


@dataclass(frozen=True)
class Expansion:
    """The substituted text and the variables that were needed but not set."""

    text: str
    missing: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    used: tuple[str, ...] = ()  # every variable read, in order

    @property
    def used_variables(self) -> bool:
        """True when substitution changed anything or failed (the text was not literal)."""
        return bool(self.missing or self.errors)

    @property
    def too_long(self) -> bool:
        """True when the result was cut at the size bound."""
        return TOO_LONG in self.errors


@dataclass
class _Acc:
    """What one expansion collects while it walks the word."""

    values: Mapping[str, str | None]
    limit: int
    quotes: bool = False
    depth: int = 0  # how many `${A:-...}` words this expansion is nested in
    size: int = 0
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)


def expand(
    word: str,
    values: Mapping[str, str | None],
    *,
    escape: str | None = "\\",
    dollar_escape: bool = False,
    quotes: bool = False,
    limit: int = MAX_EXPANSION,
    depth: int = 0,
) -> Expansion:
    """Substitute variables in `word`; a None value means declared but not set."""
    if "$" not in word and not (quotes and ("'" in word or '"' in word)):
        return Expansion(word)
    if depth > MAX_NESTING:
        return Expansion("", errors=(NESTED_TOO_DEEP,))
    acc = _Acc(values, limit, quotes, depth)
    text = _walk(word, acc, escape, dollar_escape, quotes)
    return Expansion(
        text, tuple(dict.fromkeys(acc.missing)), tuple(acc.errors), tuple(dict.fromkeys(acc.used))
    )


def _walk(word: str, acc: _Acc, escape: str | None, dollar_escape: bool, quotes: bool) -> str:
    """The expansion loop: one pass over `word`, every append checked against the bound."""
    out: list[str] = []
    pos, quote = 0, ""
    while pos < len(word):
        char = word[pos]
        piece, step = char, 1
        if quote == "'" and char != "'":
            end = word.find("'", pos)
            end = len(word) if end < 0 else end
            piece, step = word[pos:end], end - pos
        elif quotes and char in "'\"" and quote in ("", char):
            quote = "" if quote else char
            piece = ""
        elif escape and char == escape and pos + 1 < len(word):
            following = word[pos + 1]
            if following == "$" or (quotes and following in "'\"" + escape):
                piece, step = following, 2
        elif dollar_escape and word.startswith("$$", pos):
            piece, step = "$", 2
        elif char == "$":
            piece, step = _dollar(word, pos, acc)
        else:
            plain = _PLAIN.match(word, pos)
            if plain is not None:
                piece, step = plain.group(), plain.end() - pos
        if not _append(out, piece, acc):
            break
        pos += step
    return "".join(out)


def _append(out: list[str], piece: str, acc: _Acc) -> bool:
    """Append unless the bound is passed; then record the error once and stop."""
    acc.size += len(piece)
    if acc.size > acc.limit:
        if TOO_LONG not in acc.errors:
            acc.errors.append(TOO_LONG)
        return False
    out.append(piece)
    return True


def _dollar(word: str, pos: int, acc: _Acc) -> tuple[str, int]:
    """The replacement for the `$...` at `pos` and how many characters it spans."""
    head = _HEAD.match(word, pos)
    if head is None:
        return "$", 1
    if head.group("name") is not None:
        return _substitute(head.group("name"), None, "", acc), head.end() - pos
    close = _closing(word, head.end())
    op = head.group("op")
    if head.group("brace") is not None or close < 0 or (op is None and close != head.end()):
        end = len(word) if close < 0 else close + 1
        acc.errors.append(f"bad substitution {word[pos:end]!r}")
        return "", end - pos
    return _substitute(head.group("braced"), op, word[head.end() : close], acc), close + 1 - pos


def _closing(word: str, start: int) -> int:
    """The index of the `}` closing a `${` opened before `start` (nested ones skipped), or -1."""
    depth, pos = 1, start
    while pos < len(word):
        if word.startswith("${", pos):
            depth, pos = depth + 1, pos + 2
            continue
        if word[pos] == "}":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return -1


def _substitute(name: str, op: str | None, raw_word: str, acc: _Acc) -> str:
    """The replacement for one `$NAME` / `${NAME<op>word}`, recording what was missing."""
    acc.used.append(name)
    value = acc.values.get(name)
    is_set = value is not None
    non_empty = bool(value)
    if op is None:
        if not is_set:
            acc.missing.append(name)
        return value or ""
    if op[0] in "#%":
        return _trim(value or "", op, _expand_word(raw_word, acc))
    present = non_empty if op.startswith(":") else is_set
    kind = op[-1]
    uses_word = (kind == "-" and not present) or (kind == "+" and present)
    word = _expand_word(raw_word, acc) if uses_word else raw_word
    if kind == "-":
        return value if present and value is not None else word
    if kind == "+":
        return word if present else ""
    if not present:  # "?"
        missing = f"required variable {name} is missing a value"  # compose's own words
        acc.errors.append(f"{missing}: {word}" if word else missing)
    return value or ""


def _trim(value: str, op: str, pattern: str) -> str:
    """`${VAR#glob}` and friends: drop the shortest (longest when doubled) matching affix."""
    cuts = range(len(value) + 1)
    order = reversed(cuts) if len(op) == 2 else cuts
    for cut in order:
        if op[0] == "#" and fnmatchcase(value[:cut], pattern):
            return value[cut:]
        if op[0] == "%" and fnmatchcase(value[len(value) - cut :], pattern):
            return value[: len(value) - cut]
    return value


def _expand_word(word: str, acc: _Acc) -> str:
    """Substitute inside the word of `${A:-word}` / `${A:+word}` (only when it is used)."""
    if "$" not in word and not (acc.quotes and ("'" in word or '"' in word)):
        return word
    inner = expand(
        word, acc.values, escape=None, quotes=acc.quotes, limit=acc.limit, depth=acc.depth + 1
    )
    acc.missing.extend(inner.missing)
    acc.errors.extend(inner.errors)
    acc.used.extend(inner.used)
    return inner.text
