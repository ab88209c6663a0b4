"""Variable substitution as Dockerfiles (BuildKit shlex) and compose files do it.

Supported: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
`${VAR:?msg}`, `${VAR?msg}`. A Dockerfile escapes `$` with its escape character, compose with `$$`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Expansion", "expand"]

_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<word>[^}]*))?\}"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\{[^}]*\}?))"
)


@dataclass(frozen=True)
class Expansion:
    """The substituted text and the variables that were needed but not set."""

    text: str
    missing: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def used_variables(self) -> bool:
        """True when substitution changed anything or failed (the text was not literal)."""
        return bool(self.missing or self.errors)


def expand(
    word: str,
    values: Mapping[str, str | None],
    *,
    escape: str | None = "\\",
    dollar_escape: bool = False,
) -> Expansion:
    """Substitute variables in `word`; a None value means declared but not set."""
    if "$" not in word:
        return Expansion(word)
    missing: list[str] = []
    errors: list[str] = []
    out: list[str] = []
    pos = 0
    while pos < len(word):
        char = word[pos]
        if escape and char == escape and word[pos + 1 : pos + 2] == "$":
            out.append("$")
            pos += 2
            continue
        if dollar_escape and word.startswith("$$", pos):
            out.append("$")
            pos += 2
            continue
        match = _VARIABLE.match(word, pos) if char == "$" else None
        if match is None:
            out.append(char)
            pos += 1
            continue
        out.append(_substitute(match, values, missing, errors))
        pos = match.end()
    return Expansion("".join(out), tuple(dict.fromkeys(missing)), tuple(errors))


def _substitute(
    match: re.Match[str], values: Mapping[str, str | None], missing: list[str], errors: list[str]
) -> str:
    """The replacement for one `$...` occurrence, recording what was missing."""
    if match.group("bad") is not None:
        errors.append(f"bad substitution {match.group(0)!r}")
        return ""
    name = match.group("braced") or match.group("name")
    value = values.get(name)
    op, raw_word = match.group("op"), match.group("word") or ""
    is_set = value is not None
    non_empty = bool(value)
    if op is None:
        if not is_set:
            missing.append(name)
        return value or ""
    present = non_empty if op.startswith(":") else is_set
    kind = op[-1]
    uses_word = (kind == "-" and not present) or (kind == "+" and present)
    word = _expand_word(raw_word, values, missing, errors) if uses_word else raw_word
    if kind == "-":
        return value if present and value is not None else word
    if kind == "+":
        return word if present else ""
    if not present:  # "?"
        errors.append(f"{name}: {word}" if word else f"{name} is not set")
    return value or ""


def _expand_word(
    word: str, values: Mapping[str, str | None], missing: list[str], errors: list[str]
) -> str:
    """Substitute inside the word of `${A:-word}` / `${A:+word}` (only when it is used)."""
    if "$" not in word:
        return word
    inner = expand(word, values, escape=None)
    missing.extend(inner.missing)
    errors.extend(inner.errors)
    return inner.text
