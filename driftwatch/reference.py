"""Parse and normalise image references exactly as Docker does (distribution/reference).

Pure: no I/O. `parse_reference("python:3.12-slim")` gives
`ImageReference(registry="docker.io", repository="library/python", tag="3.12-slim", digest=None)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from driftwatch.errors import InvalidReference

__all__ = ["DOCKER_HUB", "ImageReference", "parse_reference"]

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
MAX_PATH_LENGTH = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_HEX64 = re.compile(r"[a-f0-9]{64}")
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True, order=True)
class ImageReference:
    """A normalised image reference; `str()` is the canonical form, `familiar` the short one."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        return f"{self.registry}/{self.name_suffix()}"

    def name_suffix(self) -> str:
        """`repository[:tag][@digest]`, with `:latest` when neither tag nor digest was given."""
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        if not self.tag and not self.digest:
            text += ":latest"
        return text

    @property
    def name(self) -> str:
        """`registry/repository`, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def familiar(self) -> str:
        """The short form people write: `python:3.12-slim`, `ghcr.io/org/app:1`."""
        repository = self.repository
        if self.registry == DOCKER_HUB:
            repository = repository.removeprefix("library/")
            text = repository
        else:
            text = f"{self.registry}/{repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def manifest_reference(self) -> str:
        """What to ask the registry for: the digest when pinned (the digest wins), else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def effective_tag(self) -> str | None:
        """The tag that will be resolved; `latest` when neither tag nor digest was written."""
        if self.tag:
            return self.tag
        return None if self.digest else "latest"

    @property
    def is_docker_hub(self) -> bool:
        """True for Docker Hub, whatever alias was written."""
        return self.registry == DOCKER_HUB

    def with_digest(self, digest: str | None) -> ImageReference:
        """The same reference pinned to `digest` (tag kept for readers)."""
        return ImageReference(self.registry, self.repository, self.tag, digest)

    def without_digest(self) -> ImageReference:
        """The same reference with its tag only."""
        return ImageReference(self.registry, self.repository, self.tag, None)


def parse_reference(text: str) -> ImageReference:
    """Parse `text` as `docker pull` would; raise InvalidReference naming the fault."""
    if not isinstance(text, str):
        raise InvalidReference(f"image reference must be a string, not {type(text).__name__}")
    original = text
    text = text.strip()
    if not text:
        raise InvalidReference("image reference is empty")
    if text != original or any(c.isspace() for c in text):
        raise InvalidReference(f"invalid reference {original!r}: contains white space")
    if _HEX64.fullmatch(text):
        raise InvalidReference(
            f"invalid repository name {text!r}: a 64-character hex string is an image ID, "
            "not a name"
        )
    name, tag, digest = _split_name_tag_digest(text)
    registry, path = _split_registry(name)
    _check_path(path, text)
    return ImageReference(registry=registry, repository=path, tag=tag, digest=digest)


def _split_name_tag_digest(text: str) -> tuple[str, str | None, str | None]:
    """Cut `name[:tag][@digest]` into its three parts, validating tag and digest."""
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        _check_digest(digest)
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise InvalidReference(
                f"invalid tag {tag!r}: tags are 1-128 of letters, digits, '_', '.', '-', "
                "not starting with '.' or '-'"
            )
    if not text:
        raise InvalidReference("image reference has no name")
    return text, tag, digest


def _check_digest(digest: str) -> None:
    """Refuse digests that do not follow `algorithm:hex` with the right length."""
    if not _DIGEST.fullmatch(digest):
        raise InvalidReference(f"invalid digest {digest!r}: expected algorithm:hex")
    algorithm, hexpart = digest.split(":", 1)
    expected = _DIGEST_LENGTHS.get(algorithm)
    if expected is not None and (len(hexpart) != expected or hexpart != hexpart.lower()):
        raise InvalidReference(
            f"invalid digest {digest!r}: {algorithm} needs exactly {expected} lowercase hex digits"
        )


def _split_registry(name: str) -> tuple[str, str]:
    """Split the registry domain from the path and apply Docker Hub normalisation."""
    first, sep, rest = name.partition("/")
    if sep and (first == "localhost" or "." in first or ":" in first or first != first.lower()):
        if not _DOMAIN.fullmatch(first):
            raise InvalidReference(f"invalid registry host {first!r} in {name!r}")
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, name
    if registry.lower() in HUB_ALIASES:
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return registry, path


def _check_path(path: str, text: str) -> None:
    """Check the repository path: lowercase components, separators, total length."""
    if not path:
        raise InvalidReference(f"invalid reference {text!r}: no repository name")
    if path != path.lower():
        raise InvalidReference(f"invalid reference {text!r}: repository name must be lowercase")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidReference(
            f"invalid reference: repository name is {len(path)} characters, "
            f"the limit is {MAX_PATH_LENGTH}"
        )
    if not _PATH.fullmatch(path):
        raise InvalidReference(
            f"invalid repository name {path!r}: components are lowercase letters and digits "
            "joined by '.', '_', '__' or '-'"
        )
