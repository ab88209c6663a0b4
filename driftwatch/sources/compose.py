"""Images named by compose files, read as Compose reads them, and the Dockerfiles their builds use.

Values are interpolated as compose does (`${VAR:-default}`, `$$` for a literal `$`) from `.env`
beside the file and the environment. Understood: `services.*.image`, `build` (string or mapping,
`args`, `additional_contexts`), `extends` (same file or `file:`, recursive, cycles refused),
top-level `include`, YAML anchors, aliases, merge keys and tags. An image that a service of the
same project builds (`build` + `image`) is local: neither its `image:` nor a FROM naming it is
reported. Paths leaving the repository are refused with a problem.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import yaml

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import ImageReference, parse_reference
from driftwatch.sources.dockerfile import shorten
from driftwatch.sources.inventory import SPLIT_NOTE, FileProblem, alias_note
from driftwatch.sources.substitute import Expansion, expand
from driftwatch.sources.suppress import ignored_rules
from driftwatch.sources.yamlnodes import (
    YamlError,
    items,
    load_nodes,
    lookup,
    scalar_at,
    scalar_text,
)

__all__ = [
    "ComposeBuild",
    "ComposeResult",
    "Reader",
    "inside",
    "parse_compose",
    "parse_compose_project",
    "read_dotenv",
]

MAX_EXTENDS = 32
DOCKER_IMAGE = "docker-image://"

# root-relative posix path -> text; raises OSError or ValueError with a one-line reason
Reader = Callable[[str], str]


@dataclass(frozen=True)
class ComposeBuild:
    """A service's build: the Dockerfile (root-relative) and what the build gives it."""

    service: str
    dockerfile: str
    args: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)
    contexts: frozenset[str] = frozenset()
    local_images: frozenset[str] = frozenset()
    file: str = ""  # the compose (or bake) file that names the service
    platforms: tuple[str, ...] = ()  # what the build is for, when the file says (bake)


@dataclass
class ComposeResult:
    """What the compose files yielded."""

    uses: list[BaseImageUse] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    builds: list[ComposeBuild] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every compose file read (includes too)


@dataclass
class _Doc:
    """One compose file: its text, root node and interpolation values with their origins."""

    file: str
    text: str
    root: yaml.Node | None
    values: Mapping[str, str]
    origins: Mapping[str, str]

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.file)


def inside(folder: str, path: str) -> str | None:
    """`path` joined to root-relative `folder`, normalised; None when it leaves the root."""
    if path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(folder, path))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


class _Project:
    """Compose files read together: the files of one folder and everything they include."""

    def __init__(self, read: Reader, environ: Mapping[str, str], result: ComposeResult) -> None:
        self.read, self.environ, self.result = read, environ, result
        self.docs: dict[str, _Doc | None] = {}
        self.local: set[str] = set()
        self.seen: dict[tuple[str, int, int], int] = {}  # (file, line, column) -> index in uses
        self.quiet = False

    def doc(self, file: str, where: tuple[str, int | None] | None = None) -> _Doc | None:
        """The parsed file (cached); a problem (at `where`, else the file) when unreadable."""
        if file in self.docs:
            return self.docs[file]
        self.docs[file] = None
        try:
            text = self.read(file)
            root = load_nodes(text)
        except (OSError, ValueError) as exc:
            at_file, at_line = where or (file, None)
            self.problem(at_file, f"{file}: {exc}" if where else str(exc), at_line)
            return None
        except YamlError as exc:
            self.problem(file, exc.reason, exc.line)
            return None
        values, origins = self._values(posixpath.dirname(file))
        doc = _Doc(file, text, root, values, origins)
        self.docs[file] = doc
        self.result.files.append(file)
        return doc

    def _values(self, folder: str) -> tuple[dict[str, str], dict[str, str]]:
        """`.env` in `folder` then the environment (which wins), with where each came from."""
        dotenv = posixpath.join(folder, ".env") if folder else ".env"
        try:
            entries = read_dotenv_lines(self.read(dotenv))
        except (OSError, ValueError):
            entries = {}
        values: dict[str, str] = {}
        for key, (value, _, literal) in entries.items():  # later lines see earlier ones
            seen = {**values, **self.environ}
            values[key] = value if literal else expand(value, seen, escape=None).text
        origins = {key: f"{dotenv} line {line}" for key, (_, line, _) in entries.items()}
        values.update(self.environ)
        origins.update(dict.fromkeys(self.environ, "the environment"))
        return values, origins

    def problem(self, file: str, reason: str, line: int | None = None) -> None:
        if not self.quiet:
            self.result.problems.append(FileProblem(file, reason, line))

    def add(self, use: BaseImageUse, user: str) -> None:
        """Record a use; a line already recorded (a merged anchor) gains a user instead."""
        key = (use.file, use.line, use.column)
        if key in self.seen:
            index = self.seen[key]
            self.result.uses[index] = _with_user(self.result.uses[index], user)
            return
        self.seen[key] = len(self.result.uses)
        self.result.uses.append(use)


def parse_compose(text: str, file: str, environ: Mapping[str, str]) -> ComposeResult:
    """Parse one compose file's text alone (no includes or other files); `file` is its path."""

    def read(path: str) -> str:
        if path == file:
            return text
        raise OSError(f"{path} is not read when a compose text is parsed alone")

    return parse_compose_project([file], read, environ)


def parse_compose_project(
    files: Sequence[str], read: Reader, environ: Mapping[str, str]
) -> ComposeResult:
    """Parse compose files read through `read`; files of one folder form one project."""
    result = ComposeResult()
    folders: dict[str, list[str]] = {}
    for file in files:
        folders.setdefault(posixpath.dirname(file), []).append(file)
    done: set[str] = set()
    for group in folders.values():
        project = _Project(read, environ, result)
        docs = _with_includes(project, [f for f in group if f not in done])
        done.update(doc.file for doc in docs)
        services = [(doc, name, node) for doc in docs for name, node in _services(project, doc)]
        for doc, name, node in services:
            _collect_local(project, doc, name, node)
        for doc, name, node in services:
            _service(project, doc, name, node)
    return result


def _with_includes(project: _Project, files: list[str]) -> list[_Doc]:
    """The documents of `files` and, transitively, of their top-level `include` entries."""
    docs: list[_Doc] = []
    queue: list[tuple[str, tuple[str, int | None] | None]] = [(f, None) for f in files]
    while queue:
        file, where = queue.pop(0)
        known = file in project.docs
        doc = project.doc(file, where)
        if doc is None or known:
            continue
        docs.append(doc)
        for path, line in _includes(doc):
            target = inside(doc.folder, path)
            if target is None:
                project.problem(
                    doc.file, f"include {path} is outside the repository: skipped", line
                )
            else:
                queue.append((target, (doc.file, line)))  # a missing one: reported at the include
    return docs


def _includes(doc: _Doc) -> list[tuple[str, int]]:
    """The paths of a top-level `include` (strings, or mappings whose `path` is one or a list)."""
    node = lookup(doc.root, "include")
    entries = node.value if isinstance(node, yaml.SequenceNode) else []
    found = []
    for entry in entries:
        paths = lookup(entry, "path") if isinstance(entry, yaml.MappingNode) else entry
        for item in paths.value if isinstance(paths, yaml.SequenceNode) else [paths]:
            text = scalar_text(item)
            if text and item is not None:
                value = expand(text, doc.values, escape=None, dollar_escape=True).text
                found.append((value, int(item.start_mark.line) + 1))
    return found


def _services(project: _Project, doc: _Doc) -> list[tuple[str, yaml.MappingNode]]:
    """The services of one document (a problem when there are none and nothing is included)."""
    services = lookup(doc.root, "services")
    if not isinstance(services, yaml.MappingNode):
        if lookup(doc.root, "include") is None:
            project.problem(doc.file, "no `services` mapping (not a compose file?)")
        return []
    return [(name, node) for name, node in items(services) if isinstance(node, yaml.MappingNode)]


@dataclass(frozen=True)
class _Layer:
    """A service definition and the document it is written in (extends gives several)."""

    doc: _Doc
    node: yaml.MappingNode


def _layers(project: _Project, doc: _Doc, name: str, node: yaml.MappingNode) -> list[_Layer]:
    """The service and what it `extends`, most specific first; cycles and bad targets refused."""
    layers = [_Layer(doc, node)]
    chain = [(doc.file, name)]
    while len(chain) <= MAX_EXTENDS:
        extends = lookup(layers[-1].node, "extends")
        if extends is None:
            return layers
        current = layers[-1].doc
        target_name = scalar_text(extends) or scalar_text(lookup(extends, "service"))
        target_file = current.file
        file_node = lookup(extends, "file")
        line = extends.start_mark.line + 1
        if scalar_text(file_node):
            found = inside(current.folder, str(scalar_text(file_node)))
            if found is None:
                project.problem(
                    current.file, f"service {name}: extends a file outside the repository", line
                )
                return layers
            target_file = found
        if not target_name:
            project.problem(current.file, f"service {name}: extends without a service", line)
            return layers
        if (target_file, target_name) in chain:
            names = " -> ".join(n for _, n in [*chain, (target_file, target_name)])
            project.problem(current.file, f"service {name}: extends cycle {names}: refused", line)
            return layers
        target_doc = project.doc(target_file, (current.file, line))
        base = lookup(lookup(target_doc.root, "services"), target_name) if target_doc else None
        if target_doc is None or not isinstance(base, yaml.MappingNode):
            if target_doc is not None:
                project.problem(
                    current.file,
                    f"service {name}: extends {target_name}, not a service of {target_file}",
                    line,
                )
            return layers
        layers.append(_Layer(target_doc, base))
        chain.append((target_file, target_name))
    project.problem(doc.file, f"service {name}: extends nested more than {MAX_EXTENDS} deep")
    return layers


def _first(layers: list[_Layer], key: str) -> tuple[_Layer, yaml.Node] | None:
    for layer in layers:
        value = lookup(layer.node, key)
        if value is not None:
            return layer, value
    return None


def _collect_local(project: _Project, doc: _Doc, name: str, node: yaml.MappingNode) -> None:
    """Remember the image a building service names: the project builds it, it is local."""
    project.quiet = True  # the second walk reports the problems, once
    try:
        layers = _layers(project, doc, name, node)
    finally:
        project.quiet = False
    image = _first(layers, "image")
    if _first(layers, "build") is None or image is None:
        return
    text = scalar_text(image[1])
    if text is None:
        return
    expanded = expand(text, image[0].doc.values, escape=None, dollar_escape=True)
    reference = _parse(expanded)
    if reference is not None:
        project.local.add(str(reference))


def _parse(expanded: Expansion) -> ImageReference | None:
    if expanded.missing or expanded.errors or not expanded.text:
        return None
    try:
        return parse_reference(expanded.text)
    except InvalidReference:
        return None


def _service(project: _Project, doc: _Doc, name: str, node: yaml.MappingNode) -> None:
    """Record the image or the build of one service."""
    layers = _layers(project, doc, name, node)
    if _first(layers, "build") is not None:
        _build(project, name, layers)
        return
    found = _first(layers, "image")
    if found is None:
        return
    layer, image = found
    if isinstance(image, yaml.ScalarNode):
        use = _image_use(image, layer.doc, name)
        if use.reference is None or str(use.reference) not in project.local:
            project.add(use, name)
        return
    line, column = image.start_mark.line + 1, image.start_mark.column + 1
    use = BaseImageUse(
        layer.doc.file,
        line,
        column,
        "",
        UseKind.COMPOSE,
        problem="`image` is not a string",
        stage=name,
        notes=(f"service {name}",),
        advice="Write the image as a string.",
    )
    project.add(use, name)


def _image_use(
    node: yaml.ScalarNode, doc: _Doc, service: str, extra: tuple[str, ...] = (), prefix: str = ""
) -> BaseImageUse:
    """The use for one image scalar, with its exact position and interpolated reference."""
    where = scalar_at(node, doc.text)
    written, column = where.written, where.column
    if prefix and written.startswith(prefix):
        written, column = written[len(prefix) :], column + len(prefix)
    value = str(node.value)[len(prefix) :] if prefix else str(node.value)
    expanded = expand(value, doc.values, escape=None, dollar_escape=True)
    reference, problem, advice = None, *_problem(expanded, doc)
    if problem is None:
        try:
            reference = parse_reference(expanded.text)
        except InvalidReference as exc:
            problem, advice = shorten(str(exc)), f"Fix the reference `{shorten(expanded.text)}`."
    notes = [f"service {service}", *extra]
    if "\n" in where.written:
        notes.append(SPLIT_NOTE)
    if where.alias_of is not None:
        notes.append(alias_note(where.alias_of))
    if reference is not None and expanded.text != written:
        notes.append(f"resolves to {expanded.text}")
        notes.extend(_provenance(expanded, doc))
    lines = doc.text.split("\n")
    ignore = ignored_rules(_comments_for(lines, where.line))
    return BaseImageUse(
        doc.file,
        where.line,
        column,
        written,
        UseKind.COMPOSE,
        reference,
        problem,
        service,
        None,
        tuple(notes),
        ignore,
        advice if problem else "",
    )


def _provenance(expanded: Expansion, doc: _Doc) -> list[str]:
    return [
        shorten(f"{name} = {doc.values[name]} from {doc.origins[name]}")
        for name in expanded.used
        if name in doc.values and name in doc.origins
    ]


def _problem(expanded: Expansion, doc: _Doc) -> tuple[str | None, str]:
    if expanded.errors:
        return shorten("; ".join(expanded.errors)), "Fix the variable substitution."
    if expanded.missing:
        names = ", ".join(expanded.missing)
        dotenv = f"{doc.folder}/.env" if doc.folder else ".env"
        return (
            f"variable {names} is not set (compose would substitute an empty string)",
            f"Set {names} in {dotenv} or the environment compose runs in, or give it a default "
            f"in {doc.file} (`${{{expanded.missing[0]}:-<image>}}`).",
        )
    return (None, "") if expanded.text else ("empty image reference", "Name an image.")


def _comments_for(lines: list[str], line: int) -> list[str]:
    """The trailing comment on `line` and the comment lines directly above it."""
    found = [lines[line - 1]] if 0 < line <= len(lines) and "#" in lines[line - 1] else []
    index = line - 2
    while 0 <= index < len(lines) and lines[index].lstrip().startswith("#"):
        found.append(lines[index])
        index -= 1
    return found


def _build(project: _Project, service: str, layers: list[_Layer]) -> None:
    """Queue the Dockerfile of a service's build with its args, contexts and local images."""
    context, dockerfile, inline = ".", "Dockerfile", False
    context_layer = layers[0]
    args: dict[str, str] = {}
    origins: dict[str, str] = {}
    contexts: set[str] = set()
    platforms: tuple[str, ...] = ()
    for layer in reversed(layers):  # the most specific layer wins, as compose merges
        build = lookup(layer.node, "build")
        if build is None:
            continue
        if isinstance(build, yaml.ScalarNode):
            context, context_layer = _interpolate(build, layer.doc), layer
            continue
        if lookup(build, "dockerfile_inline") is not None:
            inline = True
        if lookup(build, "context") is not None:
            context, context_layer = _interpolate(lookup(build, "context"), layer.doc), layer
        if lookup(build, "dockerfile") is not None:
            dockerfile = _interpolate(lookup(build, "dockerfile"), layer.doc)
        _args(lookup(build, "args"), layer.doc, service, args, origins)
        contexts |= _contexts(project, lookup(build, "additional_contexts"), layer.doc, service)
        platforms = _platforms(lookup(build, "platforms"), layer.doc) or platforms
    found = _first(layers, "platform")
    if not platforms and found is not None:
        platforms = _platforms(found[1], found[0].doc)
    if inline or "://" in context or context.startswith("git@"):
        return
    file = layers[0].doc.file
    folder = inside(context_layer.doc.folder, context)
    path = None if folder is None else inside(folder, dockerfile)
    if path is None:
        project.problem(
            file,
            f"service {service}: build {context}/{dockerfile} is outside the repository: skipped",
        )
        return
    project.result.builds.append(
        ComposeBuild(
            service,
            path,
            args,
            origins,
            frozenset(contexts),
            frozenset(project.local),
            file,
            platforms,
        )
    )


def _platforms(node: yaml.Node | None, doc: _Doc) -> tuple[str, ...]:
    """`build.platforms` (a list) or the service's `platform` (a string): os/arch values only."""
    nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
    values = (_interpolate(item, doc) for item in nodes if item is not None)
    return tuple(value for value in values if value.count("/") in (1, 2))


def _interpolate(node: yaml.Node | None, doc: _Doc) -> str:
    text = scalar_text(node)
    return "" if text is None else expand(text, doc.values, escape=None, dollar_escape=True).text


def _args(
    node: yaml.Node | None, doc: _Doc, service: str, args: dict[str, str], origins: dict[str, str]
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


def _contexts(project: _Project, node: yaml.Node | None, doc: _Doc, service: str) -> set[str]:
    """Names of `additional_contexts`; a `docker-image://` one is an image used by the build."""
    entries: list[tuple[str, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        entries = list(items(node))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            name, sep, _ = str(item.value).partition("=")
            if sep and isinstance(item, yaml.ScalarNode):
                entries.append((name, item))
    names = set()
    for name, value in entries:
        names.add(name.lower())
        text = scalar_text(value)
        if text is None:
            continue
        raw = text.partition("=")[2] if isinstance(node, yaml.SequenceNode) else text
        if raw.startswith(DOCKER_IMAGE):
            prefix = text[: len(text) - len(raw)] + DOCKER_IMAGE
            extra = (f"named build context {name}",)
            use = _image_use(value, doc, service, extra, prefix)  # type: ignore[arg-type]
            project.add(use, service)
    return names


def _with_user(use: BaseImageUse, user: str) -> BaseImageUse:
    """The same use, listing one more service among its users."""
    notes = list(use.notes)
    for index, note in enumerate(notes):
        if note.startswith(("service ", "services ")):
            names = note.split(" ", 1)[1].split(", ")
            if user not in names:
                names.append(user)
            notes[index] = f"services {', '.join(names)}" if len(names) > 1 else note
            break
    return replace(use, notes=tuple(notes))


def read_dotenv_lines(text: str) -> dict[str, tuple[str, int, bool]]:
    """`KEY=VALUE` lines of a compose `.env` file: value, line, and whether single-quoted
    (literal: compose does not interpolate it)."""
    values: dict[str, tuple[str, int, bool]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        literal = False
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            literal = value[0] == "'"
            value = value[1:-1]
        values[key.strip()] = (value, number, literal)
    return values


def read_dotenv(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines of a compose `.env` file (comments and `export ` allowed)."""
    return {key: value for key, (value, _, _) in read_dotenv_lines(text).items()}
