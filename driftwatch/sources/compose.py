"""Images named by compose files, read as Compose reads them, and the Dockerfiles their builds use.

Values are interpolated as compose does (`${VAR:-default}`, `$$` for a literal `$`) from `.env`
beside the file and the environment. Understood: `services.*.image`, `build` (string or mapping,
`args`, `additional_contexts`, `dockerfile_inline`: see `composeinline.py`), `extends` (same file
or `file:`, recursive, cycles refused), top-level `include` (with its `env_file`), YAML anchors,
aliases, merge keys and tags. An image that a service of the same project builds (`build` +
`image`) is local: neither its `image:` nor a FROM naming it is reported. Paths leaving the
repository are refused with a problem.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence

import yaml

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import ImageReference, parse_reference
from driftwatch.sources import composebuild
from driftwatch.sources.composefiles import (
    ComposeBuild,
    ComposeResult,
    Doc,
    Layer,
    Project,
    Reader,
    first,
    inside,
    layers_of,
    read_dotenv,
    services_of,
    with_includes,
)
from driftwatch.sources.composeinline import InlineDockerfile, inline_dockerfile
from driftwatch.sources.dockerfile import shorten
from driftwatch.sources.inventory import SPLIT_NOTE, alias_note
from driftwatch.sources.placeholders import invalid_reference
from driftwatch.sources.substitute import Expansion, expand
from driftwatch.sources.suppress import ignored_rules
from driftwatch.sources.yamlnodes import (
    items,
    lookup,
    scalar_at,
    scalar_text,
)
from driftwatch.sources.yamluse import comments_for

__all__ = [
    "ComposeBuild",
    "ComposeResult",
    "Reader",
    "inside",
    "parse_compose",
    "parse_compose_project",
    "read_dotenv",
]

DOCKER_IMAGE = "docker-image://"


def parse_compose(text: str, file: str, environ: Mapping[str, str]) -> ComposeResult:
    """Parse one compose file's text alone (no includes or other files); `file` is its path."""

    def read(path: str) -> str:
        """The one text given; any other file is not read."""
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
        project = Project(read, environ, result)
        docs = with_includes(project, [f for f in group if f not in done])
        done.update(doc.file for doc in docs)
        services = [(doc, name, node) for doc in docs for name, node in services_of(project, doc)]
        over = _overrides(services)
        for doc, name, node in services:
            _collect_local(project, doc, name, node, over.get((doc.file, name), []))
        for doc, name, node in services:
            _service(project, doc, name, node)
    return result


def _overrides(
    services: list[tuple[Doc, str, yaml.MappingNode]],
) -> dict[tuple[str, str], list[Layer]]:
    """The `compose.override.yaml` layer over each service of `compose.yaml` it overrides.

    Compose reads the pair by default: a service the override builds builds the image its base
    names, so that image is local. Each file's own `image:` lines are still reported, since a
    deployment reading the base file alone pulls them.
    """
    known = {(doc.file, name) for doc, name, _ in services}
    over: dict[tuple[str, str], list[Layer]] = {}
    for doc, name, node in services:
        head, dot, extension = doc.file.rpartition(".")
        if not head.endswith(".override"):
            continue
        base = f"{head.removesuffix('.override')}{dot}{extension}"
        for candidate in (base, base.replace(".yaml", ".yml"), base.replace(".yml", ".yaml")):
            if (candidate, name) in known:
                over[(candidate, name)] = [Layer(doc, node)]
                break
    return over


def _collect_local(
    project: Project, doc: Doc, name: str, node: yaml.MappingNode, over: list[Layer]
) -> None:
    """Remember the image a building service names: the project builds it, it is local."""
    project.quiet = True  # the second walk reports the problems, once
    try:
        layers = [*over, *layers_of(project, doc, name, node)]
    finally:
        project.quiet = False
    image = first(layers, "image")
    if first(layers, "build") is None or image is None:
        return
    text = scalar_text(image[1])
    if text is None:
        return
    expanded = expand(text, image[0].doc.values, escape=None, dollar_escape=True)
    reference = _parse(expanded)
    if reference is not None:
        project.local.add(str(reference))


def _parse(expanded: Expansion) -> ImageReference | None:
    """The reference an expansion names, or None when it cannot be known."""
    if expanded.missing or expanded.errors or not expanded.text:
        return None
    try:
        return parse_reference(expanded.text)
    except InvalidReference:
        return None


def _service(project: Project, doc: Doc, name: str, node: yaml.MappingNode) -> None:
    """Record the image or the build of one service."""
    layers = layers_of(project, doc, name, node)
    if first(layers, "build") is not None:
        _build(project, name, layers)
        return
    found = first(layers, "image")
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
    node: yaml.ScalarNode, doc: Doc, service: str, extra: tuple[str, ...] = (), prefix: str = ""
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
            problem, advice = invalid_reference(expanded.text, exc)
    notes = [f"service {service}", *extra]
    if "\n" in where.written:
        notes.append(SPLIT_NOTE)
    if where.alias_of is not None:
        notes.append(alias_note(where.alias_of))
    if reference is not None and expanded.text != written:
        notes.append(f"resolves to {expanded.text}")
        notes.extend(_provenance(expanded, doc))
    lines = doc.text.split("\n")
    ignore = ignored_rules(comments_for(lines, where.line))
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


def _provenance(expanded: Expansion, doc: Doc) -> list[str]:
    """`NAME = value from .env line N` for each variable the image used."""
    return [
        shorten(f"{name} = {doc.values[name]} from {doc.origins[name]}")
        for name in expanded.used
        if name in doc.values and name in doc.origins
    ]


def _problem(expanded: Expansion, doc: Doc) -> tuple[str | None, str]:
    """Why an interpolated image cannot be used (or None), and what to do."""
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


def _build(project: Project, service: str, layers: list[Layer]) -> None:
    """Queue the Dockerfile of a service's build with its args, contexts and local images."""
    context, dockerfile = ".", "Dockerfile"
    unset: dict[str, str] = {}  # "context" / "dockerfile" -> why its value is unknown
    inline: InlineDockerfile | None = None
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
            context, context_layer = (
                composebuild.build_path(build, layer.doc, "context", unset),
                layer,
            )
            legacy = lookup(layer.node, "dockerfile")  # version 1: a key of the service
            if isinstance(legacy, yaml.ScalarNode):
                dockerfile = composebuild.build_path(legacy, layer.doc, "dockerfile", unset)
            continue
        text = lookup(build, "dockerfile_inline")
        if isinstance(text, yaml.ScalarNode):
            inline = inline_dockerfile(text, layer.doc.text, layer.doc.values)
        if lookup(build, "context") is not None:
            context, context_layer = (
                composebuild.build_path(lookup(build, "context"), layer.doc, "context", unset),
                layer,
            )
        if lookup(build, "dockerfile") is not None:
            dockerfile = composebuild.build_path(
                lookup(build, "dockerfile"), layer.doc, "dockerfile", unset
            )
        composebuild.build_args(lookup(build, "args"), layer.doc, service, args, origins)
        contexts |= _contexts(project, lookup(build, "additional_contexts"), layer.doc, service)
        platforms = composebuild.platforms(lookup(build, "platforms"), layer.doc) or platforms
    found = first(layers, "platform")
    if not platforms and found is not None:
        platforms = composebuild.platforms(found[1], found[0].doc)
    file = layers[0].doc.file
    if inline is not None:
        local = frozenset(project.local)
        project.result.builds.append(
            ComposeBuild(
                service, file, args, origins, frozenset(contexts), local, file, platforms, inline
            )
        )
        return
    if "://" in context or context.startswith("git@"):
        return
    if unset:
        why = "; ".join(unset.values())
        project.problem(file, f"service {service}: build {why}: its Dockerfile is not known")
        return
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


def _contexts(project: Project, node: yaml.Node | None, doc: Doc, service: str) -> set[str]:
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
