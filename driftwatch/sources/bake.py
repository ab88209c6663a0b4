"""Images named by Buildx bake files (`docker-bake.hcl`, `docker-bake.json`) and their builds.

Understood: `variable` blocks (`default`, overridden by the environment as bake does), `target`
blocks with `context`, `dockerfile`, `args`, `contexts`, `platforms` and `inherits` (maps merged,
the inheriting target winning; cycles refused). A context `docker-image://<ref>` is an image the
build uses: reported where it is written. Each target's Dockerfile is read with the target's
args, named contexts and platforms. Strings interpolate `${VAR}`; other expressions (functions,
conditionals) are not evaluated and make the value unresolved.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import yaml

from driftwatch.errors import InvalidReference
from driftwatch.models import BaseImageUse, UseKind
from driftwatch.reference import parse_reference
from driftwatch.sources.compose import ComposeBuild, inside
from driftwatch.sources.hcl import Block, Other, Ref, Str, Value, parse_hcl
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.placeholders import invalid_reference
from driftwatch.sources.yamlnodes import YamlError, items, load_nodes, scalar_at

__all__ = ["BakeResult", "is_bake_name", "parse_bake"]

DOCKER_IMAGE = "docker-image://"
MAX_INHERITS = 32
_INTERPOLATION = re.compile(r"\$\$\{|\$\{\s*([^}]*?)\s*\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def is_bake_name(name: str) -> bool:
    """docker-bake.hcl / .json and their overrides (docker-bake.override.hcl, ...)."""
    lower = name.lower()
    return lower.startswith("docker-bake") and lower.endswith((".hcl", ".json"))


@dataclass
class BakeResult:
    """What one bake file yielded."""

    uses: list[BaseImageUse] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    builds: list[ComposeBuild] = field(default_factory=list)


@dataclass(frozen=True)
class _Resolved:
    """A value worked out: its text (None when it cannot be) and where its parts came from."""

    text: str | None
    origins: tuple[str, ...] = ()
    why: str = ""


class _Bake:
    """One bake file: variables, targets and how to evaluate them."""

    def __init__(
        self,
        file: str,
        variables: Mapping[str, Value],
        targets: Mapping[str, Mapping[str, Value]],
        environ: Mapping[str, str],
        lines: Mapping[str, int] | None = None,
    ) -> None:
        self.file, self.variables, self.targets, self.environ = file, variables, targets, environ
        self.lines = lines or {}  # variable -> line of its block
        self.result = BakeResult()

    def variable(self, name: str, seen: frozenset[str] = frozenset()) -> _Resolved:
        """A variable's value: the environment first, then its default."""
        if name in self.environ:
            return _Resolved(
                self.environ[name], (f"{name} = {self.environ[name]} from the environment",)
            )
        if name not in self.variables or name in seen:
            return _Resolved(None, why=f"variable {name} is not defined")
        found = self.evaluate(self.variables[name], seen | {name})
        if found.text is None:
            return found
        line = self.lines.get(name)
        where = f"{self.file} line {line}" if line else self.file
        origin = f"{name} = {found.text} from the default of variable {name} in {where}"
        return replace(found, origins=(*found.origins, origin))

    def evaluate(self, value: Value, seen: frozenset[str] = frozenset()) -> _Resolved:
        """A value as text: literals, variable names and `${VAR}` interpolation only."""
        if isinstance(value, Ref):
            if value.name == "null":
                return _Resolved(None, why="null")  # bake: not set, the Dockerfile default applies
            if _NAME.fullmatch(value.name) and value.name not in ("true", "false"):
                return self.variable(value.name, seen)
            return _Resolved(value.name)
        if not isinstance(value, Str):
            return _Resolved(None, why="an expression driftwatch does not evaluate")
        parts: list[str] = []
        origins: list[str] = []
        pos = 0
        for match in _INTERPOLATION.finditer(value.raw):
            parts.append(value.raw[pos : match.start()])
            pos = match.end()
            if match.group(1) is None:
                parts.append("${")
                continue
            name = match.group(1)
            if not _NAME.fullmatch(name):
                return _Resolved(None, why=f"`${{{name}}}` is not evaluated by driftwatch")
            found = self.variable(name, seen)
            if found.text is None:
                return found
            parts.append(found.text)
            origins.extend(found.origins)
        parts.append(value.raw[pos:])
        return _Resolved(_unescape("".join(parts)), tuple(origins))

    def target(self, name: str) -> dict[str, Value]:
        """A target's attributes with what it inherits merged in (maps merged, own values win)."""
        chain: list[str] = []
        merged: dict[str, Value] = {}
        pending = [name]
        while pending and len(chain) < MAX_INHERITS:
            current = pending.pop(0)
            if current in chain:
                self.result.problems.append(
                    FileProblem(self.file, f"target {name}: inherits cycle through {current}")
                )
                continue
            chain.append(current)
            attributes = self.targets.get(current, {})
            for key, value in attributes.items():
                if key not in merged:
                    merged[key] = value
                elif isinstance(merged[key], dict) and isinstance(value, dict):
                    merged[key] = {**value, **merged[key]}  # type: ignore[dict-item]
            inherits = attributes.get("inherits")
            for parent in inherits if isinstance(inherits, list) else []:
                text = self.evaluate(parent).text
                if text:
                    pending.append(text)
        return merged

    def read(self) -> BakeResult:
        """Read every target."""
        for name in self.targets:
            self.build(name, self.target(name))
        return self.result

    def build(self, name: str, attributes: Mapping[str, Value]) -> None:
        """One target: its docker-image contexts as uses, its Dockerfile as a build."""
        user = f"bake target {name}"
        contexts = attributes.get("contexts")
        names: set[str] = set()
        for label, value in (contexts if isinstance(contexts, dict) else {}).items():
            names.add(label.lower())
            if isinstance(value, Str) and value.raw.startswith(DOCKER_IMAGE):
                self.add(self.context_use(value, user, label))
        if "dockerfile-inline" in attributes:
            return
        context = self.text(attributes.get("context"), ".")
        dockerfile = self.text(attributes.get("dockerfile"), "Dockerfile")
        if context is None or dockerfile is None or "://" in context or ":" in context[:8]:
            return
        folder = inside(posixpath.dirname(self.file), context)
        path = None if folder is None else inside(folder, dockerfile)
        if path is None:
            where = f"{context}/{dockerfile}"
            reason = f"{user}: build {where} is outside the repository: skipped"
            self.result.problems.append(FileProblem(self.file, reason))
            return
        args, origins = self.args(attributes.get("args"), user)
        platforms = attributes.get("platforms")
        listed = [self.evaluate(p).text for p in platforms] if isinstance(platforms, list) else []
        listed = [p for p in listed if p and "/" in p]  # "local" means the machine's own
        self.result.builds.append(
            ComposeBuild(
                user,
                path,
                args,
                origins,
                frozenset(names),
                frozenset(),
                self.file,
                tuple(p for p in listed if p),
            )
        )

    def text(self, value: Value | None, default: str) -> str | None:
        """An attribute's text, or `default` when the target does not set it."""
        return default if value is None else self.evaluate(value).text

    def args(self, value: Value | None, user: str) -> tuple[dict[str, str], dict[str, str]]:
        """A target's build args and where each value came from."""
        args: dict[str, str] = {}
        origins: dict[str, str] = {}
        for key, item in (value if isinstance(value, dict) else {}).items():
            found = self.evaluate(item)
            if found.text is None:
                continue
            args[key] = found.text
            line = f" line {item.line}" if isinstance(item, Str) else ""
            via = f"{user} ({self.file}{line})"
            if found.origins:  # "the default of variable X in f line 2, passed by bake target t"
                sources = "; ".join(o.split(" from ", 1)[1] for o in found.origins)
                origins[key] = f"{sources}, passed by {via}"
            else:
                origins[key] = via
        return args, origins

    def context_use(self, value: Str, user: str, context: str) -> BaseImageUse:
        """The use of a `docker-image://` context, at the string that names it."""
        found = self.evaluate(value)
        written = value.raw[len(DOCKER_IMAGE) :]
        column = value.column + len(DOCKER_IMAGE)
        reference, problem, advice = None, None, ""
        text = (found.text or "")[len(DOCKER_IMAGE) :]
        if found.text is None:
            problem = found.why or "cannot be evaluated"
            advice = (
                f"Give the bake variable a default in {self.file}, or write the image literally."
            )
        else:
            try:
                reference = parse_reference(text)
            except InvalidReference as exc:
                problem, advice = invalid_reference(text, exc)
        notes = [user, f"named build context {context}"]
        if reference is not None and text != written:
            notes.extend([f"resolves to {text}", *found.origins])
        return BaseImageUse(
            self.file,
            value.line,
            column,
            written,
            UseKind.BAKE,
            reference,
            problem,
            None,
            None,
            tuple(notes),
            (),
            advice if problem else "",
        )

    def add(self, use: BaseImageUse) -> None:
        """Record a use; one already at that place gains the target among its users."""
        for index, known in enumerate(self.result.uses):
            if (known.line, known.column) == (use.line, use.column):
                first = known.notes[0]
                if use.notes[0] not in first.split(", "):
                    notes = (
                        f"{first}, {use.notes[0].removeprefix('bake target ')}",
                        *known.notes[1:],
                    )
                    self.result.uses[index] = replace(known, notes=notes)
                return
        self.result.uses.append(use)


def _unescape(text: str) -> str:
    """HCL string escapes that matter in image references."""
    return text.replace('\\"', '"').replace("\\\\", "\\")


def parse_bake(text: str, file: str, environ: Mapping[str, str]) -> BakeResult:
    """Read one bake file (HCL or JSON by its name)."""
    if file.lower().endswith(".json"):
        try:
            root = _from_yaml(load_nodes(text), text)
        except YamlError as exc:
            return BakeResult(problems=[FileProblem(file, exc.reason, exc.line)])
        section = root if isinstance(root, dict) else {}
        variables = {
            name: body.get("default", Other())
            for name, body in _table(section.get("variable")).items()
            if isinstance(body, dict)
        }
        targets = {k: v for k, v in _table(section.get("target")).items() if isinstance(v, dict)}
        lines: dict[str, int] = {}
    else:
        block = parse_hcl(text)
        declared = [b for b in block.blocks if b.type == "variable" and b.labels]
        variables = {b.labels[0]: b.attributes.get("default", Ref("null")) for b in declared}
        lines = {b.labels[0]: b.line for b in declared}
        variables.update(
            {k: v for k, v in block.attributes.items() if k not in variables}
        )  # top-level attributes are variables too
        targets = {_label(b): b.attributes for b in block.blocks if b.type == "target" and b.labels}
    return _Bake(file, variables, targets, environ, lines).read()


def _label(block: Block) -> str:
    """A block's first label (the target's name)."""
    return block.labels[0]


def _table(value: Value | None) -> dict[str, Value]:
    """The value when it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _from_yaml(node: yaml.Node | None, text: str) -> Value:
    """A JSON document (read as YAML nodes, which keep positions) as bake values."""
    if isinstance(node, yaml.MappingNode):
        return {key: _from_yaml(value, text) for key, value in items(node)}
    if isinstance(node, yaml.SequenceNode):
        return [_from_yaml(value, text) for value in node.value]
    if isinstance(node, yaml.ScalarNode):
        if node.style in ('"', "'"):
            where = scalar_at(node, text)
            return Str(where.written, where.line, where.column)
        return Ref(str(node.value))
    return Other()
