"""Images named by Kubernetes manifests (and Helm output rendered to YAML).

Understood: every `containers`, `initContainers` and `ephemeralContainers` list in a document
with `apiVersion` and `kind` (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob, ... and
custom resources embedding a pod spec), in files of one or many documents (`---`). Helm
templates themselves (`{{ ... }}`) are not YAML and are skipped: render them first. Images that
`skaffold.yaml` builds (`build.artifacts[*].image`) are the project's own: not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import parse_reference
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.yamlnodes import YamlError, items, load_all_nodes, lookup, scalar_text
from driftwatch.sources.yamluse import scalar_use

__all__ = ["is_skaffold_name", "looks_like_manifest", "parse_manifests", "skaffold_images"]

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
MAX_NODES = 200_000


def looks_like_manifest(text: str) -> bool:
    """Cheap test before parsing: Kubernetes keys present and no template syntax."""
    return "apiVersion" in text and "kind" in text and "image" in text and "{{" not in text


def parse_manifests(text: str, file: str) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Every container image of every manifest document in the file."""
    try:
        documents = load_all_nodes(text)
    except YamlError as exc:
        return [], [FileProblem(file, exc.reason, exc.line)]
    uses: dict[tuple[int, int], BaseImageUse] = {}
    for document in documents:
        kind, name = scalar_text(lookup(document, "kind")), None
        if kind is None or lookup(document, "apiVersion") is None:
            continue
        name = scalar_text(lookup(lookup(document, "metadata"), "name")) or "(unnamed)"
        for container, image in _containers(document):
            user = f"{kind}/{name} container {container}"
            use = scalar_use(image, text, file, UseKind.KUBERNETES, str(image.value), user=user)
            uses.setdefault((use.line, use.column), use)
    return list(uses.values()), []


def _containers(root: yaml.Node) -> Iterator[tuple[str, yaml.ScalarNode]]:
    """(container name, image scalar) under every container list, walking without recursion."""
    stack: list[yaml.Node] = [root]
    seen = 0
    while stack and seen < MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
            continue
        if not isinstance(node, yaml.MappingNode) or getattr(node, "alias_mark", None):
            continue
        for key, value in items(node):
            if key in _CONTAINER_LISTS and isinstance(value, yaml.SequenceNode):
                for container in value.value:
                    image = lookup(container, "image")
                    if isinstance(image, yaml.ScalarNode):
                        yield scalar_text(lookup(container, "name")) or "?", image
            elif isinstance(value, (yaml.MappingNode, yaml.SequenceNode)):
                stack.append(value)


def is_skaffold_name(name: str) -> bool:
    """`skaffold.yaml` or `skaffold.yml`."""
    return name.rsplit("/", 1)[-1] in ("skaffold.yaml", "skaffold.yml")


def skaffold_images(text: str) -> set[str]:
    """The image names a skaffold.yaml builds (every document and profile), without tags."""
    try:
        documents = load_all_nodes(text)
    except YamlError:
        return set()
    found: set[str] = set()
    for document in documents:
        profiles = lookup(document, "profiles")
        listed = profiles.value if isinstance(profiles, yaml.SequenceNode) else []
        builds = [lookup(document, "build"), *(lookup(p, "build") for p in listed)]
        for build in builds:
            artifacts = lookup(build, "artifacts")
            for artifact in artifacts.value if isinstance(artifacts, yaml.SequenceNode) else []:
                name = scalar_text(lookup(artifact, "image"))
                try:
                    found.add(parse_reference(name or "").name)  # skaffold re-tags it
                except InvalidReference:
                    continue
    return found
