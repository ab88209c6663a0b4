"""dpkg's database: `var/lib/dpkg/status` (or distroless `status.d/*`) and `info/*.list` (pure)."""

from __future__ import annotations

from collections.abc import Iterator

from driftwatch.osinfo.inventory import Package, is_library_path

__all__ = ["installed_packages", "library_paths", "list_owner", "stanzas"]

_NOT_INSTALLED = frozenset({"not-installed", "config-files"})


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """deb822 paragraphs as {field: value}; continuation lines are joined, fields are
    case-insensitive (kept as first written, looked up lowercased)."""
    fields: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, None
        elif line[0] in " \t":
            if last is not None:
                fields[last] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip().lower()
            fields[last] = value.strip()
    if fields:
        yield fields


def installed_packages(text: str) -> list[Package]:
    """The installed packages of a status file (a missing Status field counts as installed,
    as in distroless `status.d` files); packages only configured or removed are left out."""
    found = []
    for fields in stanzas(text):
        name, version = fields.get("package"), fields.get("version")
        if not name or not version:
            continue
        state = fields.get("status", "install ok installed").split()
        if state and state[-1] in _NOT_INSTALLED:
            continue
        found.append(Package(name, version, fields.get("architecture") or None))
    return found


def library_paths(text: str) -> list[str]:
    """The shared libraries a package's `.list` file says it owns."""
    return [line.strip().lstrip("/") for line in text.splitlines() if is_library_path(line.strip())]


def list_owner(path: str) -> str:
    """`var/lib/dpkg/info/libssl1.1:amd64.list` -> `libssl1.1`."""
    name = path.rsplit("/", 1)[-1].removesuffix(".list")
    return name.split(":", 1)[0]
