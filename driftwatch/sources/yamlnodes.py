"""YAML as nodes with exact positions: depth-bounded, aliases remembered, merges looked up lazily.

A compose file, workflow or manifest is read with PyYAML's composer (no Python objects are built),
so every scalar keeps its position. Three things are added:
- a nesting bound (`MAX_DEPTH`): 5,000 nested `[` is a one-line error, never a RecursionError;
- an alias (`*name`) gives a copy of the anchored node that knows where the alias was written;
- `<<` merge keys are looked up on demand with a visited set, never flattened (no blow-up).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

__all__ = [
    "MAX_DEPTH",
    "Scalar",
    "YamlError",
    "alias_line",
    "items",
    "load_all_nodes",
    "load_nodes",
    "lookup",
    "scalar_at",
    "scalar_text",
]

MAX_DEPTH = 100
MAX_DOCUMENTS = 10_000
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"


class YamlError(Exception):
    """A document that cannot be read: the reason and its 1-based line (when known)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


class _Loader(yaml.SafeLoader):
    """The safe composer, bounded in depth, keeping where each alias was written."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Compose one node: aliases copied with their place, depth bounded."""
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            node = super().compose_node(parent, index)  # type: ignore[arg-type]
            alias = copy.copy(node)
            alias.alias_mark = mark  # type: ignore[union-attr]
            alias.anchored = getattr(node, "anchored", node)  # type: ignore[union-attr]
            return alias
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlError(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1)
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


def load_nodes(text: str) -> yaml.Node | None:
    """The first document's root node (None when empty); raises YamlError."""
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"not valid YAML: {reason}", line) from None
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise YamlError(f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def load_all_nodes(text: str) -> list[yaml.Node]:
    """Every document's root node (multi-document files: `---`); raises YamlError."""
    loader = _Loader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                documents.append(node)
            if len(documents) > MAX_DOCUMENTS:
                raise YamlError(f"more than {MAX_DOCUMENTS} documents")
        return documents
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"not valid YAML: {reason}", line) from None
    finally:
        loader.dispose()


def _identity(node: yaml.Node) -> int:
    """The anchored node's identity (an alias copy is the same node)."""
    return id(getattr(node, "anchored", node))


def items(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    """(key, value) of a mapping, merge keys applied (explicit keys first, then merged ones)."""
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    visited: set[int] = set()
    stack: list[yaml.Node] = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, yaml.MappingNode) or _identity(current) in visited:
            continue
        visited.add(_identity(current))
        merges: list[yaml.Node] = []
        for key, value in current.value:
            if key.tag == _MERGE:
                merges.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
            elif isinstance(key, yaml.ScalarNode) and str(key.value) not in seen:
                seen.add(str(key.value))
                yield str(key.value), value
        stack.extend(reversed(merges))  # the first merged mapping wins, as YAML says


def lookup(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value under `key` in a mapping (merge keys applied), or None."""
    explicit: yaml.Node | None = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:  # the last explicit one wins
            scalar = isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE
            if scalar and key_node.value == key:
                explicit = value
    if explicit is not None:
        return explicit
    for name, value in items(node):
        if name == key:
            return value
    return None


def scalar_text(node: yaml.Node | None) -> str | None:
    """A scalar's value as text (None for a mapping, a sequence or a null)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
        return None
    return str(node.value)


@dataclass(frozen=True)
class Scalar:
    """Where a scalar's text is written: 1-based line and column, and the text as written."""

    line: int
    column: int
    written: str
    alias_of: int | None = None  # the anchor's line when this is an alias use


def alias_line(node: yaml.Node) -> int | None:
    """The anchor's 1-based line when `node` came from an alias, else None."""
    if getattr(node, "alias_mark", None) is None:
        return None
    return int(getattr(node, "anchored", node).start_mark.line) + 1


def scalar_at(node: yaml.ScalarNode, text: str) -> Scalar:
    """The scalar's own text and position: anchors (`&a`) and tags (`!!str`) skipped."""
    raw = text[node.start_mark.index : node.end_mark.index]
    skip = 0
    while skip < len(raw) and raw[skip] in "&!":
        while skip < len(raw) and not raw[skip].isspace():
            skip += 1
        while skip < len(raw) and raw[skip] in " \t\r\n":
            skip += 1
    prefix, body = raw[:skip], raw[skip:]
    line = node.start_mark.line + prefix.count("\n")
    if "\n" in prefix:
        column = len(prefix) - prefix.rfind("\n") - 1
    else:
        column = node.start_mark.column + skip
    quoted = node.style in ("'", '"') and len(body) >= 2
    written = body[1:-1] if quoted else body.rstrip()
    mark = getattr(node, "alias_mark", None)
    if mark is not None:
        return Scalar(mark.line + 1, mark.column + 1, written, line + 1)
    return Scalar(line + 1, column + 1 + int(quoted), written)
