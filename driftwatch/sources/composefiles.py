"""Compose files read together as Compose reads them: documents, `.env`, `include`, `extends`.

A project is the compose files of one folder and everything they include. Files are read through
a `Reader` (root-relative path -> text), so the repository boundary is the caller's: a path that
leaves the root (`inside` returns None) is refused with a problem, never read.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import yaml

from driftwatch.models import BaseImageUse
from driftwatch.sources.composeinline import InlineDockerfile
from driftwatch.sources.dotenv import read_dotenv, read_dotenv_lines
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.substitute import expand
from driftwatch.sources.yamlnodes import YamlError, items, load_nodes, lookup, scalar_text

__all__ = [
    "MAX_EXTENDS",
    "ComposeBuild",
    "ComposeResult",
    "Doc",
    "Layer",
    "Project",
    "Reader",
    "first",
    "includes",
    "inside",
    "layers_of",
    "read_dotenv",
    "read_dotenv_lines",
    "services_of",
    "with_includes",
]

MAX_EXTENDS = 32
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
    inline: InlineDockerfile | None = None  # `dockerfile_inline`: the text, not a file


@dataclass
class ComposeResult:
    """What the compose files yielded."""

    uses: list[BaseImageUse] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    builds: list[ComposeBuild] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every compose file read (includes too)
    seen: dict[tuple[object, ...], int] = field(default_factory=dict)  # a use's place -> index


@dataclass
class Doc:
    """One compose file: its text, root node and interpolation values with their origins."""

    file: str
    text: str
    root: yaml.Node | None
    values: Mapping[str, str]
    origins: Mapping[str, str]

    @property
    def folder(self) -> str:
        """The root-relative folder of the file ('' at the root)."""
        return posixpath.dirname(self.file)


def inside(folder: str, path: str) -> str | None:
    """`path` joined to root-relative `folder`, normalised; None when it leaves the root."""
    if path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(folder, path))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


class Project:
    """Compose files read together: the files of one folder and everything they include."""

    def __init__(self, read: Reader, environ: Mapping[str, str], result: ComposeResult) -> None:
        self.read, self.environ, self.result = read, environ, result
        self.docs: dict[str, Doc | None] = {}
        self.local: set[str] = set()
        self.seen = result.seen  # shared: a file two projects read is reported once
        self.quiet = False

    def doc(
        self,
        file: str,
        where: tuple[str, int | None] | None = None,
        env_files: tuple[str, ...] = (),
        inherit: Doc | None = None,
    ) -> Doc | None:
        """The parsed file (cached); a problem (at `where`, else the file) when unreadable.

        Its variables come from `env_files` (an `include` entry's `env_file`), else `.env`
        beside it; a file read for `extends` takes those of the file extending it (`inherit`),
        as compose interpolates it with the project's own variables.
        """
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
        folder = posixpath.dirname(file)
        if inherit is not None:
            values, origins = dict(inherit.values), dict(inherit.origins)
        else:
            values, origins = self._values(env_files or (posixpath.join(folder, ".env"),))
        doc = Doc(file, text, root, values, origins)
        self.docs[file] = doc
        self.result.files.append(file)
        return doc

    def _values(self, dotenvs: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
        """The env files in order (a later one wins), then the environment (which wins over all),
        with where each value came from."""
        values: dict[str, str] = {}
        origins: dict[str, str] = {}
        for dotenv in dotenvs:
            try:
                entries = read_dotenv_lines(self.read(dotenv))
            except (OSError, ValueError):
                entries = {}
            for key, (value, line, literal) in entries.items():  # later lines see earlier ones
                seen = {**values, **self.environ}
                values[key] = value if literal else expand(value, seen, escape=None).text
                origins[key] = f"{dotenv} line {line}"
        values.update(self.environ)
        origins.update(dict.fromkeys(self.environ, "the environment"))
        return values, origins

    def problem(self, file: str, reason: str, line: int | None = None) -> None:
        """Record a problem, unless this walk is the silent first one."""
        if not self.quiet:
            self.result.problems.append(FileProblem(file, reason, line))

    def add(self, use: BaseImageUse, user: str) -> None:
        """Record a use; a line already recorded (a merged anchor) gains a user instead."""
        key = (use.file, use.line, use.column, str(use.reference), use.problem)
        if key in self.seen:
            index = self.seen[key]
            self.result.uses[index] = with_user(self.result.uses[index], user)
            return
        self.seen[key] = len(self.result.uses)
        self.result.uses.append(use)


def with_includes(project: Project, files: list[str]) -> list[Doc]:
    """The documents of `files` and, transitively, of their top-level `include` entries."""
    docs: list[Doc] = []
    queue: list[tuple[str, tuple[str, int | None] | None, tuple[str, ...]]]
    queue = [(f, None, ()) for f in files]
    while queue:
        file, where, env_files = queue.pop(0)
        known = file in project.docs
        doc = project.doc(file, where, env_files)
        if doc is None or known:
            continue
        docs.append(doc)
        for path, line, envs in includes(doc):
            target = inside(doc.folder, path)
            if target is None:
                project.problem(
                    doc.file, f"include {path} is outside the repository: skipped", line
                )
                continue
            found = tuple(e for e in (inside(doc.folder, env) for env in envs) if e is not None)
            queue.append((target, (doc.file, line), found))  # a missing one: reported there
    return docs


def includes(doc: Doc) -> list[tuple[str, int, tuple[str, ...]]]:
    """The paths of a top-level `include` (strings, or mappings whose `path` is one or a list),
    each with the entry's `env_file` paths (a string or a list; none: `.env` beside the file)."""
    node = lookup(doc.root, "include")
    entries = node.value if isinstance(node, yaml.SequenceNode) else []
    found = []
    for entry in entries:
        mapping = isinstance(entry, yaml.MappingNode)
        paths = lookup(entry, "path") if mapping else entry
        env_files = tuple(_strings(doc, lookup(entry, "env_file") if mapping else None))
        for value, item in _strings(doc, paths).items():
            found.append((value, int(item.start_mark.line) + 1, env_files))
    return found


def _strings(doc: Doc, node: yaml.Node | None) -> dict[str, yaml.Node]:
    """The interpolated strings of a scalar or a list of scalars, with their nodes."""
    found: dict[str, yaml.Node] = {}
    for item in node.value if isinstance(node, yaml.SequenceNode) else [node]:
        text = scalar_text(item)
        if text and item is not None:
            found[expand(text, doc.values, escape=None, dollar_escape=True).text] = item
    return found


def services_of(project: Project, doc: Doc) -> list[tuple[str, yaml.MappingNode]]:
    """The services of one document (a problem when there are none and nothing is included)."""
    services = service_map(doc.root)
    if services is None:
        if lookup(doc.root, "include") is None:
            project.problem(doc.file, "no `services` mapping (not a compose file?)")
        return []
    return [(name, node) for name, node in items(services) if isinstance(node, yaml.MappingNode)]


_NOT_SERVICES = frozenset({"version", "name", "networks", "volumes", "secrets", "configs"})


def service_map(root: yaml.Node | None) -> yaml.MappingNode | None:
    """The `services` mapping; or the root itself in the legacy version-1 format (no `version`,
    no `services`, every service at the top: `web: {image: nginx}`), which docker-compose 1.x
    still runs and many repositories keep."""
    services = lookup(root, "services")
    if isinstance(services, yaml.MappingNode):
        return services
    if services is not None or not isinstance(root, yaml.MappingNode):
        return None
    if lookup(root, "version") is not None or lookup(root, "include") is not None:
        return None
    entries = [(k, v) for k, v in items(root) if k not in _NOT_SERVICES and not k.startswith("x-")]
    looks = [v for _, v in entries if isinstance(v, yaml.MappingNode)]
    keys = ("image", "build", "extends")
    if not looks or not all(any(lookup(v, k) is not None for k in keys) for v in looks):
        return None
    return root


@dataclass(frozen=True)
class Layer:
    """A service definition and the document it is written in (extends gives several)."""

    doc: Doc
    node: yaml.MappingNode


def layers_of(project: Project, doc: Doc, name: str, node: yaml.MappingNode) -> list[Layer]:
    """The service and what it `extends`, most specific first; cycles and bad targets refused."""
    layers = [Layer(doc, node)]
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
        target_doc = project.doc(target_file, (current.file, line), inherit=current)
        base = lookup(service_map(target_doc.root), target_name) if target_doc else None
        if target_doc is None or not isinstance(base, yaml.MappingNode):
            if target_doc is not None:
                project.problem(
                    current.file,
                    f"service {name}: extends {target_name}, not a service of {target_file}",
                    line,
                )
            return layers
        layers.append(Layer(target_doc, base))
        chain.append((target_file, target_name))
    project.problem(doc.file, f"service {name}: extends nested more than {MAX_EXTENDS} deep")
    return layers


def first(layers: list[Layer], key: str) -> tuple[Layer, yaml.Node] | None:
    """The most specific layer that sets `key`, and the value."""
    for layer in layers:
        value = lookup(layer.node, key)
        if value is not None:
            return layer, value
    return None


def with_user(use: BaseImageUse, user: str) -> BaseImageUse:
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
