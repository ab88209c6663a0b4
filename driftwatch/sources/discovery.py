"""Walk the given paths, read every Dockerfile and compose file, and build the Inventory.

Unreadable, binary, non-UTF-8 files and symlink loops become FileProblems; nothing here raises
for one bad file, so the other files are always processed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from pathlib import Path

from driftwatch.config import Config
from driftwatch.models import BaseImageUse
from driftwatch.sources.compose import ComposeBuild, parse_compose_project
from driftwatch.sources.dockerfile import DockerfileOptions, parse_dockerfile
from driftwatch.sources.inventory import FileProblem, Inventory

__all__ = ["find_image_uses", "is_compose_name", "is_dockerfile_name", "read_text"]

MAX_FILE_BYTES = 8 * 1024 * 1024
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


def is_dockerfile_name(name: str) -> bool:
    """Dockerfile, Containerfile, *.Dockerfile, *.dockerfile, Dockerfile.*, Containerfile.*."""
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return False
    bases = ("dockerfile", "containerfile")
    return (
        lower in bases
        or lower.startswith(tuple(f"{b}." for b in bases))
        or lower.endswith(tuple(f".{b}" for b in bases))
    )


def is_compose_name(name: str) -> bool:
    """compose.y(a)ml, compose.*.y(a)ml and docker-compose*.y(a)ml."""
    lower = name.lower()
    if not lower.endswith((".yml", ".yaml")):
        return False
    return lower.startswith(("compose.", "docker-compose"))


def read_text(path: Path) -> str:
    """The file's text without a BOM; raises _Unreadable with a one-line reason."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _Unreadable(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise _Unreadable(_os_reason(exc)) from exc
    if b"\x00" in data:
        raise _Unreadable("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unreadable(f"not valid UTF-8 (byte {exc.start})") from exc
    return text.removeprefix("\ufeff")


class _Unreadable(ValueError):
    """Internal: a file that cannot be parsed; becomes a FileProblem, never escapes."""


def _os_reason(exc: OSError) -> str:
    if exc.errno == 40:  # ELOOP
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "does not exist (broken symlink?)"
    return f"unreadable: {exc.strerror or exc}"


def find_image_uses(
    paths: Sequence[Path],
    config: Config,
    build_args: Mapping[str, str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    root: Path | None = None,
    platforms: Sequence[str] | None = None,
) -> Inventory:
    """Every external image reference under `paths` (default: the current directory)."""
    paths = list(paths) or [Path(".")]
    base = (root or _common_root(paths)).resolve()
    env = dict(os.environ if environ is None else environ)
    walker = _Walker(base, config.exclude)
    dockerfiles, composes = walker.collect(paths)
    problems = list(walker.problems)
    compose = parse_compose_project(
        [_relative(path, base) for path in composes], _reader(base), env
    )
    problems.extend(compose.problems)
    uses: list[BaseImageUse] = list(compose.uses)
    builds = _builds(compose.builds, base, dockerfiles, problems)
    common = _Common(config, build_args or {}, tuple(platforms or config.platforms))
    for dockerfile in dockerfiles:
        rel = _relative(dockerfile, base)
        try:
            text = read_text(dockerfile)
        except _Unreadable as exc:
            problems.append(FileProblem(rel, str(exc)))
            continue
        found, file_problems = _parse_built(text, rel, builds.get(dockerfile, [None]), common)
        uses.extend(found)
        problems.extend(file_problems)
    files = sorted({*compose.files, *(_relative(p, base) for p in [*composes, *dockerfiles])})
    uses.sort(key=lambda u: (u.file, u.line, u.column))
    problems = list(dict.fromkeys(problems))
    problems.sort(key=lambda p: (p.file, p.line or 0))
    return Inventory(tuple(uses), tuple(problems), base, tuple(files))


@dataclass(frozen=True)
class _Common:
    """What every Dockerfile gets: config build args, --build-arg values, the platforms."""

    config: Config
    build_args: Mapping[str, str]
    platforms: tuple[str, ...]


def _parse_built(
    text: str, file: str, builds: Sequence[ComposeBuild | None], common: _Common
) -> tuple[list[BaseImageUse], list[FileProblem]]:
    """Parse a Dockerfile once per distinct compose build of it (or once, alone); merge uses."""
    merged: dict[tuple[object, ...], BaseImageUse] = {}
    problems: list[FileProblem] = []
    groups: dict[tuple[object, ...], list[ComposeBuild | None]] = {}
    for build in builds:
        options = _options(build, common)
        key = (tuple(sorted(options.build_args.items())), options.contexts, options.local_images)
        groups.setdefault(key, []).append(build)
    for same in groups.values():
        found, problems = parse_dockerfile(text, file, options=_options(same[0], common))
        for use in _users(found, same):
            where = (use.line, use.column, use.kind, use.reference, use.problem)
            if where in merged:
                notes = (*merged[where].notes, *use.notes)
                use = replace(merged[where], notes=tuple(dict.fromkeys(notes)))
            merged[where] = use
    return list(merged.values()), problems


def _users(uses: list[BaseImageUse], builds: list[ComposeBuild | None]) -> list[BaseImageUse]:
    """Name every compose service that builds the Dockerfile the same way, not only the first."""
    names = list(dict.fromkeys(b.service for b in builds if b is not None))
    if len(names) < 2:
        return uses
    first = re.compile(re.escape(f"compose service {names[0]}") + r"(?=[ ,(]|$)")
    every = f"compose services {', '.join(names)}"
    return [replace(u, notes=tuple(first.sub(every, n) for n in u.notes)) for u in uses]


def _options(build: ComposeBuild | None, common: _Common) -> DockerfileOptions:
    """Build args in precedence order (config < compose < --build-arg), each with its origin."""
    compose_args = build.args if build else {}
    args = {**common.config.build_args, **compose_args, **common.build_args}
    origins = {
        **dict.fromkeys(common.config.build_args, "build_args in the config"),
        **(build.origins if build else {}),
        **dict.fromkeys(common.build_args, "--build-arg"),
    }
    if build is None:
        return DockerfileOptions(args, origins, common.platforms)
    return DockerfileOptions(args, origins, common.platforms, build.contexts, build.local_images)


def _builds(
    builds: Sequence[ComposeBuild],
    base: Path,
    dockerfiles: list[Path],
    problems: list[FileProblem],
) -> dict[Path, list[ComposeBuild | None]]:
    """The compose builds of each Dockerfile; Dockerfiles only compose names are queued too."""
    found: dict[Path, list[ComposeBuild | None]] = {}
    for build in builds:
        target = base / build.dockerfile
        where = f"service {build.service}: build Dockerfile {build.dockerfile}"
        if not target.is_file():
            problems.append(FileProblem(build.file, f"{where} not found"))
            continue
        if not _within(target, base):
            problems.append(
                FileProblem(build.file, f"{where} resolves outside the repository: skipped")
            )
            continue
        found.setdefault(target, []).append(build)
        if target not in dockerfiles:
            dockerfiles.append(target)
    return found


def _within(path: Path, base: Path) -> bool:
    """True when `path`, symlinks resolved, is `base` or inside it."""
    real = Path(os.path.realpath(path))
    return real == base or base in real.parents


def _reader(base: Path) -> Callable[[str], str]:
    """Read a root-relative file for the compose parser, refusing to leave the root."""

    def read(rel: str) -> str:
        path = base / rel
        if not path.is_file():
            raise FileNotFoundError("does not exist")
        if not _within(path, base):
            raise ValueError("resolves outside the repository: not read")
        return read_text(path)

    return read


def _common_root(paths: Sequence[Path]) -> Path:
    """The working directory when every path is inside it, else the paths' common folder."""
    cwd = Path.cwd().resolve()
    absolute = [p.resolve() for p in paths]
    if all(p == cwd or cwd in p.parents for p in absolute):
        return cwd
    folders = [p if p.is_dir() else p.parent for p in absolute]
    return Path(os.path.commonpath([str(f) for f in folders]))


def _relative(path: Path, base: Path) -> str:
    """`path` relative to `base`, with forward slashes (fast path for paths under `base`)."""
    text, prefix = os.path.abspath(path), str(base) + os.sep
    if text.startswith(prefix):
        return text[len(prefix) :].replace(os.sep, "/")
    return Path(os.path.relpath(text, base)).as_posix()


class _Walker:
    """Collects candidate files, pruning skipped and excluded folders and symlink loops."""

    def __init__(self, base: Path, exclude: Sequence[str]) -> None:
        self.base, self.exclude = base, tuple(exclude)
        self.problems: list[FileProblem] = []

    def collect(self, paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
        dockerfiles: list[Path] = []
        composes: list[Path] = []
        for path in paths:
            if path.is_dir():
                for found in self._walk(path):
                    (composes if is_compose_name(found.name) else dockerfiles).append(found)
            elif path.is_file() or path.is_symlink():
                is_yaml = path.name.lower().endswith((".yml", ".yaml"))
                (composes if is_yaml else dockerfiles).append(Path(os.path.abspath(path)))
            else:
                self.problems.append(FileProblem(_relative(path, self.base), "does not exist"))
        return list(dict.fromkeys(dockerfiles)), list(dict.fromkeys(composes))

    def _walk(self, top: Path) -> Iterator[Path]:
        visited: set[tuple[int, int]] = set()
        for folder, dirnames, filenames in os.walk(os.path.abspath(top), followlinks=True):
            info = os.stat(folder)
            visited.add((info.st_dev, info.st_ino))
            dirnames[:] = [d for d in sorted(dirnames) if self._enter(Path(folder, d), visited)]
            for name in sorted(filenames):
                if not (is_dockerfile_name(name) or is_compose_name(name)):
                    continue
                path = Path(folder, name)
                if self.exclude and self._excluded(_relative(path, self.base)):
                    continue
                if path.is_symlink() and not _within(path, self.base):
                    self._outside(path, "file")
                    continue
                yield path

    def _enter(self, path: Path, visited: set[tuple[int, int]]) -> bool:
        """Whether to descend into `path`: not skipped, not excluded, not a loop."""
        rel = _relative(path, self.base)
        if path.name in SKIP_DIRS or self._excluded(rel) or os.path.exists(path / "pyvenv.cfg"):
            return False
        try:
            info = os.stat(path)
        except OSError as exc:
            self.problems.append(FileProblem(rel, _os_reason(exc)))
            return False
        if (info.st_dev, info.st_ino) in visited and path.is_symlink():
            self.problems.append(FileProblem(rel, "symlink loop (folder already visited)"))
            return False
        if path.is_symlink() and not _within(path, self.base):
            self._outside(path, "folder")
            return False
        return True

    def _outside(self, path: Path, what: str) -> None:
        """Warn about a symlink leading out of the repository, which is not followed."""
        reason = f"symlink to a {what} outside the repository ({os.path.realpath(path)}): skipped"
        self.problems.append(FileProblem(_relative(path, self.base), reason))

    def _excluded(self, rel: str) -> bool:
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in self.exclude:
            patterns = (
                (pattern.rstrip("/"), pattern[3:].rstrip("/"))
                if pattern.startswith("**/")
                else (pattern.rstrip("/"),)
            )
            if any(fnmatch(prefix, p) for prefix in prefixes for p in patterns):
                return True
        return False
