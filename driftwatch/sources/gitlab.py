"""Images named by a GitLab CI file (`.gitlab-ci.yml`).

Understood: top-level and `default:` `image` and `services`, and every job's, hidden `.template`
jobs included; a job that `extends:` templates of this file without its own `image` runs in
theirs (reported once at the template's line, the job among its users). An image is a string or
a mapping with `name`; a service is one of those too. `$VAR` and `${VAR}` take the file's
`variables:` (the job's win).
An image named from `$CI_REGISTRY_IMAGE`, `$CI_REGISTRY` or `$CI_PROJECT_PATH` is the project's
own (the pipeline builds it): not reported. `$CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX` is Docker Hub
seen through GitLab's dependency proxy. Other variables defined nowhere in the file are only known
in a pipeline: such an image is unresolved, with advice saying so. `include:` is not followed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

import yaml

from driftwatch.models import BaseImageUse, UseKind
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.substitute import expand
from driftwatch.sources.yamlnodes import YamlError, items, load_nodes, lookup, scalar_text
from driftwatch.sources.yamluse import scalar_use

__all__ = ["is_gitlab_name", "parse_gitlab"]

MAX_EXTENDS = 16
_NOT_JOBS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    }
)


# Images named from these are the project's own (built and pushed by the pipeline).
_OWN = frozenset({"CI_REGISTRY_IMAGE", "CI_REGISTRY", "CI_PROJECT_PATH", "CI_PROJECT_NAME"})
# The dependency proxy pulls from Docker Hub: `${PREFIX}/python:3.12` is Docker Hub's python:3.12.
_PROXY = {
    "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX": "docker.io",
    "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX": "docker.io",
}


def is_gitlab_name(name: str) -> bool:
    """`.gitlab-ci.yml` (or `.yaml`)."""
    return name in (".gitlab-ci.yml", ".gitlab-ci.yaml")


def parse_gitlab(text: str, file: str) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Every image and service image the pipeline's jobs run in."""
    try:
        root = load_nodes(text)
    except YamlError as exc:
        return [], [FileProblem(file, exc.reason, exc.line)]
    found: dict[tuple[int, int, str], BaseImageUse] = {}
    top = _variables(lookup(root, "variables"))
    scopes = [("pipeline", [root], top), ("default", [lookup(root, "default")], top)]
    for name, job in items(root):
        if name not in _NOT_JOBS and isinstance(job, yaml.MappingNode):
            layers = _extends(root, job)
            values = dict(top)
            for layer in reversed(layers):  # the job's own variables win over its templates'
                values.update(_variables(lookup(layer, "variables")))
            scopes.append((f"job {name}", layers, values))
    for user, layers, values in scopes:
        for use in _images(text, file, user, layers, values):
            key = (use.line, use.column, str(use.reference))
            if key in found:  # a YAML anchor shared by jobs: one use, every job named
                use = _add_user(found[key], user)
            found[key] = use
    return list(found.values()), []


def _variables(node: yaml.Node | None) -> dict[str, str]:
    """`variables:` entries: a string, or a mapping with `value`."""
    values = {}
    for name, value in items(node):
        text = scalar_text(value) if isinstance(value, yaml.ScalarNode) else None
        text = text if text is not None else scalar_text(lookup(value, "value"))
        if text is not None:
            values[name] = text
    return values


def _extends(root: yaml.Node | None, job: yaml.MappingNode) -> list[yaml.Node | None]:
    """The job and the templates it `extends` (in this file), most specific first."""
    layers: list[yaml.Node | None] = [job]
    pending: list[yaml.Node] = [job]
    while pending and len(layers) < MAX_EXTENDS:
        extends = lookup(pending.pop(0), "extends")
        names = extends.value if isinstance(extends, yaml.SequenceNode) else [extends]
        for name in reversed(names):  # the last template listed wins, as GitLab merges
            template = lookup(root, scalar_text(name) or "")
            if isinstance(template, yaml.MappingNode) and template not in layers:
                layers.append(template)
                pending.append(template)
    return layers


def _first(layers: list[yaml.Node | None], key: str) -> yaml.Node | None:
    """The value of `key` in the most specific layer that sets it."""
    for layer in layers:
        value = lookup(layer, key)
        if value is not None:
            return value
    return None


def _images(
    text: str, file: str, user: str, layers: list[yaml.Node | None], values: Mapping[str, str]
) -> Iterator[BaseImageUse]:
    """The `image` and `services` of one scope (pipeline, default or job and its templates)."""
    image = _first(layers, "image")
    if image is not None:
        yield from _one(text, file, user, image, values)
    services = _first(layers, "services")
    for service in services.value if isinstance(services, yaml.SequenceNode) else []:
        yield from _one(text, file, f"{user} service", service, values)


def _one(
    text: str, file: str, user: str, node: yaml.Node, values: Mapping[str, str]
) -> Iterator[BaseImageUse]:
    """The use of one image or service entry, variables substituted."""
    scalar = node if isinstance(node, yaml.ScalarNode) else lookup(node, "name")
    if not isinstance(scalar, yaml.ScalarNode):
        return
    known = {**_PROXY, **values}
    expanded = expand(str(scalar.value), known, escape=None, dollar_escape=True)
    if _OWN & set(expanded.used):
        return  # the project's own image, built by the pipeline: not a base image to guard
    notes = ("through GitLab's dependency proxy",) if _PROXY.keys() & set(expanded.used) else ()
    problem, advice = None, ""
    if expanded.missing:
        names = ", ".join(f"${name}" for name in expanded.missing)
        problem = f"GitLab CI variable {names} is only known when the pipeline runs"
        advice = (
            f"Set {names} under `variables:` in {file}, or write the image literally, "
            "so it can be checked and pinned."
        )
    elif expanded.errors:
        problem, advice = "; ".join(expanded.errors), "Fix the variable substitution."
    yield scalar_use(
        scalar,
        text,
        file,
        UseKind.GITLAB,
        expanded.text,
        user=user,
        notes=notes,
        problem=problem,
        advice=advice,
    )


def _add_user(use: BaseImageUse, user: str) -> BaseImageUse:
    """The same use, naming one more job among its users."""
    first = use.notes[0] if use.notes else ""
    return replace(use, notes=(f"{first}, {user}", *use.notes[1:]))
