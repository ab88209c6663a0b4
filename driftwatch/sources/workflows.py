"""Images named by GitHub Actions workflows and Docker actions.

Understood: `jobs.<id>.container` (a string or `image:`), `jobs.<id>.services.<name>.image`,
`steps[*].uses: docker://<image>`, and in an action's `action.yml`, `runs.image: docker://<image>`.
Expressions: `${{ matrix.X }}` takes every value the job's `strategy.matrix` gives X (its list
and its `include` entries; a lone expression is reported at each value's own line, where it can
be pinned); `${{ env.X }}` takes a literal value from the workflow's or job's `env`. Any other
expression is only known when the workflow runs: an unresolved reference whose advice says so.
An image named from `${{ github.repository }}` (or `repository_owner`) is the repository's own:
not a base image.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping

import yaml

from driftwatch.models import BaseImageUse, UseKind
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.yamlnodes import YamlError, items, load_nodes, lookup, scalar_text
from driftwatch.sources.yamluse import scalar_use

__all__ = ["is_action_path", "is_workflow_path", "parse_workflow"]

DOCKER = "docker://"
MAX_COMBINATIONS = 64
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
_KIND = UseKind.WORKFLOW
_OWN = re.compile(r"\$\{\{\s*github\.(repository|repository_owner|event\.repository\.)")


def is_workflow_path(rel: str) -> bool:
    """`.github/workflows/*.yml` or `.yaml` (also below a sub-folder scanned as a repository)."""
    folder, _, name = f"/{rel}".rpartition("/")
    return folder.endswith("/.github/workflows") and name.endswith((".yml", ".yaml"))


def is_action_path(rel: str) -> bool:
    """An action's metadata file: `action.yml` or `action.yaml`."""
    return rel.rsplit("/", 1)[-1] in ("action.yml", "action.yaml")


def parse_workflow(text: str, file: str) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Every image a workflow (or a Docker action's metadata) runs."""
    try:
        root = load_nodes(text)
    except YamlError as exc:
        return [], [FileProblem(file, exc.reason, exc.line)]
    uses: list[BaseImageUse] = []
    reader = _Reader(text, file, _env(lookup(root, "env")))
    for job_id, job in items(lookup(root, "jobs")):
        uses.extend(reader.job(job_id, job))
    image = lookup(lookup(root, "runs"), "image")
    if isinstance(image, yaml.ScalarNode) and str(image.value).startswith(DOCKER):
        uses.extend(reader.image(image, "action runs.image", {}, {}, prefix=DOCKER))
    return list({(u.line, u.column, str(u.reference)): u for u in uses}.values()), []


def _matrix(node: yaml.Node | None) -> dict[str, list[yaml.Node]]:
    """Every value each matrix variable takes: its list, and the `include` entries that set it."""
    values: dict[str, list[yaml.Node]] = {}
    for name, listed in items(node):
        if name not in ("include", "exclude") and isinstance(listed, yaml.SequenceNode):
            values[name] = list(listed.value)
    include = lookup(node, "include")
    for entry in include.value if isinstance(include, yaml.SequenceNode) else []:
        for name, value in items(entry):
            values.setdefault(name, []).append(value)
    return values


def _env(node: yaml.Node | None) -> dict[str, str]:
    """The literal values of an `env:` mapping."""
    return {k: v for k, n in items(node) if (v := scalar_text(n)) is not None}


class _Reader:
    """Reads one workflow file's jobs."""

    def __init__(self, text: str, file: str, env: Mapping[str, str]) -> None:
        self.text, self.file, self.env = text, file, env

    def job(self, job_id: str, job: yaml.Node) -> Iterator[BaseImageUse]:
        """Every image one job runs in: container, services, docker:// steps."""
        env = {**self.env, **_env(lookup(job, "env"))}
        matrix = _matrix(lookup(lookup(job, "strategy"), "matrix"))
        container = lookup(job, "container")
        image = container if isinstance(container, yaml.ScalarNode) else lookup(container, "image")
        if isinstance(image, yaml.ScalarNode):
            yield from self.image(image, f"job {job_id} container", env, matrix)
        for name, service in items(lookup(job, "services")):
            node = service if isinstance(service, yaml.ScalarNode) else lookup(service, "image")
            if isinstance(node, yaml.ScalarNode):
                yield from self.image(node, f"job {job_id} service {name}", env, matrix)
        steps = lookup(job, "steps")
        for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            uses = lookup(step, "uses")
            if isinstance(uses, yaml.ScalarNode) and str(uses.value).startswith(DOCKER):
                yield from self.image(uses, f"job {job_id} step", env, matrix, prefix=DOCKER)

    def image(
        self,
        node: yaml.ScalarNode,
        user: str,
        env: Mapping[str, str],
        matrix: Mapping[str, list[yaml.Node]],
        prefix: str = "",
    ) -> Iterator[BaseImageUse]:
        """The uses of one image scalar: one per matrix value it takes."""
        raw = str(node.value)[len(prefix) :]
        if _OWN.search(raw):
            return  # the repository's own image (`ghcr.io/${{ github.repository }}`): not a base
        if "${{" not in raw:
            yield scalar_use(node, self.text, self.file, _KIND, raw, user=user, prefix=prefix)
            return
        lone = _EXPRESSION.fullmatch(raw.strip())
        if lone and lone.group(1).startswith("matrix."):
            values = matrix.get(lone.group(1)[len("matrix.") :])
            if values:
                for value in values:
                    if isinstance(value, yaml.ScalarNode):
                        note = f"matrix value of {lone.group(1)}, used by {user}"
                        yield scalar_use(
                            value, self.text, self.file, _KIND, str(value.value), user=note
                        )
                return
        for text, notes, problem in _substitute(raw, env, matrix):
            advice = (
                "Write the image literally, or list its values in the job's strategy.matrix "
                "so they can be checked and pinned."
                if problem
                else ""
            )
            yield scalar_use(
                node,
                self.text,
                self.file,
                _KIND,
                text,
                user=user,
                notes=notes,
                problem=problem,
                advice=advice,
                prefix=prefix,
            )


def _substitute(
    raw: str, env: Mapping[str, str], matrix: Mapping[str, list[yaml.Node]]
) -> list[tuple[str, tuple[str, ...], str | None]]:
    """Every text the expressions in `raw` can give: (text, notes, problem)."""
    choices: list[list[tuple[str, str]]] = []
    for match in _EXPRESSION.finditer(raw):
        expression = match.group(1)
        name = expression.partition(".")[2]
        if expression.startswith("env.") and name in env:
            choices.append([(env[name], f"{expression} = {env[name]}")])
            continue
        values = matrix.get(name, []) if expression.startswith("matrix.") else []
        texts = list(dict.fromkeys(scalar_text(v) for v in values))
        if not texts or any(t is None for t in texts):
            problem = (
                f"GitHub Actions expression `${{{{ {expression} }}}}` is only known when the "
                "workflow runs"
            )
            return [("", (), problem)]
        choices.append([(str(t), f"{expression} = {t}") for t in texts])
    found: list[tuple[str, tuple[str, ...], str | None]] = []
    for combination in itertools.islice(itertools.product(*choices), MAX_COMBINATIONS):
        pieces = _EXPRESSION.split(raw)  # text, expression, text, ...
        text = "".join(
            piece if index % 2 == 0 else combination[index // 2][0]
            for index, piece in enumerate(pieces)
        )
        found.append((text, tuple(note for _, note in combination), None))
    return found
