"""A small reader for the HCL of docker-bake.hcl files: blocks, attributes, strings with places.

Values: `Str` (a string literal, with the line and column of its first character), `Ref` (a bare
name such as a variable), lists, objects (dicts) and `Other` for any expression this reader does
not evaluate (function calls, conditionals, arithmetic). Never raises on odd input: what it cannot
read becomes `Other`; an unterminated string or block ends the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias, Union

__all__ = ["Block", "Other", "Ref", "Str", "Value", "parse_hcl"]


@dataclass(frozen=True)
class Str:
    """A string literal: its text as written (between the quotes) and where that text starts."""

    raw: str
    line: int
    column: int


@dataclass(frozen=True)
class Ref:
    """A bare name (a variable reference), or `true`/`false`/`null` and numbers as text."""

    name: str


@dataclass(frozen=True)
class Other:
    """An expression not evaluated here."""


Value: TypeAlias = Union[Str, Ref, Other, list["Value"], dict[str, "Value"]]  # noqa: UP007


@dataclass
class Block:
    """`type "label" ... { body }`."""

    type: str
    labels: list[str]
    line: int
    attributes: dict[str, Value] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class _Token:
    """One token with its 1-based place."""

    kind: str  # "str", "ident", "num", "nl", or the punctuation itself
    text: str
    line: int
    column: int


_SIMPLE = re.compile(
    r"(?P<ws>[ \t\r]+)|(?P<comment>#[^\n]*|//[^\n]*|/\*.*?\*/)|(?P<nl>\n)"
    r"|(?P<heredoc><<-?(?P<tag>[A-Za-z_][A-Za-z0-9_]*)\n.*?\n[ \t]*(?P=tag)(?=\n|$))"
    r"|(?P<num>\d[\d.eE+-]*)|(?P<ident>[A-Za-z_][A-Za-z0-9_-]*)|(?P<punct>[{}\[\]()=,:.])|(?P<any>.)",
    re.DOTALL,
)
MAX_TOKENS = 1_000_000


def _string(text: str, start: int) -> int:
    """Index just past the closing quote of the string opening at `start` (template-aware)."""
    pos, depth = start + 1, 0
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if text.startswith("${", pos) or text.startswith("%{", pos):
            depth += 1
            pos += 2
            continue
        if char == "}" and depth:
            depth -= 1
        elif char == '"' and not depth:
            return pos + 1
        elif char == "\n" and not depth:
            return pos  # unterminated on this line: stop here
        pos += 1
    return len(text)


def _tokens(text: str) -> list[_Token]:
    """The tokens of the whole text, newlines kept (they end attributes)."""
    tokens: list[_Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text) and len(tokens) < MAX_TOKENS:
        column = pos - line_start + 1
        if text[pos] == '"':
            end = _string(text, pos)
            raw = text[pos + 1 : end - 1] if text[end - 1 : end] == '"' else text[pos + 1 : end]
            tokens.append(_Token("str", raw, line, column + 1))
        else:
            match = _SIMPLE.match(text, pos)
            assert match is not None  # `any` matches every character
            end, kind = match.end(), str(match.lastgroup)
            if kind in ("num", "ident", "nl"):
                tokens.append(_Token(kind, match.group(), line, column))
            elif kind in ("punct", "any"):
                tokens.append(_Token(match.group(), match.group(), line, column))
            elif kind == "heredoc":
                tokens.append(_Token("heredoc", match.group(), line, column))
        newlines = text.count("\n", pos, end)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", pos, end) + 1
        pos = max(end, pos + 1)
    return tokens


class _Parser:
    """Recursive descent over the tokens, bounded in depth."""

    MAX_DEPTH = 64

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self, skip_nl: bool = False) -> _Token | None:
        """The next token (newlines skipped when asked), or None at the end."""
        if skip_nl:
            while self.pos < len(self.tokens) and self.tokens[self.pos].kind == "nl":
                self.pos += 1
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        """Consume and return the next token."""
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def body(self, block: Block, depth: int) -> None:
        """Attributes and blocks until the closing `}` (or the end)."""
        while (token := self.peek(skip_nl=True)) is not None:
            if token.kind == "}":
                self.take()
                return
            if token.kind != "ident":
                self.take()
                continue
            self.take()
            after = self.peek()
            if after is not None and after.kind in ("=", ":"):
                self.take()
                block.attributes[token.text] = self.expression(depth)
                continue
            labels = []
            while (label := self.peek()) is not None and label.kind in ("str", "ident"):
                labels.append(self.take().text)
            if self.peek() is not None and self.peek().kind == "{":  # type: ignore[union-attr]
                self.take()
                child = Block(token.text, labels, token.line)
                if depth < self.MAX_DEPTH:
                    self.body(child, depth + 1)
                    block.blocks.append(child)
                else:
                    self.skip_balanced("{", "}")

    def expression(self, depth: int) -> Value:
        """One value; anything more complex than a literal becomes `Other`."""
        value = self.primary(depth)
        token = self.peek()
        if token is not None and token.kind not in ("nl", ",", "}", "]", ")"):
            self.skip_expression()
            return Other()
        return value

    def primary(self, depth: int) -> Value:
        """A literal, a list, an object or a name."""
        token = self.peek(skip_nl=True)
        if token is None or depth > self.MAX_DEPTH:
            return Other()
        if token.kind == "str":
            self.take()
            return Str(token.text, token.line, token.column)
        if token.kind == "[":
            self.take()
            return self.sequence(depth + 1)
        if token.kind == "{":
            self.take()
            return self.mapping(depth + 1)
        if token.kind in ("ident", "num"):
            self.take()
            following = self.peek()
            if following is not None and following.kind in ("(", ".", "["):
                self.skip_expression()
                return Other()
            return Ref(token.text)
        self.skip_expression()
        return Other()

    def sequence(self, depth: int) -> Value:
        """The items of `[ ... ]`."""
        items: list[Value] = []
        while (token := self.peek(skip_nl=True)) is not None:
            if token.kind == "]":
                self.take()
                break
            if token.kind == ",":
                self.take()
                continue
            start = self.pos
            items.append(self.expression(depth))
            if self.pos == start:
                self.take()
        return items

    def mapping(self, depth: int) -> Value:
        """The entries of `{ ... }` (`key = value` or `key: value`)."""
        items: dict[str, Value] = {}
        while (token := self.peek(skip_nl=True)) is not None:
            if token.kind == "}":
                self.take()
                break
            if token.kind in ("ident", "str") and self.pos + 1 < len(self.tokens):
                after = self.tokens[self.pos + 1]
                if after.kind in ("=", ":"):
                    self.pos += 2
                    items[token.text] = self.expression(depth)
                    continue
            self.take()
        return items

    def skip_expression(self) -> None:
        """Skip to the end of the expression: a newline, `,` or closer at depth 0."""
        depth = 0
        while (token := self.peek()) is not None:
            if token.kind in ("(", "[", "{"):
                depth += 1
            elif token.kind in (")", "]", "}"):
                if depth == 0:
                    return
                depth -= 1
            elif token.kind in ("nl", ",") and depth == 0:
                return
            self.take()

    def skip_balanced(self, opener: str, closer: str) -> None:
        """Skip to the closer matching an opener already taken."""
        depth = 1
        while depth and (token := self.peek()) is not None:
            self.take()
            depth += {opener: 1, closer: -1}.get(token.kind, 0)


def parse_hcl(text: str) -> Block:
    """The file as one root block holding its attributes and blocks."""
    root = Block("", [], 1)
    parser = _Parser(_tokens(text))
    while parser.peek(skip_nl=True) is not None:  # a stray `}` ends a body, not the file
        parser.body(root, 0)
    return root
