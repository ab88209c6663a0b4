"""Walk the given paths, read every file of every enabled source, and build the Inventory.

Unreadable, binary, non-UTF-8 files and symlink loops become FileProblems; nothing here raises
for one bad file, so the other files are always processed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from driftwatch.capped import read_capped
from driftwatch.config import Config
from driftwatch.models import BaseImageUse
from driftwatch.sources.bake import parse_bake
from driftwatch.sources.compose import ComposeBuild, parse_compose_project
from driftwatch.sources.composeinline import parse_inlines
from driftwatch.sources.devcontainer import parse_devcontainer
from driftwatch.sources.dockerfile import DockerfileOptions, parse_dockerfile
from driftwatch.sources.gitlab import parse_gitlab
from driftwatch.sources.inventory import FileProblem, Inventory
from driftwatch.sources.kubernetes import (
    is_skaffold_name,
    looks_like_manifest,
    parse_manifests,
    skaffold_images,
)
from driftwatch.sources.walk import (
    Walker,
    is_compose_name,
    is_dockerfile_name,
    matches,
    os_reason,
    relative,
    within,
)
from driftwatch.sources.workflows import parse_workflow

__all__ = ["find_image_uses", "is_compose_name", "is_dockerfile_name", "read_text"]

MAX_FILE_BYTES = 8 * 1024 * 1024


def read_text(path: Path) -> str:
    """The file's text without a BOM; raises _Unreadable with a one-line reason.

    Bytes are read the way BuildKit reads a Dockerfile: as UTF-8, leniently. BuildKit keeps
    bytes that are not UTF-8 (a Latin-1 `é` in a comment builds fine), so they are decoded
    here to U+FFFD, one character per byte (columns stay those of the file), never refused.
    """
    try:
        data = read_capped(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise _Unreadable(os_reason(exc)) from exc
    if data is None:  # a capped read: a file growing after a size check cannot slip through
        raise _Unreadable(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in data:
        raise _Unreadable("binary file (contains NUL bytes)")
    text = data.decode("utf-8", errors="surrogateescape").translate(_UNDECODABLE)
    return text.removeprefix("\ufeff")


_UNDECODABLE = {0xDC80 + byte: 0xFFFD for byte in range(128)}  # each byte that is not UTF-8


class _Unreadable(ValueError):
    """Internal: a file that cannot be parsed; becomes a FileProblem, never escapes."""


def find_image_uses(
    paths: Sequence[Path],
    config: Config,
    build_args: Mapping[str, str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    root: Path | None = None,
    platforms: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
) -> Inventory:
    """Every external image reference under `paths` (default: the current directory)."""
    paths = list(paths) or [Path(".")]
    base = (root or _common_root(paths)).resolve()
    env = dict(os.environ if environ is None else environ)
    settings = config.sources
    chosen = settings.enabled if sources is None else tuple(sources)
    walker = Walker(base, (*config.exclude, *settings.exclude), settings.include, chosen)
    found = walker.collect(paths)
    out = _Found(problems=list(walker.problems))
    composes = [relative(path, base) for path in found["compose"]]
    composes += _read_devcontainers(found["devcontainer"], base, out, composes, walker.exclude)
    compose = parse_compose_project(composes, _reader(base), env)
    out.add(compose.uses, compose.problems, compose.files)
    out.builds.extend(compose.builds)
    _read_yaml_sources(found, base, out)
    for file, text in _texts(found["bake"], base, out.problems):
        baked = parse_bake(text, file, env)
        out.add(baked.uses, baked.problems, [file])
        out.builds.extend(baked.builds)
    common = _Common(config, build_args or {}, tuple(platforms or config.platforms))
    _read_dockerfiles(found["dockerfile"], base, common, out)
    out.files.update(composes)
    uses = sorted(out.uses, key=lambda u: (u.file, u.line, u.column))
    problems = sorted(dict.fromkeys(out.problems), key=lambda p: (p.file, p.line or 0))
    return Inventory(tuple(uses), tuple(problems), base, tuple(sorted(out.files)))


@dataclass
class _Found:
    """What the sources yielded so far, and the builds still to read."""

    uses: list[BaseImageUse] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    builds: list[ComposeBuild] = field(default_factory=list)

    def add(
        self, uses: Iterable[BaseImageUse], problems: Iterable[FileProblem], files: Iterable[str]
    ) -> None:
        """Take one source's results."""
        self.uses.extend(uses)
        self.problems.extend(problems)
        self.files.update(files)


def _read_devcontainers(
    paths: Sequence[Path], base: Path, out: _Found, composes: Sequence[str], exclude: Sequence[str]
) -> list[str]:
    """Each devcontainer.json's image and build; the compose files it names not yet listed."""
    more: list[str] = []
    for file, text in _texts(paths, base, out.problems):
        found = parse_devcontainer(text, file)
        out.add(found.uses, found.problems, [file])
        out.builds.extend(found.builds)
        for path, line in found.compose_files:
            if not (base / path).is_file():
                reason = f"dockerComposeFile {path} not found"
                out.problems.append(FileProblem(file, reason, line))
            elif path not in composes and path not in more and not matches(path, exclude):
                more.append(path)
    return more


def _read_yaml_sources(found: Mapping[str, list[Path]], base: Path, out: _Found) -> None:
    """Workflows, GitLab CI and manifests (images a skaffold.yaml builds left out)."""
    built = _skaffold_images(found["kubernetes"])
    for name, parse in _YAML_SOURCES.items():
        for file, text in _texts(found[name], base, out.problems):
            if name != "kubernetes" or looks_like_manifest(text):
                more, trouble = parse(text, file)
                kept = [u for u in more if not (u.reference and u.reference.name in built)]
                out.add(kept, trouble, [file])


def _read_dockerfiles(dockerfiles: list[Path], base: Path, common: _Common, out: _Found) -> None:
    """Every Dockerfile, once per distinct build of it (compose, bake) or once alone."""
    builds = _builds(out.builds, base, dockerfiles, out.problems)
    for dockerfile in dockerfiles:
        file = relative(dockerfile, base)
        out.files.add(file)
        try:
            text = read_text(dockerfile)
        except _Unreadable as exc:
            out.problems.append(FileProblem(file, str(exc)))
            continue
        more, trouble = _parse_built(text, file, builds.get(dockerfile, [None]), common)
        out.add(more, trouble, [])
    inline = [(b.inline, b.file, b.service, _options(b, common)) for b in out.builds if b.inline]
    out.add(*parse_inlines(inline), [])


Parser = Callable[[str, str], tuple[list[BaseImageUse], list[FileProblem]]]
_YAML_SOURCES: dict[str, Parser] = {
    "actions": parse_workflow,
    "gitlab": parse_gitlab,
    "kubernetes": parse_manifests,
}


def _skaffold_images(paths: Sequence[Path]) -> set[str]:
    """Images the repository's skaffold.yaml files build: the project's own, not base images."""
    built: set[str] = set()
    for path in paths:
        if is_skaffold_name(path.name):
            try:
                built |= skaffold_images(read_text(path))
            except _Unreadable:
                continue  # reported when the file is read as manifests
    return built


def _texts(
    paths: Sequence[Path], base: Path, problems: list[FileProblem]
) -> Iterator[tuple[str, str]]:
    """(root-relative file, text) of each readable path; a problem for each unreadable one."""
    for path in paths:
        file = relative(path, base)
        try:
            yield file, read_text(path)
        except _Unreadable as exc:
            problems.append(FileProblem(file, str(exc)))


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
        key = (
            tuple(sorted(options.build_args.items())),
            options.contexts,
            options.local_images,
            options.platforms,
        )
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
    platforms = common.platforms or build.platforms
    return DockerfileOptions(args, origins, platforms, build.contexts, build.local_images)


def _builds(
    builds: Sequence[ComposeBuild],
    base: Path,
    dockerfiles: list[Path],
    problems: list[FileProblem],
) -> dict[Path, list[ComposeBuild | None]]:
    """The compose builds of each Dockerfile; Dockerfiles only compose names are queued too."""
    found: dict[Path, list[ComposeBuild | None]] = {}
    for build in builds:
        if build.inline is not None:
            continue  # parsed from its text by _read_dockerfiles
        target = base / build.dockerfile
        who = (
            build.service if " " in build.service else f"service {build.service}"
        )  # bake: "bake target x"
        where = f"{who}: build Dockerfile {build.dockerfile}"
        if not target.is_file():
            problems.append(FileProblem(build.file, f"{where} not found"))
            continue
        if not within(target, base):
            problems.append(
                FileProblem(build.file, f"{where} resolves outside the repository: skipped")
            )
            continue
        found.setdefault(target, []).append(build)
        if target not in dockerfiles:
            dockerfiles.append(target)
    return found


def _reader(base: Path) -> Callable[[str], str]:
    """Read a root-relative file for the compose parser, refusing to leave the root."""

    def read(rel: str) -> str:
        """The text of a root-relative file that stays inside the root."""
        path = base / rel
        if not path.is_file():
            raise FileNotFoundError("does not exist")
        if not within(path, base):
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
