"""JSON with comments (JSONC, as VS Code and the Dev Container CLI read `devcontainer.json`).

Accepted besides JSON: `//` and `/* */` comments and trailing commas in objects and arrays.
Every string keeps its 1-based line and column (of its first character after the quote) and its
text as written, so a reference can be reported, and rewritten by `pin`, where it stands.
Bounded: nesting deeper than MAX_DEPTH is refused (the text itself is capped by the reader).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["JArray", "JObject", "JOther", "JString", "JsoncError", "Node", "parse_jsonc"]

MAX_DEPTH = 64


@dataclass(frozen=True)
class JString:
    """A string value: decoded, as written between its quotes, and where it starts."""

    value: str
    raw: str
    line: int
    column: int


@dataclass(frozen=True)
class JObject:
    """An object: its members in order (a repeated key: the last wins, as JSON.parse does)."""

    members: tuple[tuple[str, Node], ...]
    line: int

    def get(self, key: str) -> Node | None:
        """The value of `key` (the last one written), or None."""
        found = None
        for name, value in self.members:
            if name == key:
                found = value
        return found


@dataclass(frozen=True)
class JArray:
    """An array."""

    items: tuple[Node, ...]
    line: int


@dataclass(frozen=True)
class JOther:
    """A number, true, false or null (their values are not needed here)."""

    text: str
    line: int


Node = JString | JObject | JArray | JOther


class JsoncError(ValueError):
    """Not JSONC: a one-line reason and the 1-based line."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


_SPACE = re.compile(r"(?:[ \t\r\n]+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)  # JSON's whitespace only
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")


class _Parser:
    """A recursive-descent reader over the text, keeping offsets for positions."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset."""
        low, high = 0, len(self.starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1, offset - self.starts[low] + 1

    def fail(self, reason: str) -> JsoncError:
        """An error at the current position."""
        return JsoncError(f"invalid JSON: {reason}", self.line_col(self.pos)[0])

    def skip(self) -> None:
        """Past white space and comments; an unclosed `/*` is an error."""
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
        if self.text.startswith("/*", self.pos):
            raise self.fail("unclosed /* comment")

    def value(self, depth: int) -> Node:
        """One value at the current position."""
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels")
        self.skip()
        char = self.text[self.pos : self.pos + 1]
        if char == "{":
            return self.container(depth, "}")
        if char == "[":
            return self.container(depth, "]")
        if char == '"':
            return self.string()
        found = _LITERAL.match(self.text, self.pos)
        if found is None:
            raise self.fail(f"unexpected {char!r}" if char else "unexpected end of file")
        self.pos = found.end()
        return JOther(found.group(), self.line_col(found.start())[0])

    def string(self) -> JString:
        """A string: decoded as JSON decodes it."""
        found = _STRING.match(self.text, self.pos)
        if found is None:
            raise self.fail("unterminated string")
        try:
            value = json.loads(found.group(), strict=False)  # raw tabs, as VS Code reads
        except ValueError as exc:
            raise self.fail("bad escape in a string") from exc
        line, column = self.line_col(found.start(1))
        self.pos = found.end()
        return JString(value, found.group(1), line, column)

    def container(self, depth: int, closer: str) -> Node:
        """An object or array; a trailing comma before the closer is accepted."""
        line = self.line_col(self.pos)[0]
        self.pos += 1
        members: list[tuple[str, Node]] = []
        items: list[Node] = []
        while True:
            self.skip()
            if self.text.startswith(closer, self.pos):
                self.pos += 1
                break
            if closer == "}":
                if not self.text.startswith('"', self.pos):
                    raise self.fail("expected a quoted key")
                key = self.string().value
                self.skip()
                if not self.text.startswith(":", self.pos):
                    raise self.fail("expected ':' after a key")
                self.pos += 1
                members.append((key, self.value(depth + 1)))
            else:
                items.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith(closer, self.pos):
                raise self.fail(f"expected ',' or {closer!r}")
        return JObject(tuple(members), line) if closer == "}" else JArray(tuple(items), line)


def parse_jsonc(text: str) -> Node:
    """The document's root value; JsoncError when the text is not JSONC."""
    parser = _Parser(text)
    root = parser.value(0)
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("text after the end of the document")
    return root
