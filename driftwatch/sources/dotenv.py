"""A compose `.env` file, read as compose-go's dotenv reads it (the values an image can need)."""

from __future__ import annotations

import re

__all__ = ["dotenv_value", "read_dotenv", "read_dotenv_lines"]


# `export KEY=value`, `KEY = value`, and the YAML-like `KEY: value` compose-go also reads.
_ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z0-9_.\-\[\]]+)\s*[=:](.*)")


def read_dotenv_lines(text: str) -> dict[str, tuple[str, int, bool]]:
    """`KEY=VALUE` lines of a compose `.env` file: value, line, and whether single-quoted
    (literal: compose does not interpolate it)."""
    values: dict[str, tuple[str, int, bool]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _ASSIGNMENT.fullmatch(line.strip())
        if found is None:  # blank, comment, a bare `KEY` (taken from the environment), junk
            continue
        parsed, literal = dotenv_value(found.group(2).strip())
        values[found.group(1)] = (parsed, number, literal)
    return values


def dotenv_value(value: str) -> tuple[str, bool]:
    """One `.env` value as compose reads it, and whether it is literal (single-quoted).

    A quoted value ends at its closing quote (a `# comment` may follow); an unquoted one ends
    before ` #`, as in `TAG=1.2 # pinned` (a `#` inside a word, `a#b`, is kept).
    """
    quote = value[:1]
    if quote in ("'", '"'):
        end = _closing_quote(value, quote)
        if end > 0:
            escaped = r'\\(["\\])' if quote == '"' else r"\\(')"
            return re.sub(escaped, r"\1", value[1:end]), quote == "'"
    comment = value.find(" #")  # compose-go cuts an unquoted value there
    return (value[:comment] if comment >= 0 else value).strip(), False


def _closing_quote(value: str, quote: str) -> int:
    """The index of the quote closing `value[0]` (a backslash escapes the next one), or -1."""
    pos = 1
    while pos < len(value):
        if value[pos] == "\\":
            pos += 2
            continue
        if value[pos] == quote:
            return pos
        pos += 1
    return -1


def read_dotenv(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines of a compose `.env` file (comments and `export ` allowed)."""
    return {key: value for key, (value, _, _) in read_dotenv_lines(text).items()}
