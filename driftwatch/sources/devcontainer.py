"""Images named by Dev Container definitions (`devcontainer.json`, containers.dev spec).

Files: `.devcontainer/devcontainer.json`, `.devcontainer.json` and
`.devcontainer/<name>/devcontainer.json`, read as JSONC (comments, trailing commas).
Understood: `image` (reported at its exact position, so `pin` can rewrite it);
`build.dockerfile` (or the legacy top-level `dockerFile`), relative to the file's folder, whose
FROM lines are read with `build.args` as build args, the way a compose `build:` is read;
`dockerComposeFile` (a string or a list, relative to the file's folder), whose files are read as
compose files (once, even when the walk finds them too).
Not reported: `features` (OCI artifacts installed into the container, not images it starts
from) and `build.cacheFrom` (a cache source). Dev Container variables (`${localEnv:VAR}`,
`${localWorkspaceFolder}`, ...) are only known where the container is built: an image naming
one is unresolved, never guessed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import parse_reference
from driftwatch.sources.composefiles import ComposeBuild
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.jsonc import JArray, JObject, JsoncError, JString, Node, parse_jsonc
from driftwatch.sources.placeholders import devcontainer_variable, invalid_reference
from driftwatch.sources.suppress import ignored_rules

__all__ = ["DevcontainerResult", "is_devcontainer_path", "parse_devcontainer"]

_PATH = re.compile(r"(?:^|/)(?:\.devcontainer\.json|\.devcontainer/(?:[^/]+/)?devcontainer\.json)$")
MAX_COMPOSE_FILES = 64


def is_devcontainer_path(rel: str) -> bool:
    """A root-relative path where the Dev Container spec looks for a definition."""
    return rel.endswith("devcontainer.json") and _PATH.search(rel) is not None


@dataclass
class DevcontainerResult:
    """What one devcontainer.json yielded: its image, its build and its compose files."""

    uses: list[BaseImageUse] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    builds: list[ComposeBuild] = field(default_factory=list)
    compose_files: list[tuple[str, int]] = field(default_factory=list)  # root-relative, line


def parse_devcontainer(text: str, file: str) -> DevcontainerResult:
    """Parse one devcontainer.json's text (BOM removed); `file` is its root-relative path."""
    result = DevcontainerResult()
    try:
        root = parse_jsonc(text)
    except JsoncError as exc:
        result.problems.append(FileProblem(file, exc.reason, exc.line))
        return result
    if not isinstance(root, JObject):
        result.problems.append(FileProblem(file, "not a JSON object", 1))
        return result
    image = root.get("image")
    if isinstance(image, JString):
        result.uses.append(_image_use(image, text, file))
    _build(root, file, result)
    _compose_files(root.get("dockerComposeFile"), file, result)
    return result


def _image_use(node: JString, text: str, file: str) -> BaseImageUse:
    """The use of the `image` value, unresolved when it names a variable or is not a reference."""
    value, problem, advice, reference = node.value, None, "", None
    variable = devcontainer_variable(value)
    if variable is not None:
        problem = f"Dev Container variable {variable} is only known where the container is built"
        advice = f"Write the image literally in {file} so it can be checked and pinned."
    elif not value:
        problem, advice = "empty image reference", "Name an image."
    else:
        try:
            reference = parse_reference(value)
        except InvalidReference as exc:
            problem, advice = invalid_reference(value, exc)
    notes = ["dev container image"]
    if reference is not None and node.raw != value:
        notes.append(f"resolves to {value}")
    ignore = ignored_rules(_comments(text.split("\n"), node.line))
    return BaseImageUse(
        file,
        node.line,
        node.column,
        node.raw,
        UseKind.DEVCONTAINER,
        reference,
        problem,
        notes=tuple(notes),
        ignore=ignore,
        advice=advice,
    )


def _comments(lines: Sequence[str], line: int) -> list[str]:
    """The `//` comment ending `line` and the `//` lines directly above, as `#` comments."""
    found = []
    if 0 < line <= len(lines) and "//" in lines[line - 1]:
        found.append("#" + lines[line - 1].rsplit("//", 1)[1])
    index = line - 2
    while 0 <= index < len(lines) and lines[index].lstrip().startswith("//"):
        found.append("#" + lines[index].lstrip()[2:])
        index -= 1
    return found


def _relative(folder: str, path: str) -> str | None:
    """`path` (relative to the definition's folder) made root-relative; None when outside."""
    joined = posixpath.normpath(posixpath.join(folder, path))
    return None if joined == ".." or joined.startswith("../") or path.startswith("/") else joined


def _build(root: JObject, file: str, result: DevcontainerResult) -> None:
    """`build.dockerfile` (or legacy `dockerFile`) with `build.args`, as a build to read."""
    build = root.get("build")
    build = build if isinstance(build, JObject) else None
    dockerfile = build.get("dockerfile") if build is not None else None
    if not isinstance(dockerfile, JString):
        dockerfile = root.get("dockerFile")
    if not isinstance(dockerfile, JString):
        return
    folder = posixpath.dirname(file)
    where = f"dev container {file}"
    if devcontainer_variable(dockerfile.value):
        reason = f"build Dockerfile `{dockerfile.value}` names a Dev Container variable: not read"
        result.problems.append(FileProblem(file, reason, dockerfile.line))
        return
    path = _relative(folder, dockerfile.value)
    if path is None:
        reason = f"build Dockerfile {dockerfile.value} resolves outside the repository: skipped"
        result.problems.append(FileProblem(file, reason, dockerfile.line))
        return
    args: dict[str, str] = {}
    origins: dict[str, str] = {}
    values = build.get("args") if build is not None else None
    for name, value in values.members if isinstance(values, JObject) else ():
        if isinstance(value, JString):
            args[name] = value.value
            origins[name] = f"{where} (line {value.line})"
            if devcontainer_variable(value.value):
                origins[name] += ", a Dev Container variable only known where it is built"
    result.builds.append(ComposeBuild(where, path, args, origins, file=file))


def _compose_files(node: Node | None, file: str, result: DevcontainerResult) -> None:
    """`dockerComposeFile`: one path or a list, each made root-relative."""
    nodes = list(node.items) if isinstance(node, JArray) else [node] if node is not None else []
    folder = posixpath.dirname(file)
    for item in nodes[:MAX_COMPOSE_FILES]:
        if not isinstance(item, JString):
            continue
        path = _relative(folder, item.value)
        if devcontainer_variable(item.value):
            reason = f"dockerComposeFile `{item.value}` names a Dev Container variable: not read"
            result.problems.append(FileProblem(file, reason, item.line))
        elif path is None:
            reason = f"dockerComposeFile {item.value} resolves outside the repository: skipped"
            result.problems.append(FileProblem(file, reason, item.line))
        elif path not in (known for known, _ in result.compose_files):
            result.compose_files.append((path, item.line))
