"""The values of a compose `build` section: paths, platforms and args, interpolated as compose does.

Each value says where it came from (`.env` line, the environment, the compose file), so a
reference a Dockerfile builds from them can say why it is what it is.
"""

from __future__ import annotations

import yaml

from driftwatch.sources.composefiles import Doc
from driftwatch.sources.substitute import expand
from driftwatch.sources.yamlnodes import items, scalar_text

__all__ = ["build_args", "build_path", "interpolate", "platforms"]


def platforms(node: yaml.Node | None, doc: Doc) -> tuple[str, ...]:
    """`build.platforms` (a list) or the service's `platform` (a string): os/arch values only."""
    nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
    values = (interpolate(item, doc) for item in nodes if item is not None)
    return tuple(value for value in values if value.count("/") in (1, 2))


def build_path(node: yaml.Node | None, doc: Doc, what: str, unset: dict[str, str]) -> str:
    """A build path interpolated; when a variable in it is not set, why, under `what`."""
    text = scalar_text(node) or ""
    expanded = expand(text, doc.values, escape=None, dollar_escape=True)
    unset.pop(what, None)
    if expanded.missing or expanded.errors:
        names = ", ".join(expanded.missing)
        reason = "; ".join(expanded.errors) or f"variable {names} is not set"
        unset[what] = f"{what} `{text}` ({reason})"
    return expanded.text


def interpolate(node: yaml.Node | None, doc: Doc) -> str:
    """A scalar interpolated as compose does (empty when not a scalar)."""
    text = scalar_text(node)
    return "" if text is None else expand(text, doc.values, escape=None, dollar_escape=True).text


def build_args(
    node: yaml.Node | None, doc: Doc, service: str, args: dict[str, str], origins: dict[str, str]
) -> None:
    """Build args (a mapping or a `K=V` list) into `args`; a bare `K` comes from the environment."""
    pairs: list[tuple[str, str | None, int]] = []
    if isinstance(node, yaml.MappingNode):
        pairs = [(k, scalar_text(v), v.start_mark.line + 1) for k, v in items(node)]
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            name, sep, text = str(item.value).partition("=")
            pairs.append((name, text if sep else None, item.start_mark.line + 1))
    passed = f"passed by compose service {service}"
    for key, value, line in pairs:
        if value is None:
            if key in doc.values:
                args[key] = doc.values[key]
                origins[key] = f"{doc.origins.get(key, 'the environment')}, {passed}"
            continue
        expanded = expand(value, doc.values, escape=None, dollar_escape=True)
        args[key] = expanded.text
        sources = [doc.origins[name] for name in expanded.used if name in doc.origins]
        origins[key] = (
            f"{', '.join(dict.fromkeys(sources))}, {passed}"
            if sources
            else f"compose service {service} ({doc.file} line {line})"
        )
        if expanded.missing:  # compose passes an empty string for an unset variable
            unset = ", ".join(expanded.missing)
            origins[key] += f", where {unset} is not set"
