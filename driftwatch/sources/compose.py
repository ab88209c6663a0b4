"""Images named by compose files (`services.*.image`) and the Dockerfiles their builds use.

Values are interpolated as compose does (`${VAR:-default}`, `$$` for a literal `$`) from the
environment given. A service with a `build` section names the image it builds, not a base image:
its `image` is not emitted; its Dockerfile is parsed instead, with the section's `args`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import parse_reference
from driftwatch.sources.dockerfile import shorten
from driftwatch.sources.inventory import SPLIT_NOTE, FileProblem
from driftwatch.sources.substitute import expand
from driftwatch.sources.suppress import ignored_rules

__all__ = ["ComposeBuild", "ComposeResult", "parse_compose", "read_dotenv"]


@dataclass(frozen=True)
class ComposeBuild:
    """A service's build: the Dockerfile path relative to the compose file's folder, and args."""

    service: str
    dockerfile: str
    args: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ComposeResult:
    """What one compose file yielded."""

    uses: list[BaseImageUse] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    builds: list[ComposeBuild] = field(default_factory=list)


def parse_compose(text: str, file: str, environ: Mapping[str, str]) -> ComposeResult:
    """Parse one compose file's text; `file` is the path to report."""
    result = ComposeResult()
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        services = _mapping_value(loader, root, "services") if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        result.problems.append(FileProblem(file, f"not valid YAML: {reason}", line))
        return result
    finally:
        loader.dispose()
    if not isinstance(services, yaml.MappingNode):
        result.problems.append(FileProblem(file, "no `services` mapping (not a compose file?)"))
        return result
    lines = text.split("\n")
    for key, service in services.value:
        if isinstance(service, yaml.MappingNode):
            _service(loader, str(key.value), service, file, text, lines, environ, result)
    return result


def _mapping_value(loader: yaml.SafeLoader, node: yaml.Node, key: str) -> yaml.Node | None:
    """The value node under `key` in a mapping node (merge keys applied), or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    loader.flatten_mapping(node)
    for key_node, value in reversed(node.value):  # the last one wins, as after a merge
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found: yaml.Node = value
            return found
    return None


def _service(
    loader: yaml.SafeLoader,
    name: str,
    node: yaml.MappingNode,
    file: str,
    text: str,
    lines: list[str],
    environ: Mapping[str, str],
    result: ComposeResult,
) -> None:
    """Record the image or the build of one service."""
    build = _mapping_value(loader, node, "build")
    if build is not None:
        found = _build(loader, name, build, environ)
        if found is not None:
            result.builds.append(found)
        return
    image = _mapping_value(loader, node, "image")
    if isinstance(image, yaml.ScalarNode):
        result.uses.append(_image_use(image, file, text, lines, environ, name))
    elif image is not None:
        line, column = image.start_mark.line + 1, image.start_mark.column + 1
        result.uses.append(
            BaseImageUse(
                file,
                line,
                column,
                "",
                UseKind.COMPOSE,
                problem="`image` is not a string",
                stage=name,
            )
        )


def _image_use(
    node: yaml.ScalarNode,
    file: str,
    text: str,
    lines: list[str],
    environ: Mapping[str, str],
    service: str,
) -> BaseImageUse:
    """The use for one `image:` scalar, with its exact position and interpolated reference."""
    raw = text[node.start_mark.index : node.end_mark.index]
    quoted = node.style in ("'", '"')
    written = raw[1:-1] if quoted and len(raw) >= 2 else raw.rstrip()
    line, column = node.start_mark.line + 1, node.start_mark.column + 1 + int(quoted)
    expanded = expand(str(node.value), environ, escape=None, dollar_escape=True)
    reference, problem = None, _problem(expanded.missing, expanded.errors, expanded.text)
    if problem is None:
        try:
            reference = parse_reference(expanded.text)
        except InvalidReference as exc:
            problem = shorten(str(exc))
    notes = [f"service {service}"] + ([SPLIT_NOTE] if "\n" in written else [])
    if reference is not None and expanded.text != written:
        notes.append(f"resolves to {expanded.text}")
    ignore = ignored_rules(_comments_for(lines, line))
    return BaseImageUse(
        file,
        line,
        column,
        written,
        UseKind.COMPOSE,
        reference,
        problem,
        service,
        None,
        tuple(notes),
        ignore,
    )


def _problem(missing: tuple[str, ...], errors: tuple[str, ...], text: str) -> str | None:
    if errors:
        return shorten("; ".join(errors))
    if missing:
        names = ", ".join(missing)
        return f"variable {names} is not set (compose would substitute an empty string)"
    return None if text else "empty image reference"


def _comments_for(lines: list[str], line: int) -> list[str]:
    """The trailing comment on `line` and the comment lines directly above it."""
    found = [lines[line - 1]] if "#" in lines[line - 1] else []
    index = line - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        found.append(lines[index])
        index -= 1
    return found


def _build(
    loader: yaml.SafeLoader, service: str, node: yaml.Node, environ: Mapping[str, str]
) -> ComposeBuild | None:
    """The Dockerfile a build section uses (None for remote contexts and inline Dockerfiles)."""

    def scalar(value: yaml.Node | None, default: str) -> str:
        if isinstance(value, yaml.ScalarNode):
            return expand(str(value.value), environ, escape=None, dollar_escape=True).text
        return default

    if isinstance(node, yaml.ScalarNode):
        context, dockerfile, args = scalar(node, "."), "Dockerfile", {}
    elif isinstance(node, yaml.MappingNode):
        if _mapping_value(loader, node, "dockerfile_inline") is not None:
            return None
        context = scalar(_mapping_value(loader, node, "context"), ".")
        dockerfile = scalar(_mapping_value(loader, node, "dockerfile"), "Dockerfile")
        args = _args(_mapping_value(loader, node, "args"), environ)
    else:
        return None
    if "://" in context or context.startswith("git@"):
        return None
    path = dockerfile if dockerfile.startswith("/") else f"{context.rstrip('/')}/{dockerfile}"
    return ComposeBuild(service, path, args)


def _args(node: yaml.Node | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Build args as a mapping or a `K=V` list; a bare `K` takes its value from the environment."""
    pairs: list[tuple[str, str | None]] = []
    if isinstance(node, yaml.MappingNode):
        pairs = [
            (
                str(k.value),
                None if v.value in (None, "") and v.tag.endswith(":null") else str(v.value),
            )
            for k, v in node.value
        ]
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            name, sep, text = str(item.value).partition("=")
            pairs.append((name, text if sep else None))
    args: dict[str, str] = {}
    for key, value in pairs:
        if value is None:
            if key in environ:
                args[key] = environ[key]
        else:
            args[key] = expand(value, environ, escape=None, dollar_escape=True).text
    return args


def read_dotenv(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines of a compose `.env` file (comments and `export ` allowed)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values
