"""The walk over a repository: which files are read, and as what source.

The repository is the boundary: symlinks leading out of the root are not followed (a problem
says what was skipped). Skipped folders (VCS, virtualenvs, node_modules, caches), `exclude`
globs and, when given, `include` globs decide which paths are read; the file's name (and path,
for workflows) decides the source; a source switched off is not read at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from driftwatch.config import SOURCE_NAMES
from driftwatch.sources.bake import is_bake_name
from driftwatch.sources.devcontainer import is_devcontainer_path
from driftwatch.sources.gitlab import is_gitlab_name
from driftwatch.sources.inventory import FileProblem
from driftwatch.sources.workflows import is_action_path, is_workflow_path

__all__ = ["Walker", "classify", "is_compose_name", "is_dockerfile_name", "relative", "within"]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


# Names that start like a Dockerfile but are not one: docs, code, data, and templates that
# render a Dockerfile (their `{{ }}` or `%%VAR%%` are not references).
_NOT_DOCKERFILE = (
    ".dockerignore",
    ".md",
    ".rst",
    ".txt",
    ".json",
    ".yml",
    ".yaml",
    ".toml",
    ".sh",
    ".ps1",
    ".py",
    ".go",
    ".rs",
    ".js",
    ".ts",
    ".java",
    ".rb",
    ".c",
    ".h",
    ".html",
    ".xml",
    ".template",
    ".tmpl",
    ".tpl",
    ".j2",
    ".jinja",
    ".jinja2",
    ".erb",
    ".mustache",
    ".in",
    ".bak",
    ".orig",
    ".swp",
    ".patch",
    ".diff",
)


def is_dockerfile_name(name: str) -> bool:
    """Dockerfile, Containerfile, and either with a suffix or prefix after `.`, `-` or `_`
    (`Dockerfile.dev`, `dev.Dockerfile`, `Dockerfile-alpine`, `Dockerfile_dev`)."""
    lower = name.lower()
    if lower.endswith(_NOT_DOCKERFILE):
        return False
    bases = ("dockerfile", "containerfile")
    return (
        lower in bases
        or lower.startswith(tuple(f"{b}{sep}" for b in bases for sep in ".-_"))
        or lower.endswith(tuple(f"{sep}{b}" for b in bases for sep in ".-_"))
    )


# Compose files by name: compose's own defaults, podman-compose's (`podman-compose.yml`,
# `container-compose.yml`) and the overlays named after them (`docker-compose.prod.yml`,
# `compose.dev.yaml`, `dev.docker-compose.yml`).
_COMPOSE_PREFIXES = ("compose.", "docker-compose", "podman-compose", "container-compose")


def is_compose_name(name: str) -> bool:
    """A YAML file named as compose (or podman-compose) finds its files, or an overlay of one."""
    lower = name.lower()
    if not lower.endswith((".yml", ".yaml")):
        return False
    return lower.startswith(_COMPOSE_PREFIXES) or "docker-compose" in lower


def _is_yaml(name: str) -> bool:
    """True for a `.yml` / `.yaml` name."""
    return name.lower().endswith((".yml", ".yaml"))


def classify(rel: str, *, chosen: bool = False) -> str | None:
    """The source that reads `rel` (root-relative), or None; `chosen`: named by the user."""
    name = rel.rsplit("/", 1)[-1]
    if is_dockerfile_name(name):
        return "dockerfile"
    if is_workflow_path(rel) or is_action_path(rel):  # `.github/workflows/docker-compose.yml`
        return "actions"
    if is_compose_name(name):
        return "compose"
    if is_gitlab_name(name):
        return "gitlab"
    if is_bake_name(name):
        return "bake"
    if is_devcontainer_path(rel) or (chosen and name.lower().endswith("devcontainer.json")):
        return "devcontainer"
    if _is_yaml(name):
        return "kubernetes"
    return "dockerfile" if chosen else None


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**` crosses folders, `*` and `?` do not."""
    out, index = [], 0
    text = pattern.strip().rstrip("/")
    while index < len(text):
        if text.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif text.startswith("**", index):
            out.append(".*")
            index += 2
        elif text[index] == "*":
            out.append("[^/]*")
            index += 1
        elif text[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(text[index]))
            index += 1
    return re.compile("".join(out))


def matches(rel: str, patterns: Iterable[str]) -> bool:
    """True when `rel` or one of its parent folders matches one of the globs."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(_glob(p).fullmatch(prefix) for p in patterns for prefix in prefixes)


def within(path: Path, base: Path) -> bool:
    """True when `path`, symlinks resolved, is `base` or inside it."""
    real = Path(os.path.realpath(path))
    return real == base or base in real.parents


def relative(path: Path, base: Path) -> str:
    """`path` relative to `base`, with forward slashes (fast path for paths under `base`)."""
    text, prefix = os.path.abspath(path), str(base) + os.sep
    if text.startswith(prefix):
        return text[len(prefix) :].replace(os.sep, "/")
    return Path(os.path.relpath(text, base)).as_posix()


def os_reason(exc: OSError) -> str:
    """A one-line reason for an OS error on a file."""
    if exc.errno == 40:  # ELOOP
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "does not exist (broken symlink?)"
    return f"unreadable: {exc.strerror or exc}"


class Walker:
    """Collects the files of each enabled source, pruning skipped and excluded folders."""

    def __init__(
        self,
        base: Path,
        exclude: Sequence[str],
        include: Sequence[str] = (),
        enabled: Sequence[str] = SOURCE_NAMES,
    ) -> None:
        self.base, self.exclude, self.include = base, tuple(exclude), tuple(include)
        self.enabled = frozenset(enabled)
        self.problems: list[FileProblem] = []

    def collect(self, paths: Sequence[Path]) -> dict[str, list[Path]]:
        """Files per source name, each once, in walk order."""
        found: dict[str, dict[Path, None]] = {name: {} for name in SOURCE_NAMES}
        for path in paths:
            if path.is_dir():
                for name, walked in self._walk(path):
                    found[name][walked] = None
            elif path.is_file() or path.is_symlink():
                file = Path(os.path.abspath(path))
                source = classify(relative(file, self.base), chosen=True)
                if source == "kubernetes" and is_compose_like(file):
                    source = "compose"
                if source is not None and source in self.enabled:
                    found[source][file] = None
            else:
                self.problems.append(FileProblem(relative(path, self.base), "does not exist"))
        return {name: list(files) for name, files in found.items()}

    def _walk(self, top: Path) -> Iterator[tuple[str, Path]]:
        """(source, path) of every file to read under `top`, in sorted order."""
        visited: set[tuple[int, int]] = set()
        for folder, dirnames, filenames in os.walk(os.path.abspath(top), followlinks=True):
            info = os.stat(folder)
            visited.add((info.st_dev, info.st_ino))
            dirnames[:] = [d for d in sorted(dirnames) if self._enter(Path(folder, d), visited)]
            for name in sorted(filenames):
                path = Path(folder, name)
                rel = relative(path, self.base)
                included = bool(self.include) and matches(rel, self.include)
                source = classify(rel, chosen=included)
                if source == "kubernetes" and "compose" in name.lower() and is_compose_like(path):
                    source = "compose"  # `compose-dev.yml`, `stack.compose.yaml`
                if source is None or source not in self.enabled:
                    continue
                if (self.include and not included) or (self.exclude and matches(rel, self.exclude)):
                    continue
                if path.is_symlink() and not within(path, self.base):
                    self._outside(path, "file")
                    continue
                yield source, path

    def _enter(self, path: Path, visited: set[tuple[int, int]]) -> bool:
        """Whether to descend into `path`: not skipped, not excluded, not a loop, not outside."""
        rel = relative(path, self.base)
        if path.name in SKIP_DIRS or matches(rel, self.exclude):
            return False
        if os.path.exists(path / "pyvenv.cfg"):
            return False  # a Python virtualenv
        if path.name == "vendor" and os.path.exists(path / "modules.txt"):
            return False  # Go's vendored modules: other projects' files
        try:
            info = os.stat(path)
        except OSError as exc:
            self.problems.append(FileProblem(rel, os_reason(exc)))
            return False
        if (info.st_dev, info.st_ino) in visited and path.is_symlink():
            self.problems.append(FileProblem(rel, "symlink loop (folder already visited)"))
            return False
        if path.is_symlink() and not within(path, self.base):
            self._outside(path, "folder")
            return False
        return True

    def _outside(self, path: Path, what: str) -> None:
        """Warn about a symlink leading out of the repository, which is not followed."""
        reason = f"symlink to a {what} outside the repository ({os.path.realpath(path)}): skipped"
        self.problems.append(FileProblem(relative(path, self.base), reason))


def is_compose_like(path: Path) -> bool:
    """A YAML file named on the command line that has a top-level `services:` key."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return True  # reading it later reports the problem
    return re.search(rb"(?m)^services\s*:", head) is not None
